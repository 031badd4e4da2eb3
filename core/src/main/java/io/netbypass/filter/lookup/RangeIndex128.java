package io.netbypass.filter.lookup;

/** {@link RangeIndex} for 128-bit keys (IPv6 addresses as big-endian high and low halves). */
public final class RangeIndex128 {
    private final long[] startHigh;
    private final long[] startLow;
    private final int[] values;
    private final int[] buckets;
    private final int shift;

    public RangeIndex128(long[] startHigh, long[] startLow, int[] values) {
        int n = startHigh.length;
        if (n == 0 || startHigh[0] != 0 || startLow[0] != 0 || startLow.length != n || values.length != n) {
            throw new IllegalArgumentException("bad range index");
        }
        for (int i = 1; i < n; i++) {
            if (compare(startHigh[i - 1], startLow[i - 1], startHigh[i], startLow[i]) >= 0) {
                throw new IllegalArgumentException("range starts must ascend");
            }
        }
        this.startHigh = startHigh.clone();
        this.startLow = startLow.clone();
        this.values = values.clone();
        int bucketBits = Math.min(16, 33 - Integer.numberOfLeadingZeros(n));
        this.shift = 64 - bucketBits;
        int buckets = 1 << bucketBits;
        this.buckets = new int[buckets + 1];
        int at = 0;
        for (int b = 0; b < buckets; b++) {
            long first = (long) b << shift;
            while (at + 1 < n && compare(startHigh[at + 1], startLow[at + 1], first, 0) <= 0) {
                at++;
            }
            this.buckets[b] = at;
        }
        this.buckets[buckets] = n - 1;
    }

    static int compare(long aHigh, long aLow, long bHigh, long bLow) {
        int c = Long.compareUnsigned(aHigh, bHigh);
        return c != 0 ? c : Long.compareUnsigned(aLow, bLow);
    }

    public int find(long high, long low) {
        int b = (int) (high >>> shift);
        int lo = buckets[b];
        int hi = buckets[b + 1];
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            int c = Long.compareUnsigned(startHigh[mid], high);
            if (c < 0 || (c == 0 && Long.compareUnsigned(startLow[mid], low) <= 0)) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return values[lo];
    }

    public int intervals() {
        return startHigh.length;
    }

    /** Bytes the index takes. */
    public long bytes() {
        return 8L * startHigh.length + 8L * startLow.length + 4L * values.length + 4L * buckets.length;
    }
}
