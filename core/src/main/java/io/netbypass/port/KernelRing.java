package io.netbypass.port;

/**
 * The I/O side's private view of a {@link Ring} (netmap's {@code netmap_kring}): {@code hwcur},
 * the first slot the application has not yet released (RX) or submitted (TX), and
 * {@code hwtail}, the tail it last published. A sync first checks the application's
 * {@code head}/{@code cur} against them, so a buggy application cannot make the I/O side touch a
 * slot it does not own.
 */
public final class KernelRing {
    private final Ring ring;
    private final int slots;
    int hwcur;
    int hwtail;

    public KernelRing(Ring ring) {
        this.ring = ring;
        this.slots = ring.slots();
    }

    public Ring ring() { return ring; }
    public int hwcur() { return hwcur; }
    public int hwtail() { return hwtail; }

    /** Sets both indices and publishes them to the ring (head = cur = hwcur, tail = hwtail). */
    public void reset(int hwcur, int hwtail) {
        this.hwcur = hwcur;
        this.hwtail = hwtail;
        ring.advance(hwcur);
        ring.tail(hwtail);
    }

    /**
     * The application's head when head lies in {@code [hwcur, hwtail]} and cur in
     * {@code [head, hwtail]} (circularly); otherwise -1 and the ring is put back to the I/O side's
     * view, as netmap's ring re-initialisation does.
     */
    public int prologue() {
        int head = ring.head();
        int cur = ring.cur();
        if (head < 0 || head >= slots || cur < 0 || cur >= slots
                || !between(hwcur, head, hwtail) || !between(head, cur, hwtail)) {
            reset(hwcur, hwtail);
            return -1;
        }
        return head;
    }

    /** Whether {@code x} is in the circular interval {@code [from, to]}. */
    private boolean between(int from, int x, int to) {
        int span = to - from;
        if (span < 0) {
            span += slots;
        }
        int d = x - from;
        if (d < 0) {
            d += slots;
        }
        return d <= span;
    }

    /** Publishes a new hwtail as the ring's tail. */
    public void publishTail(int tail) {
        hwtail = tail;
        ring.tail(tail);
    }

    /** Records that the application's slots up to {@code head} were taken back. */
    public void consumed(int head) {
        hwcur = head;
    }

    /** Slots from {@code a} to {@code b}, circularly. */
    public int distance(int a, int b) {
        int d = b - a;
        return d < 0 ? d + slots : d;
    }
}
