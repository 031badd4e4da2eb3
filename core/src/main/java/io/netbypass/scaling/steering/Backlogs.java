package io.netbypass.scaling.steering;

import io.netbypass.util.UserException;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/**
 * The per-CPU backlog counters RPS and RFS read ({@code softnet_data}): for each CPU (in the
 * engine, each worker thread) {@code input_queue_tail} counts packets enqueued to it and
 * {@code input_queue_head} packets it has dequeued, both wrapping 32-bit. RFS compares a flow's
 * last tail with the head to know whether the flow still has packets queued there.
 *
 * <p>Any thread may enqueue (tails advance atomically); only the owning worker dequeues.
 * Never allocates after construction.
 */
public final class Backlogs {
    /** Linux's default {@code net.core.netdev_max_backlog}. */
    public static final int DEFAULT_MAX_BACKLOG = 1000;

    private static final VarHandle INTS = MethodHandles.arrayElementVarHandle(int[].class);
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle BOOLEANS = MethodHandles.arrayElementVarHandle(boolean[].class);
    /** Counters of different CPUs sit on different cache lines. */
    private static final int STRIDE = 16;

    private final int cpus;
    private final int[] head;
    private final int[] tail;
    private final long[] dropped;
    private final boolean[] online;
    private volatile int maxBacklog = DEFAULT_MAX_BACKLOG;

    public Backlogs(int cpus) {
        if (cpus < 1 || cpus > RpsFlowTable.NO_CPU) {
            throw new UserException("CPU count " + cpus + " is outside 1.." + (RpsFlowTable.NO_CPU - 1));
        }
        this.cpus = cpus;
        this.head = new int[cpus * STRIDE];
        this.tail = new int[cpus * STRIDE];
        this.dropped = new long[cpus * STRIDE];
        this.online = new boolean[cpus];
        Arrays.fill(online, true);
    }

    /** {@code nr_cpu_ids}. */
    public int cpus() {
        return cpus;
    }

    public boolean isOnline(int cpu) {
        return cpu >= 0 && cpu < cpus && (boolean) BOOLEANS.getOpaque(online, cpu);
    }

    /** Takes a CPU (worker) out of service or back; steering stops choosing an offline one. */
    public void setOnline(int cpu, boolean up) {
        BOOLEANS.setOpaque(online, cpu, up);
    }

    public int maxBacklog() {
        return maxBacklog;
    }

    public void setMaxBacklog(int max) {
        if (max < 0) {
            throw new UserException("netdev_max_backlog must not be negative, not " + max);
        }
        maxBacklog = max;
    }

    public int head(int cpu) {
        return (int) INTS.getAcquire(head, cpu * STRIDE);
    }

    public int tail(int cpu) {
        return (int) INTS.getAcquire(tail, cpu * STRIDE);
    }

    /** Packets queued on {@code cpu} and not yet dequeued. */
    public int queueLength(int cpu) {
        return tail(cpu) - head(cpu);
    }

    /** Counts one enqueue on {@code cpu}; returns the new tail ({@code ++input_queue_tail}). */
    public int incrementTail(int cpu) {
        return (int) INTS.getAndAdd(tail, cpu * STRIDE, 1) + 1;
    }

    /** The owning worker has dequeued {@code n} packets ({@code input_queue_head += n}). */
    public void dequeued(int cpu, int n) {
        int i = cpu * STRIDE;
        INTS.setRelease(head, i, (int) INTS.getOpaque(head, i) + n);
    }

    public void countDrop(int cpu) {
        LONGS.getAndAdd(dropped, cpu * STRIDE, 1L);
    }

    /** Packets refused by {@code cpu}'s backlog: full, or cut by the flow limit. */
    public long dropped(int cpu) {
        return (long) LONGS.getOpaque(dropped, cpu * STRIDE);
    }
}
