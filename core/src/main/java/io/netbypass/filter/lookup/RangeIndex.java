package io.netbypass.filter.lookup;

/**
 * Maps every unsigned key of a {@code bits}-wide domain (up to 64 bits) to an int: the domain is
 * cut into consecutive intervals, each with one value. A lookup picks a bucket by the key's top
 * bits, then binary-searches the few intervals that start in it. Immutable; lookups never allocate.
 */
public final class RangeIndex {
    private final long[] starts;
    private final int[] values;
    private final int[] buckets;
    private final int shift;

    /**
     * {@code starts} must begin with 0 and ascend (unsigned); interval {@code i} is
     * {@code [starts[i], starts[i+1])} and maps to {@code values[i]}.
     */
    public RangeIndex(int bits, long[] starts, int[] values) {
        if (bits < 1 || bits > 64 || starts.length == 0 || starts[0] != 0 || starts.length != values.length) {
            throw new IllegalArgumentException("bad range index");
        }
        for (int i = 1; i < starts.length; i++) {
            if (Long.compareUnsigned(starts[i - 1], starts[i]) >= 0) {
                throw new IllegalArgumentException("range starts must ascend");
            }
        }
        this.starts = starts.clone();
        this.values = values.clone();
        int bucketBits = Math.min(Math.min(16, bits), 33 - Integer.numberOfLeadingZeros(starts.length));
        this.shift = bits - bucketBits;
        int n = 1 << bucketBits;
        this.buckets = new int[n + 1];
        int at = 0;
        for (int b = 0; b < n; b++) {
            long first = (long) b << shift;
            while (at + 1 < starts.length && Long.compareUnsigned(starts[at + 1], first) <= 0) {
                at++;
            }
            buckets[b] = at;
        }
        buckets[n] = starts.length - 1;
    }

    public int find(long key) {
        int b = (int) (key >>> shift);
        int lo = buckets[b];
        int hi = buckets[b + 1];
        long[] s = starts;
        if (hi - lo <= 8) {
            // A few candidates: count the starts at or below the key without a data-dependent branch.
            int at = lo;
            for (int i = lo + 1; i <= hi; i++) {
                at += Long.compareUnsigned(s[i], key) <= 0 ? 1 : 0;
            }
            return values[at];
        }
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (Long.compareUnsigned(s[mid], key) <= 0) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return values[lo];
    }

    public int intervals() {
        return starts.length;
    }

    /** Bytes the index takes. */
    public long bytes() {
        return 8L * starts.length + 4L * values.length + 4L * buckets.length;
    }
}
