package io.netbypass.filter.engine;

/**
 * Port-level counts of one filter worker. Written by the worker only; other threads see them
 * with a short delay (plain reads of longs).
 */
public final class FilterCounters {
    long received;
    long receivedBytes;
    long udp;
    long dropped;
    long passed;
    long transmitted;
    long limited;
    long malformed;
    /** TX verdicts that found the TX ring full even after a sync: dropped, counted here. */
    long txRingFull;
    /** Rule sets swapped in while running. */
    long reloads;

    public long received() { return received; }
    public long receivedBytes() { return receivedBytes; }
    public long udp() { return udp; }
    public long dropped() { return dropped; }
    public long passed() { return passed; }
    public long transmitted() { return transmitted; }
    public long limited() { return limited; }
    public long malformed() { return malformed; }
    public long txRingFull() { return txRingFull; }
    public long reloads() { return reloads; }

    /** Positions in a {@link #snapshot()}. */
    public static final int RECEIVED = 0, RECEIVED_BYTES = 1, UDP = 2, DROPPED = 3, PASSED = 4, TRANSMITTED = 5, LIMITED = 6,
            MALFORMED = 7, TX_RING_FULL = 8;

    /** A snapshot, for per-interval differences (indexed by the constants above). */
    public long[] snapshot() {
        return new long[] {received, receivedBytes, udp, dropped, passed, transmitted, limited, malformed, txRingFull};
    }
}
