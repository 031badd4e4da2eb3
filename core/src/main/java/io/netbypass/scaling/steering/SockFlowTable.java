package io.netbypass.scaling.steering;

import io.netbypass.util.UserException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/**
 * The global RFS table ({@code rps_sock_flow_table}, sized by {@code rps_sock_flow_entries}):
 * where each flow was last consumed. An entry holds the flow hash's upper bits and the CPU in
 * the low bits: {@code (hash & ~cpuMask) | cpu}, with {@code cpuMask = roundup_pow_of_two(nr_cpus) - 1}.
 * In the engine, a worker records every flow it consumes, so RFS keeps the flow on that worker.
 */
public final class SockFlowTable {
    /** The kernel refuses larger sizes (to keep the allocation from overflowing). */
    public static final int MAX_ENTRIES = 1 << 29;
    /** Java arrays cap what we can hold; writes between this and MAX_ENTRIES are refused with a reason. */
    public static final int MAX_ALLOCATABLE = 1 << 28;

    private static final VarHandle INTS = MethodHandles.arrayElementVarHandle(int[].class);

    private final int[] entries;
    private final int mask;
    private final int cpuMask;

    private SockFlowTable(int size, int cpus) {
        entries = new int[size];
        mask = size - 1;
        cpuMask = ReciprocalScale.roundUpPowerOfTwo(cpus) - 1;
        Arrays.fill(entries, RpsFlowTable.NO_CPU);
    }

    /**
     * What writing {@code requested} to {@code rps_sock_flow_entries} creates: {@code null} for 0
     * (RFS off), else {@code roundup_pow_of_two(requested)} entries reset to "no CPU".
     */
    public static SockFlowTable ofEntries(long requested, int cpus) {
        if (requested < 0 || requested > MAX_ENTRIES) {
            throw new UserException("rps_sock_flow_entries " + requested + " is outside 0.." + MAX_ENTRIES);
        }
        if (requested > MAX_ALLOCATABLE) {
            throw new UserException("rps_sock_flow_entries " + requested + " is above what this engine holds ("
                    + MAX_ALLOCATABLE + ")");
        }
        return requested == 0 ? null : new SockFlowTable(ReciprocalScale.roundUpPowerOfTwo((int) requested), cpus);
    }

    public int size() {
        return mask + 1;
    }

    public int cpuMask() {
        return cpuMask;
    }

    public int entry(int hash) {
        return (int) INTS.getOpaque(entries, hash & mask);
    }

    /**
     * {@code rps_record_sock_flow}: the consumer of flow {@code hash} runs on {@code cpu}. Hash 0
     * means "no hash" and is never recorded; an unchanged entry is not rewritten (no cache-line
     * ping-pong when a flow stays put).
     */
    public void record(int hash, int cpu) {
        if (hash == 0) {
            return;
        }
        int index = hash & mask;
        int value = (hash & ~cpuMask) | cpu;
        if ((int) INTS.getOpaque(entries, index) != value) {
            INTS.setOpaque(entries, index, value);
        }
    }
}
