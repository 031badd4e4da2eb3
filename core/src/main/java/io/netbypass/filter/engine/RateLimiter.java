package io.netbypass.filter.engine;

import io.netbypass.util.SplitMix64;
import io.netbypass.util.UserException;

import java.security.SecureRandom;

/**
 * Token buckets as GCRA (the generic cell rate algorithm): each key keeps its theoretical
 * arrival time (TAT). A packet at time t conforms when {@code max(TAT, t) - t} is at most the
 * burst tolerance; a conforming packet pushes TAT one emission interval further. This passes
 * {@code burst} back-to-back packets, then {@code rate} per second.
 *
 * <p>Exact for any rate: the interval is {@code 1e9 / rate} ns plus a remainder counted in
 * {@code 1/rate} ns, kept per key. Times are nanoseconds from any origin (they may be negative,
 * as offline timestamps before the first packet are); a new or forgotten key starts with a full
 * burst.
 *
 * <p>Keys live in an open-addressing table that starts small and doubles while more than half
 * full, up to twice the capacity asked for: a rule set with a thousand per-source limits costs
 * memory for the sources seen, not 3 MB per rule up front (a rare allocation, while the key
 * population grows; none once it has). When a key's probe window is full in a table at its
 * largest, the entry with
 * the oldest TAT gives way: if that TAT is already past, the key had recovered a full burst and
 * forgetting it changes nothing; otherwise the eviction is counted. Keys are hashed with a
 * per-process random seed, so no source can choose an address that shares another's bucket.
 * Single-threaded, allocation-free.
 */
public final class RateLimiter {
    private static final int PROBES = 16;
    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    /** TAT of a bucket that has seen nothing: max(TAT, now) is now. */
    private static final long FRESH = Long.MIN_VALUE;
    private static final long SEED = new SecureRandom().nextLong();

    private final long rate;
    private final long intervalNanos;
    private final long intervalRemainder;
    private final long toleranceNanos;
    /** The table's first size (one probe window: 384 bytes, so a million rate-limit rules fit in the heap). */
    private static final int FIRST_SLOTS = PROBES;
    private final int maxSlots;
    private long[] keys;
    private long[] tat;
    private long[] fraction;
    private int mask;
    private int used;
    private long single = FRESH;
    private long singleFraction;
    private long evictions;

    /**
     * One bucket per key for up to {@code capacity} keys (the table is at least twice that, so
     * probe windows rarely fill); 0: one bucket for all.
     */
    public RateLimiter(long ratePerSecond, long burst, int capacity) {
        if (ratePerSecond < 1 || burst < 1 || ratePerSecond > NANOS_PER_SECOND * 1000 || burst > 1L << 40) {
            throw new UserException("rate and burst must be positive and sane: " + ratePerSecond + "/s burst " + burst);
        }
        this.rate = ratePerSecond;
        this.intervalNanos = NANOS_PER_SECOND / ratePerSecond;
        this.intervalRemainder = NANOS_PER_SECOND % ratePerSecond;
        // (burst - 1) intervals, rounded down to whole ns: at most 2^40 s, no overflow.
        this.toleranceNanos = Math.multiplyExact(burst - 1, NANOS_PER_SECOND) / ratePerSecond;
        if (capacity > 0) {
            maxSlots = Integer.highestOneBit(Math.max(PROBES, 2 * capacity - 1)) << 1;
            allocate(Math.min(FIRST_SLOTS, maxSlots));
        } else {
            maxSlots = 0;
        }
    }

    /** Does a packet at {@code nowNanos} conform for the single bucket? */
    public boolean conform(long nowNanos) {
        long t = Math.max(single, nowNanos);
        long f = t == single ? singleFraction : 0;
        if (t - nowNanos > toleranceNanos) {
            return false;
        }
        f += intervalRemainder;
        long carry = f >= rate ? 1 : 0;
        single = t + intervalNanos + carry;
        singleFraction = f - carry * rate;
        return true;
    }

    /** Does a packet at {@code nowNanos} conform for {@code key}'s bucket? */
    public boolean conform(long key, long nowNanos) {
        long k = mix(key ^ SEED) | 1; // 0 marks an empty slot
        int home = (int) (k >>> 32) & mask;
        int victim = home;
        long oldest = Long.MAX_VALUE;
        for (int i = 0; i < PROBES; i++) {
            int slot = (home + i) & mask;
            long stored = keys[slot];
            if (stored == k) {
                return update(slot, nowNanos);
            }
            if (stored == 0) {
                if (++used > (mask + 1) >>> 1 && mask + 1 < maxSlots) {
                    grow();
                    used--;
                    return conform(key, nowNanos); // placed in the larger table
                }
                keys[slot] = k;
                tat[slot] = FRESH;
                return update(slot, nowNanos);
            }
            if (tat[slot] < oldest) {
                oldest = tat[slot];
                victim = slot;
            }
        }
        if (mask + 1 < maxSlots) {
            // A full window in a table that may still grow: grow rather than forget a key (with a random seed, a
            // small table's window fills by chance long before the table is half full).
            grow();
            return conform(key, nowNanos);
        }
        if (oldest > nowNanos) {
            evictions++; // the evicted key was still limited: it starts again with a full burst
        }
        keys[victim] = k;
        tat[victim] = FRESH;
        return update(victim, nowNanos);
    }

    private void allocate(int slots) {
        keys = new long[slots];
        tat = new long[slots];
        fraction = new long[slots];
        mask = slots - 1;
        used = 0;
    }

    /** Doubles the table; every key keeps its bucket (a key whose window is full in the new table is dropped, as it would be evicted). */
    private void grow() {
        long[] k = keys;
        long[] t = tat;
        long[] f = fraction;
        allocate(k.length << 1);
        for (int i = 0; i < k.length; i++) {
            if (k[i] == 0) {
                continue;
            }
            int home = (int) (k[i] >>> 32) & mask;
            for (int j = 0; j < PROBES; j++) {
                int slot = (home + j) & mask;
                if (keys[slot] == 0) {
                    keys[slot] = k[i];
                    tat[slot] = t[i];
                    fraction[slot] = f[i];
                    used++;
                    break;
                }
            }
        }
    }

    private boolean update(int slot, long now) {
        long stored = tat[slot];
        long t = Math.max(stored, now);
        long f = t == stored ? fraction[slot] : 0;
        if (t - now > toleranceNanos) {
            return false;
        }
        f += intervalRemainder;
        long carry = f >= rate ? 1 : 0;
        tat[slot] = t + intervalNanos + carry;
        fraction[slot] = f - carry * rate;
        return true;
    }

    /** Keys forgotten while still over their rate (the table was too small for the sources seen). */
    public long evictions() {
        return evictions;
    }

    static long mix(long z) {
        return SplitMix64.mix(z);
    }

    /** A 64-bit key for a 128-bit address, keyed with the process's secret seed (not invertible by a sender). */
    static long key128(long high, long low) {
        return mix(mix(high ^ SEED) ^ low ^ (SEED * 0x9E3779B97F4A7C15L));
    }
}
