package io.netbypass.filter.engine;

/**
 * Token buckets as GCRA (the generic cell rate algorithm): each key keeps one number, its
 * theoretical arrival time (TAT). A packet at time t conforms when {@code max(TAT, t) - t} is at
 * most the burst tolerance; a conforming packet pushes TAT one emission interval further. This
 * passes {@code burst} back-to-back packets, then {@code rate} per second.
 *
 * <p>Keys live in an open-addressing table of fixed capacity. When a key's probe window is full
 * the entry with the oldest TAT gives way: if that TAT is already past, the key had recovered a
 * full burst and forgetting it changes nothing; otherwise the eviction is counted. Time is in
 * nanoseconds from any origin that never goes backwards; internally 1/1024 ns for exact rates.
 * Single-threaded, allocation-free.
 */
public final class RateLimiter {
    private static final int SCALE_SHIFT = 10;
    private static final int PROBES = 16;

    private final long interval;
    private final long tolerance;
    private final long[] keys;
    private final long[] tat;
    private final int mask;
    private long single;
    private long evictions;

    /**
     * One bucket per key for up to {@code capacity} keys (the table is at least twice that, so
     * probe windows rarely fill); 0: one bucket for all.
     */
    public RateLimiter(long ratePerSecond, long burst, int capacity) {
        if (ratePerSecond < 1 || burst < 1) {
            throw new IllegalArgumentException("rate and burst must be positive");
        }
        this.interval = (1_000_000_000L << SCALE_SHIFT) / ratePerSecond;
        this.tolerance = (burst - 1) * interval;
        if (capacity > 0) {
            int c = Integer.highestOneBit(Math.max(PROBES, 2 * capacity - 1)) << 1;
            keys = new long[c];
            tat = new long[c];
            mask = c - 1;
        } else {
            keys = null;
            tat = null;
            mask = 0;
        }
    }

    /** Does a packet at {@code nowNanos} conform for the single bucket? */
    public boolean conform(long nowNanos) {
        long now = nowNanos << SCALE_SHIFT;
        long t = Math.max(single, now);
        if (t - now > tolerance) {
            return false;
        }
        single = t + interval;
        return true;
    }

    /** Does a packet at {@code nowNanos} conform for {@code key}'s bucket? */
    public boolean conform(long key, long nowNanos) {
        long now = nowNanos << SCALE_SHIFT;
        long k = mix(key) | 1; // 0 marks an empty slot
        int home = (int) (k >>> 32) & mask;
        int victim = home;
        long oldest = Long.MAX_VALUE;
        for (int i = 0; i < PROBES; i++) {
            int slot = (home + i) & mask;
            long stored = keys[slot];
            if (stored == k) {
                return update(slot, now);
            }
            if (stored == 0) {
                keys[slot] = k;
                tat[slot] = 0;
                return update(slot, now);
            }
            if (tat[slot] < oldest) {
                oldest = tat[slot];
                victim = slot;
            }
        }
        if (oldest > now) {
            evictions++; // the evicted key was still limited: it starts again with a full burst
        }
        keys[victim] = k;
        tat[victim] = 0;
        return update(victim, now);
    }

    private boolean update(int slot, long now) {
        long t = Math.max(tat[slot], now);
        if (t - now > tolerance) {
            return false;
        }
        tat[slot] = t + interval;
        return true;
    }

    /** Keys forgotten while still over their rate (the table was too small for the sources seen). */
    public long evictions() {
        return evictions;
    }

    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
