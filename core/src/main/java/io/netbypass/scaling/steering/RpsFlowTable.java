package io.netbypass.scaling.steering;

import io.netbypass.util.UserException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/**
 * An RX queue's RFS flow table ({@code rps_dev_flow_table}, sized by {@code rps_flow_cnt}): for
 * each hash bucket, the CPU the flow is being steered to now, the tail of that CPU's backlog
 * when the flow's last packet was queued there, and the aRFS filter id.
 */
public final class RpsFlowTable {
    public static final int NO_CPU = 0xffff;
    public static final int NO_FILTER = 0xffff;
    /** Java arrays bound the table; the kernel's only bound is memory. */
    public static final int MAX_ENTRIES = 1 << 26;

    private static final VarHandle INTS = MethodHandles.arrayElementVarHandle(int[].class);

    final int mask;
    final int[] cpu;
    final int[] lastQtail;
    final int[] filter;

    private RpsFlowTable(int entries) {
        mask = entries - 1;
        cpu = new int[entries];
        lastQtail = new int[entries];
        filter = new int[entries];
        Arrays.fill(cpu, NO_CPU);
        Arrays.fill(filter, NO_FILTER);
    }

    /**
     * What writing {@code count} to {@code rps_flow_cnt} creates: {@code null} for 0 (RFS off for
     * the queue), else a fresh table of {@code roundup_pow_of_two(count)} entries, all state lost.
     */
    public static RpsFlowTable ofCount(long count) {
        if (count < 0 || count > MAX_ENTRIES) {
            throw new UserException("rps_flow_cnt " + count + " is outside 0.." + MAX_ENTRIES);
        }
        return count == 0 ? null : new RpsFlowTable(ReciprocalScale.roundUpPowerOfTwo((int) count));
    }

    public int size() {
        return mask + 1;
    }

    public int index(int hash) {
        return hash & mask;
    }

    public int cpu(int index) {
        return (int) INTS.getOpaque(cpu, index);
    }

    public int lastQtail(int index) {
        return (int) INTS.getOpaque(lastQtail, index);
    }

    public int filter(int index) {
        return (int) INTS.getOpaque(filter, index);
    }

    void setCpu(int index, int value) {
        INTS.setOpaque(cpu, index, value);
    }

    void setLastQtail(int index, int value) {
        INTS.setOpaque(lastQtail, index, value);
    }

    void setFilter(int index, int value) {
        INTS.setOpaque(filter, index, value);
    }
}
