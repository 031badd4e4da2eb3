package io.netbypass.scaling.steering;

import io.netbypass.util.UserException;
import java.util.BitSet;

/**
 * A set of CPUs (or worker threads) in Linux's sysfs hex form: 32-bit groups, most significant
 * first, separated by commas ({@code "00000000,0000000f"}, {@code "f"}, {@code "0"}).
 */
public final class CpuMask {
    private final BitSet bits;

    private CpuMask(BitSet bits) {
        this.bits = bits;
    }

    public static CpuMask of(int... cpus) {
        BitSet b = new BitSet();
        for (int c : cpus) {
            if (c < 0) {
                throw new UserException("negative CPU " + c);
            }
            b.set(c);
        }
        return new CpuMask(b);
    }

    /** CPUs 0 .. n-1. */
    public static CpuMask first(int n) {
        BitSet b = new BitSet();
        b.set(0, n);
        return new CpuMask(b);
    }

    public static CpuMask parse(String text) {
        String s = text.trim();
        if (s.isEmpty()) {
            throw new UserException("empty CPU mask");
        }
        String[] groups = s.split(",", -1);
        BitSet b = new BitSet();
        int shift = 0;
        for (int g = groups.length - 1; g >= 0; g--, shift += 32) {
            String group = groups[g];
            if (group.isEmpty() || group.length() > 8 || !group.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
                throw new UserException("bad CPU mask '" + text + "': groups are 1-8 hex digits");
            }
            long v = Long.parseLong(group, 16);
            for (int i = 0; i < 32; i++) {
                if ((v >>> i & 1) != 0) {
                    b.set(shift + i);
                }
            }
        }
        return new CpuMask(b);
    }

    public boolean contains(int cpu) {
        return cpu >= 0 && bits.get(cpu);
    }

    public boolean isEmpty() {
        return bits.isEmpty();
    }

    public int count() {
        return bits.cardinality();
    }

    /** The CPUs in ascending order. */
    public int[] cpus() {
        return bits.stream().toArray();
    }

    public CpuMask and(CpuMask other) {
        BitSet b = (BitSet) bits.clone();
        b.and(other.bits);
        return new CpuMask(b);
    }

    /** sysfs form with {@code groups} 32-bit groups at least (Linux writes one per 32 possible CPUs). */
    public String format(int groups) {
        int needed = Math.max(groups, (bits.length() + 31) / 32);
        StringBuilder b = new StringBuilder();
        for (int g = needed - 1; g >= 0; g--) {
            long v = 0;
            for (int i = 0; i < 32; i++) {
                if (bits.get(g * 32 + i)) {
                    v |= 1L << i;
                }
            }
            b.append(String.format("%08x", v));
            if (g > 0) {
                b.append(',');
            }
        }
        return b.toString();
    }

    @Override
    public String toString() {
        return format(1);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CpuMask m && bits.equals(m.bits);
    }

    @Override
    public int hashCode() {
        return bits.hashCode();
    }
}
