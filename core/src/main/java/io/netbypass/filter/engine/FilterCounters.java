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

    /** A snapshot, for per-second differences. */
    public long[] snapshot() {
        return new long[] {received, receivedBytes, udp, dropped, passed, transmitted, limited, malformed, txRingFull};
    }

    public static final String[] NAMES = {"rx", "rx_bytes", "udp", "dropped", "passed", "tx", "rate_limited", "malformed",
            "tx_ring_full"};
}
