package io.netbypass.filter.engine;

/**
 * One block of {@link FilterCounter}s: a worker's, or the offline filter's, or a sum of them.
 * Written by one thread only; other threads read it with a short delay (plain reads of longs, as
 * Aeron's readers of a counter do). The values sit between padding, so two workers' blocks never
 * share a cache line.
 */
public final class FilterCounters {
    private static final int PAD = 8;
    /** Indexed by {@link FilterCounter#ordinal()} + PAD. */
    final long[] values = new long[FilterCounter.COUNT + 2 * PAD];

    public long get(FilterCounter c) {
        return values[PAD + c.ordinal()];
    }

    /** Positions in {@link #values} of the data path's counters (static finals: constants to the JIT). */
    static final int RECEIVED = at(FilterCounter.RECEIVED), RECEIVED_BYTES = at(FilterCounter.RECEIVED_BYTES),
            UDP = at(FilterCounter.UDP), DROPPED = at(FilterCounter.DROPPED), PASSED = at(FilterCounter.PASSED),
            TRANSMITTED = at(FilterCounter.TRANSMITTED), LIMITED = at(FilterCounter.LIMITED), BLOCKED = at(FilterCounter.BLOCKED),
            MALFORMED = at(FilterCounter.MALFORMED), TX_RING_FULL = at(FilterCounter.TX_RING_FULL),
            RELOADS = at(FilterCounter.RELOADS), ERRORS = at(FilterCounter.ERRORS);

    private static int at(FilterCounter c) {
        return PAD + c.ordinal();
    }

    public long received() { return get(FilterCounter.RECEIVED); }
    public long receivedBytes() { return get(FilterCounter.RECEIVED_BYTES); }
    public long udp() { return get(FilterCounter.UDP); }
    public long dropped() { return get(FilterCounter.DROPPED); }
    public long passed() { return get(FilterCounter.PASSED); }
    public long transmitted() { return get(FilterCounter.TRANSMITTED); }
    public long limited() { return get(FilterCounter.LIMITED); }
    public long blocked() { return get(FilterCounter.BLOCKED); }
    public long malformed() { return get(FilterCounter.MALFORMED); }
    public long txRingFull() { return get(FilterCounter.TX_RING_FULL); }
    public long reloads() { return get(FilterCounter.RELOADS); }
    public long errors() { return get(FilterCounter.ERRORS); }

    /** The values now, indexed by {@link FilterCounter#ordinal()}, for per-interval differences. */
    public long[] snapshot() {
        long[] s = new long[FilterCounter.COUNT];
        System.arraycopy(values, PAD, s, 0, s.length);
        return s;
    }

    /** Adds this block's values into {@code into} (indexed by ordinal). */
    public void addTo(long[] into) {
        for (int i = 0; i < FilterCounter.COUNT; i++) {
            into[i] += values[PAD + i];
        }
    }

    /** A block holding these values (a snapshot or a sum), for the summary. */
    public static FilterCounters of(long[] snapshot) {
        FilterCounters c = new FilterCounters();
        System.arraycopy(snapshot, 0, c.values, PAD, FilterCounter.COUNT);
        return c;
    }
}
