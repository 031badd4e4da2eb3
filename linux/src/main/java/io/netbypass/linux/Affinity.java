package io.netbypass.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/** CPU affinity of the calling thread: {@code sched_setaffinity(2)} through the FFM API. */
public final class Affinity {
    /** glibc's cpu_set_t: 1024 CPUs. */
    public static final int MAX_CPUS = 1024;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final MemoryLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle SET = LINKER.downcallHandle(
            LINKER.defaultLookup().find("sched_setaffinity").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS),
            Linker.Option.captureCallState("errno"));
    private static final MethodHandle GET = LINKER.downcallHandle(
            LINKER.defaultLookup().find("sched_getaffinity").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS),
            Linker.Option.captureCallState("errno"));

    private Affinity() {
    }

    /** Pins the calling thread to {@code cpu}; a CPU that does not exist or is not allowed is a one-line error. */
    public static void pin(int cpu) {
        if (cpu < 0 || cpu >= MAX_CPUS) {
            throw new IllegalArgumentException("CPU " + cpu + " is out of range 0-" + (MAX_CPUS - 1));
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment set = arena.allocate(MAX_CPUS / 8, 8);
            set.set(ValueLayout.JAVA_LONG, (cpu / 64) * 8L, 1L << (cpu % 64));
            MemorySegment state = arena.allocate(CALL_STATE);
            int rc = (int) SET.invokeExact(state, 0, (long) (MAX_CPUS / 8), set);
            if (rc != 0) {
                int errno = (int) ERRNO.get(state, 0L);
                throw new IllegalArgumentException("cannot pin to CPU " + cpu + ": " + (errno == 22
                        ? "no such CPU, or not in this process's allowed set (allowed: " + allowed() + ")"
                        : "sched_setaffinity failed, errno " + errno));
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("sched_setaffinity: " + t, t);
        }
    }

    /** The CPUs the calling thread may run on, as a list such as "0-3,6". */
    public static String allowed() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment set = arena.allocate(MAX_CPUS / 8, 8);
            MemorySegment state = arena.allocate(CALL_STATE);
            int rc = (int) GET.invokeExact(state, 0, (long) (MAX_CPUS / 8), set);
            if (rc != 0) {
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
        } catch (Throwable t) {
            return "unknown";
        }
    }

    private static boolean isSet(MemorySegment set, int cpu) {
        return (set.get(ValueLayout.JAVA_LONG, (cpu / 64) * 8L) & (1L << (cpu % 64))) != 0;
    }
}
