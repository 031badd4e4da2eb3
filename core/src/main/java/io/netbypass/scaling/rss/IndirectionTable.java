package io.netbypass.scaling.rss;

import io.netbypass.util.UserException;
import java.util.Arrays;

/**
 * The RSS indirection table: {@code queue = indir[hash & (size - 1)]}. Filled the way
 * {@code ethtool -X} fills it ({@code default}, {@code equal N}, {@code weight W...}, each with
 * an optional {@code start}), with ethtool's unsigned 32-bit arithmetic and its refusals.
 * Lookups never allocate; a new layout is built off to the side and swapped in whole.
 */
public final class IndirectionTable {
    public static final int MIN_SIZE = 1;
    public static final int MAX_SIZE = 16384;

    private final int[] entries;
    private final int mask;

    private IndirectionTable(int[] entries) {
        this.entries = entries;
        this.mask = entries.length - 1;
    }

    private static int[] sized(int size) {
        if (size < MIN_SIZE || size > MAX_SIZE || Integer.bitCount(size) != 1) {
            throw new UserException("indirection table size " + Integer.toUnsignedString(size)
                    + " is not a power of two between " + MIN_SIZE + " and " + MAX_SIZE);
        }
        return new int[size];
    }

    /** The kernel's default ({@code ethtool_rxfh_indir_default}): {@code indir[i] = i % rings}. */
    public static IndirectionTable defaultFill(int size, int rings) {
        if (rings < 1) {
            throw new UserException("a device needs at least one RX ring, not " + rings);
        }
        int[] e = sized(size);
        for (int i = 0; i < size; i++) {
            e[i] = i % rings;
        }
        return new IndirectionTable(e);
    }

    /** {@code ethtool -X dev equal N [start S]}: {@code indir[i] = S + i % N}. */
    public static IndirectionTable equal(int size, int n, int start) {
        if (n < 1) {
            throw new IndirectionException("equal needs at least one queue, not " + n);
        }
        if (start < 0) {
            throw new IndirectionException("start must not be negative, not " + start);
        }
        int[] e = sized(size);
        for (int i = 0; i < size; i++) {
            e[i] = start + i % n;
        }
        return new IndirectionTable(e);
    }

    /**
     * {@code ethtool -X dev weight W0 W1 ... [start S]}: queue {@code S + j} gets a share of the
     * entries proportional to {@code Wj}; a weight of 0 takes the queue out of RSS. ethtool's
     * integer walk, reproduced in unsigned 32-bit arithmetic so that rounding matches it entry
     * for entry.
     */
    public static IndirectionTable weight(int size, int[] weights, int start) {
        if (start < 0) {
            throw new IndirectionException("start must not be negative, not " + start);
        }
        int[] e = sized(size);
        int sum = 0;
        for (int w : weights) {
            sum += w; // u32 wrap-around, as ethtool
        }
        if (sum == 0) {
            throw new IndirectionException("At least one weight must be non-zero");
        }
        if (Integer.compareUnsigned(sum, size) > 0) {
            throw new IndirectionException("Total weight exceeds the size of the indirection table");
        }
        int j = -1;
        int partial = 0;
        for (int i = 0; i < size; i++) {
            while (Integer.compareUnsigned(i, Integer.divideUnsigned(size * partial, sum)) >= 0) {
                if (++j == weights.length) {
                    // only reachable when 32-bit weights wrap the sum; ethtool would read past its list
                    throw new IndirectionException("weights overflow 32 bits");
                }
                partial += weights[j];
            }
            e[i] = start + j;
        }
        return new IndirectionTable(e);
    }

    /** A table given entry by entry (as read back from a device). */
    public static IndirectionTable of(int[] entries) {
        int[] e = sized(entries.length);
        for (int i = 0; i < entries.length; i++) {
            if (entries[i] < 0) {
                throw new UserException("indirection entry " + i + " is negative: " + entries[i]);
            }
            e[i] = entries[i];
        }
        return new IndirectionTable(e);
    }

    public int size() {
        return entries.length;
    }

    public int entry(int index) {
        return entries[index];
    }

    /** Index into the table for a hash: its low bits. */
    public int index(int hash) {
        return hash & mask;
    }

    public int queue(int hash) {
        return entries[hash & mask];
    }

    /** The highest queue the table names. */
    public int maxQueue() {
        int max = 0;
        for (int e : entries) {
            max = Math.max(max, e);
        }
        return max;
    }

    /** How many entries point at {@code queue}. */
    public int entriesFor(int queue) {
        int n = 0;
        for (int e : entries) {
            if (e == queue) {
                n++;
            }
        }
        return n;
    }

    /** The kernel refuses a table naming a ring the device does not have; so do we, whole. */
    public void checkRings(int rings) {
        for (int i = 0; i < entries.length; i++) {
            if (entries[i] >= rings) {
                throw new IndirectionException("indirection entry " + i + " names queue " + entries[i]
                        + " but the device has " + rings + " RX ring(s)");
            }
        }
    }

    /** {@code ethtool -x}'s table rows: 8 entries a row, {@code "%5u: "} then {@code " %5u"} each. */
    public String formatRows() {
        StringBuilder b = new StringBuilder(entries.length * 7);
        for (int i = 0; i < entries.length; i++) {
            if (i % 8 == 0) {
                b.append(String.format("%5d: ", i));
            }
            b.append(String.format(" %5d", entries[i]));
            if (i % 8 == 7 || i == entries.length - 1) {
                b.append('\n');
            }
        }
        return b.toString();
    }

    public int[] toArray() {
        return entries.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IndirectionTable t && Arrays.equals(entries, t.entries);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(entries);
    }
}
