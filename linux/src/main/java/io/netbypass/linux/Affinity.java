package io.netbypass.linux;

import io.netbypass.util.UserException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Where and how the calling thread runs: CPU affinity ({@code sched_setaffinity(2)}) and the
 * scheduling policy ({@code sched_setscheduler(2)}), through {@link Native}.
 */
public final class Affinity {
    /** glibc's cpu_set_t: 1024 CPUs. */
    public static final int MAX_CPUS = 1024;

    private Affinity() {
    }

    /** Pins the calling thread to {@code cpu}; a CPU that does not exist or is not allowed is a one-line error. */
    public static void pin(int cpu) {
        if (cpu < 0 || cpu >= MAX_CPUS) {
            throw new UserException("CPU " + cpu + " is out of range 0-" + (MAX_CPUS - 1));
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment set = arena.allocate(MAX_CPUS / 8, 8);
            set.set(ValueLayout.JAVA_LONG, (cpu / 64) * 8L, 1L << (cpu % 64));
            int rc = Native.setAffinity(set);
            if (rc != 0) {
                throw new UserException("cannot pin to CPU " + cpu + ": " + (rc == -Errno.EINVAL
                        ? "no such CPU, or not in this process's allowed set (allowed: " + allowed() + ")"
                        : "sched_setaffinity failed, errno " + -rc));
            }
        }
    }

    private static final int SCHED_OTHER = 0;
    private static final int SCHED_BATCH = 3;

    /**
     * Puts the calling thread under SCHED_BATCH: it does not preempt on wakeup, so where it shares
     * a CPU with the kernel's receive work (a NAPI thread) the kernel finishes delivering a batch
     * before the thread runs: fewer, larger batches for the same CPU. Fair sharing stays, so the
     * rings must hold what arrives meanwhile (deeper RX rings).
     */
    public static void batchScheduling() {
        int rc = Native.setScheduler(SCHED_BATCH, 0);
        if (rc != 0) {
            throw new UserException("cannot use SCHED_BATCH: sched_setscheduler failed, errno " + -rc);
        }
    }

    /** Back to the normal policy (SCHED_OTHER). */
    public static void normalScheduling() {
        Native.setScheduler(SCHED_OTHER, 0);
    }

    /** The CPUs the calling thread may run on, as a list such as "0-3,6". */
    public static String allowed() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment set = arena.allocate(MAX_CPUS / 8, 8);
            if (Native.getAffinity(set) != 0) {
                return "unknown";
            }
            StringBuilder b = new StringBuilder();
            int cpu = 0;
            while (cpu < MAX_CPUS) {
                if (!isSet(set, cpu)) {
                    cpu++;
                    continue;
                }
                int end = cpu;
                while (end + 1 < MAX_CPUS && isSet(set, end + 1)) {
                    end++;
                }
                b.append(b.isEmpty() ? "" : ",").append(cpu).append(end > cpu ? "-" + end : "");
                cpu = end + 1;
            }
            return b.toString();
        }
    }

    private static boolean isSet(MemorySegment set, int cpu) {
        return (set.get(ValueLayout.JAVA_LONG, (cpu / 64) * 8L) & (1L << (cpu % 64))) != 0;
    }
}
