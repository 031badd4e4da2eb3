package io.netbypass.scaling.steering;

import io.netbypass.util.UserException;

/**
 * Linux's per-CPU flow limit ({@code skb_flow_limit}, {@code net.core.flow_limit_*}): once a
 * backlog is at least half full, a flow that owns more than half of the last 128 packets
 * enqueued by this CPU is dropped, so one elephant cannot starve the mice sharing the backlog.
 * The state belongs to the CPU (thread) doing the enqueue, while the queue length is the
 * target's. Single-threaded: one instance per steering thread. Never allocates.
 */
public final class FlowLimit {
    /** {@code FLOW_LIMIT_HISTORY}. */
    public static final int HISTORY = 128;
    /** Default {@code net.core.flow_limit_table_len}. */
    public static final int DEFAULT_BUCKETS = 4096;

    private final int bucketMask;
    private final int[] history = new int[HISTORY];
    private final int[] buckets;
    private int historyHead;
    private long count;

    public FlowLimit() {
        this(DEFAULT_BUCKETS);
    }

    public FlowLimit(int buckets) {
        if (buckets < 1 || Integer.bitCount(buckets) != 1) {
            throw new UserException("flow_limit_table_len must be a power of two, not " + buckets);
        }
        this.bucketMask = buckets - 1;
        this.buckets = new int[buckets];
    }

    /**
     * Whether to drop a packet of flow {@code hash} headed for a backlog holding {@code queueLength}
     * packets. Samples the packet (even one it then drops) once the backlog is half full.
     */
    public boolean shouldDrop(int hash, int queueLength, int maxBacklog) {
        if (queueLength < (maxBacklog >> 1)) {
            return false;
        }
        int newFlow = hash & bucketMask;
        int oldFlow = history[historyHead];
        history[historyHead] = newFlow;
        historyHead = (historyHead + 1) & (HISTORY - 1);
        if (buckets[oldFlow] != 0) {
            buckets[oldFlow]--;
        }
        if (++buckets[newFlow] > (HISTORY >> 1)) {
            count++;
            return true;
        }
        return false;
    }

    /** Packets this limiter dropped ({@code /proc/net/softnet_stat} column 11). */
    public long count() {
        return count;
    }

    public int buckets() {
        return bucketMask + 1;
    }
}
