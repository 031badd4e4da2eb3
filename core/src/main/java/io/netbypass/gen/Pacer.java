package io.netbypass.gen;

/** pkt-gen's {@code -R}: how many packets may go now to stay at a rate, in whole batches. 0 = unlimited. */
public final class Pacer {
    private final long rate;
    private final long start;
    private long sent;

    public Pacer(long packetsPerSecond, long startNanos) {
        this.rate = packetsPerSecond;
        this.start = startNanos;
    }

    /** Packets that may be sent at {@code now}, at most {@code max}. */
    public int allowance(long now, int max) {
        if (rate <= 0) {
            return max;
        }
        long due = (long) ((now - start) * 1e-9 * rate);
        long n = due - sent;
        return n <= 0 ? 0 : (int) Math.min(n, max);
    }

    public void sent(int n) {
        sent += n;
    }
}
