package io.netbypass.filter.engine;

import io.netbypass.util.SplitMix64;
import io.netbypass.util.UserException;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Token buckets as GCRA (the generic cell rate algorithm) on a grid, shared by every worker
 * thread of a filter: {@code ratelimit 1000/s} admits 1000 per second in total however many
 * workers see the rule's packets, and {@code per src} holds per source whichever worker sees it.
 *
 * <p>Time is counted in emission intervals: at {@code now} (ns from any origin, negative too, as
 * offline timestamps before the first packet are) {@code earned = floor(now * rate / 1e9)}
 * intervals have passed, exactly, whatever the rate (no remainder to carry: 3/s earns exactly 3
 * per second). A bucket is one long, the index of its next emission: a packet conforms when
 * {@code max(next, earned) - earned} is at most {@code burst - 1}, and moves {@code next} one on.
 * So {@code burst} packets pass back to back, then one per interval. After a quiet spell a bucket
 * starts from the interval that began last, not from the packet's own instant: it may admit one
 * packet up to an interval early (never more than the burst, never more than the rate over time).
 *
 * <p>One long per bucket is what makes it shared: each update is a compare-and-set of that long,
 * so no admission is counted twice or lost between workers. Per-worker shares of the rate were
 * the other way: no shared line, but a worker whose queue sees little of a rule's traffic leaves
 * its share unused, so the total falls short by the imbalance between queues until shares are
 * rebalanced; the CAS is exact at once and costs only packets that reach a ratelimit rule
 * (docs/ARCHITECTURE.md has the measurement).
 *
 * <p>Keys live in an open-addressing table of (key, next) pairs that starts at one probe window
 * and doubles while more than half full, up to twice the capacity asked for: memory for the
 * sources seen, not 2 MB per rule up front. A doubling (at most 13 for 65,536 keys) copies the
 * table while workers go on deciding in the old one: an update made in the short window of the
 * copy is lost, so a key may get up to one more burst then. When a key's probe window is full in
 * a table at its largest, the entry with the smallest {@code next} gives way: if it had earned
 * its full burst back forgetting it changes nothing; otherwise the eviction is counted (two workers
 * evicting at once may each place the same new key, which then has two buckets until one is
 * evicted, and a key the copy of a doubling cannot place is dropped uncounted). Keys are
 * hashed with a per-process random seed, so no source can choose an address that shares another's
 * bucket. Allocation-free except while the table grows.
 */
public final class RateLimiter {
    private static final int PROBES = 16;
    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    /** The most packets per second a rule may allow (the rule language's own limit). */
    public static final long MAX_RATE = 1_000_000_000L;
    /** {@code next} of a bucket that has seen nothing: max(next, earned) is earned. */
    private static final long FRESH = Long.MIN_VALUE;
    private static final long SEED = new SecureRandom().nextLong();
    private static final VarHandle CELL = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle SINGLE;
    private static final VarHandle EVICTIONS;
    private static final VarHandle GROWING;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            SINGLE = l.findVarHandle(RateLimiter.class, "single", long.class);
            EVICTIONS = l.findVarHandle(RateLimiter.class, "evictions", long.class);
            GROWING = l.findVarHandle(RateLimiter.class, "growing", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final long rate;
    private final long tolerance;
    /** Seconds past which {@code now * rate} would overflow: times beyond are read as that far. */
    private final long maxSeconds;
    private final int maxSlots;
    private volatile Table table;
    @SuppressWarnings("unused") // through SINGLE
    private volatile long single = FRESH;
    @SuppressWarnings("unused") // through EVICTIONS
    private volatile long evictions;
    @SuppressWarnings("unused") // through GROWING
    private volatile int growing;

    /** Pairs (key, next) at 2 * slot; a key of 0 marks an empty slot. */
    private static final class Table {
        final long[] cells;
        final int mask;
        /** Slots taken; only a thread inserting a key changes it. */
        final AtomicInteger used = new AtomicInteger();

        Table(int slots) {
            cells = new long[2 * slots];
            for (int i = 1; i < cells.length; i += 2) {
                cells[i] = FRESH;
            }
            mask = slots - 1;
        }
    }

    /**
     * One bucket per key for up to {@code capacity} keys (the table is at least twice that, so
     * probe windows rarely fill); 0: one bucket for all.
     */
    public RateLimiter(long ratePerSecond, long burst, int capacity) {
        if (ratePerSecond < 1 || burst < 1 || ratePerSecond > MAX_RATE || burst > 1L << 40) {
            throw new UserException("rate and burst must be positive and sane: " + ratePerSecond + "/s burst " + burst);
        }
        this.rate = ratePerSecond;
        this.tolerance = burst - 1;
        this.maxSeconds = Long.MAX_VALUE / ratePerSecond / 4;
        if (capacity > 0) {
            maxSlots = Integer.highestOneBit(Math.max(PROBES, 2 * capacity - 1)) << 1;
            table = new Table(Math.min(PROBES, maxSlots));
        } else {
            maxSlots = 0;
        }
    }

    /**
     * Intervals earned by {@code nowNanos}: floor(now * rate / 1e9), without overflow. A caller
     * deciding a batch at one instant computes it once ({@link #conformEarned}).
     */
    public long earned(long nowNanos) {
        long seconds = Math.floorDiv(nowNanos, NANOS_PER_SECOND);
        long part = Math.floorMod(nowNanos, NANOS_PER_SECOND);
        if (seconds > maxSeconds) {
            seconds = maxSeconds;
        } else if (seconds < -maxSeconds) {
            seconds = -maxSeconds;
        }
        return seconds * rate + part * rate / NANOS_PER_SECOND;
    }

    /** Does a packet at {@code nowNanos} conform for the single bucket? */
    public boolean conform(long nowNanos) {
        return conformEarned(earned(nowNanos));
    }

    /** {@link #conform(long)} with the intervals {@link #earned} by the packet's time. */
    public boolean conformEarned(long earned) {
        while (true) {
            long next = (long) SINGLE.getOpaque(this);
            long t = Math.max(next, earned);
            if (t - earned > tolerance) {
                return false;
            }
            if (SINGLE.compareAndSet(this, next, t + 1)) {
                return true;
            }
        }
    }

    /** Does a packet at {@code nowNanos} conform for {@code key}'s bucket? */
    public boolean conform(long key, long nowNanos) {
        return conformEarned(key, earned(nowNanos));
    }

    /** {@link #conform(long, long)} with the intervals {@link #earned} by the packet's time. */
    public boolean conformEarned(long key, long earned) {
        long k = mix(key ^ SEED) | 1; // 0 marks an empty slot
        while (true) {
            Table t = table;
            long[] cells = t.cells;
            int home = (int) (k >>> 32) & t.mask;
            int victim = home;
            long oldest = Long.MAX_VALUE;
            boolean retry = false;
            for (int i = 0; i < PROBES && !retry; i++) {
                int at = ((home + i) & t.mask) << 1;
                long stored = (long) CELL.getOpaque(cells, at);
                if (stored == k) {
                    return update(cells, at + 1, earned);
                }
                if (stored == 0) {
                    if (t.used.get() + 1 > (t.mask + 1) >>> 1 && t.mask + 1 < maxSlots && grow(t)) {
                        retry = true; // placed in the larger table
                    } else if (CELL.compareAndSet(cells, at, 0L, k)) {
                        t.used.incrementAndGet();
                        return update(cells, at + 1, earned);
                    } else {
                        retry = true; // another worker took the slot (for this key, perhaps): look again
                    }
                    continue;
                }
                long next = (long) CELL.getOpaque(cells, at + 1);
                if (next < oldest) {
                    oldest = next;
                    victim = at;
                }
            }
            if (retry) {
                continue;
            }
            if (t.mask + 1 < maxSlots) {
                // A full window in a table that may still grow: grow rather than forget a key (with a random seed, a
                // small table's window fills by chance long before the table is half full).
                grow(t);
                Thread.onSpinWait(); // grown, or another worker is growing it: look again
                continue;
            }
            long was = (long) CELL.getAcquire(cells, victim);
            if (was == k || was == 0 || !CELL.compareAndSet(cells, victim, was, k)) {
                continue; // the window changed under us: look again
            }
            if (oldest > earned) {
                EVICTIONS.getAndAdd(this, 1L); // the evicted key was still limited: it starts again with a full burst
            }
            CELL.setRelease(cells, victim + 1, FRESH);
            return update(cells, victim + 1, earned);
        }
    }

    /**
     * One bucket's step. Reads are opaque (never hoisted out of the loop, no fence): a stale value
     * only makes the compare-and-set fail and the loop read again, so no admission is lost or doubled.
     */
    private boolean update(long[] cells, int at, long earned) {
        while (true) {
            long next = (long) CELL.getOpaque(cells, at);
            long t = Math.max(next, earned);
            if (t - earned > tolerance) {
                return false;
            }
            if (CELL.compareAndSet(cells, at, next, t + 1)) {
                return true;
            }
        }
    }

    /**
     * Doubles {@code from} when it is still the table: one thread copies, the others go on in the
     * old one until the new one is published (what they change meanwhile may be lost: see above).
     * Returns false when another thread is copying it now.
     */
    private boolean grow(Table from) {
        if (table != from) {
            return true;
        }
        if (!GROWING.compareAndSet(this, 0, 1)) {
            return false;
        }
        try {
            if (table != from) {
                return true;
            }
            Table to = new Table((from.mask + 1) << 1);
            long[] old = from.cells;
            long[] cells = to.cells;
            for (int at = 0; at < old.length; at += 2) {
                long key = (long) CELL.getAcquire(old, at);
                if (key == 0) {
                    continue;
                }
                int home = (int) (key >>> 32) & to.mask;
                for (int j = 0; j < PROBES; j++) {
                    int slot = ((home + j) & to.mask) << 1;
                    if (cells[slot] == 0) {
                        cells[slot] = key;
                        cells[slot + 1] = (long) CELL.getAcquire(old, at + 1);
                        to.used.incrementAndGet();
                        break;
                    }
                }
            }
            table = to; // volatile: the copy is visible whole to whoever reads the new table
            return true;
        } finally {
            GROWING.setRelease(this, 0);
        }
    }

    /** Keys forgotten while still over their rate (the table was too small for the sources seen). */
    public long evictions() {
        return (long) EVICTIONS.getVolatile(this);
    }

    static long mix(long z) {
        return SplitMix64.mix(z);
    }

    /** A 64-bit key for a 128-bit address, keyed with the process's secret seed (not invertible by a sender). */
    static long key128(long high, long low) {
        return mix(mix(high ^ SEED) ^ low ^ (SEED * 0x9E3779B97F4A7C15L));
    }

    @Override
    public String toString() {
        Table t = table;
        return "RateLimiter[" + rate + "/s burst " + (tolerance + 1) + (t == null ? "" : ", " + (t.mask + 1) + " slots") + "]";
    }
}
