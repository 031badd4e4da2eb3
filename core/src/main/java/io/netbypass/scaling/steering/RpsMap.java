package io.netbypass.scaling.steering;

import java.util.Arrays;

/**
 * An RX queue's {@code rps_cpus}: the CPUs that were in the mask and online when it was set,
 * ascending. A hash picks {@code cpus[reciprocal_scale(hash, len)]}.
 */
public final class RpsMap {
    private final int[] cpus;

    private RpsMap(int[] cpus) {
        this.cpus = cpus;
    }

    /** The map Linux builds from a written mask; {@code null} (RPS off) when no CPU qualifies. */
    public static RpsMap of(CpuMask mask, Backlogs backlogs) {
        int[] candidates = mask.cpus();
        int n = 0;
        int[] kept = new int[candidates.length];
        for (int cpu : candidates) {
            if (backlogs.isOnline(cpu)) {
                kept[n++] = cpu;
            }
        }
        return n == 0 ? null : new RpsMap(Arrays.copyOf(kept, n));
    }

    public int length() {
        return cpus.length;
    }

    public int cpu(int index) {
        return cpus[index];
    }

    public int cpuFor(int hash) {
        return cpus[ReciprocalScale.scale(hash, cpus.length)];
    }

    public CpuMask toMask() {
        return CpuMask.of(cpus);
    }
}
