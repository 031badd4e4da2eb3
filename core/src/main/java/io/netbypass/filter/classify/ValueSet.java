package io.netbypass.filter.classify;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;

/**
 * Compile time only: the values of one packet field a test accepts, as sorted disjoint
 * inclusive ranges over {@code 0..max}, plus whether a packet without the field is accepted.
 */
final class ValueSet {
    final List<BigInteger[]> ranges;
    final boolean absent;

    ValueSet(List<BigInteger[]> ranges, boolean absent) {
        this.ranges = ranges;
        this.absent = absent;
    }

    static ValueSet range(long from, long to) {
        return range(BigInteger.valueOf(from), BigInteger.valueOf(to));
    }

    static ValueSet range(BigInteger from, BigInteger to) {
        List<BigInteger[]> r = new ArrayList<>();
        r.add(new BigInteger[] {from, to});
        return new ValueSet(r, false);
    }

    static ValueSet of(long value) {
        return range(value, value);
    }

    static ValueSet ofRanges(List<long[]> ranges) {
        List<BigInteger[]> r = new ArrayList<>();
        for (long[] x : ranges) {
            r.add(new BigInteger[] {BigInteger.valueOf(x[0]), BigInteger.valueOf(x[1])});
        }
        return normalize(r, false);
    }

    private static ValueSet normalize(List<BigInteger[]> in, boolean absent) {
        List<BigInteger[]> sorted = new ArrayList<>(in);
        sorted.sort((a, b) -> a[0].compareTo(b[0]));
        List<BigInteger[]> out = new ArrayList<>();
        for (BigInteger[] r : sorted) {
            if (!out.isEmpty() && r[0].compareTo(out.getLast()[1].add(BigInteger.ONE)) <= 0) {
                BigInteger[] last = out.getLast();
                if (r[1].compareTo(last[1]) > 0) {
                    out.set(out.size() - 1, new BigInteger[] {last[0], r[1]});
                }
            } else {
                out.add(r);
            }
        }
        return new ValueSet(out, absent);
    }

    ValueSet complement(BigInteger max) {
        List<BigInteger[]> out = new ArrayList<>();
        BigInteger next = BigInteger.ZERO;
        for (BigInteger[] r : ranges) {
            if (r[0].compareTo(next) > 0) {
                out.add(new BigInteger[] {next, r[0].subtract(BigInteger.ONE)});
            }
            next = r[1].add(BigInteger.ONE);
        }
        if (next.compareTo(max) <= 0) {
            out.add(new BigInteger[] {next, max});
        }
        return new ValueSet(out, !absent);
    }

    ValueSet intersect(ValueSet o) {
        List<BigInteger[]> out = new ArrayList<>();
        int i = 0;
        int j = 0;
        while (i < ranges.size() && j < o.ranges.size()) {
            BigInteger[] a = ranges.get(i);
            BigInteger[] b = o.ranges.get(j);
            BigInteger lo = a[0].max(b[0]);
            BigInteger hi = a[1].min(b[1]);
            if (lo.compareTo(hi) <= 0) {
                out.add(new BigInteger[] {lo, hi});
            }
            if (a[1].compareTo(b[1]) < 0) {
                i++;
            } else {
                j++;
            }
        }
        return new ValueSet(out, absent && o.absent);
    }

    /**
     * The intersection of many sets in one sweep over their ranges (a value is in it when every
     * set covers it): sorting the edges, not intersecting one set after another.
     */
    static ValueSet intersectAll(List<ValueSet> sets) {
        if (sets.size() == 1) {
            return sets.getFirst();
        }
        record Edge(BigInteger at, int delta) {
        }
        List<Edge> edges = new ArrayList<>();
        boolean absent = true;
        for (ValueSet s : sets) {
            absent &= s.absent;
            for (BigInteger[] r : s.ranges) {
                edges.add(new Edge(r[0], 1));
                edges.add(new Edge(r[1].add(BigInteger.ONE), -1));
            }
        }
        edges.sort((a, b) -> a.at.compareTo(b.at));
        int need = sets.size();
        int covered = 0;
        List<BigInteger[]> out = new ArrayList<>();
        BigInteger start = null;
        for (int i = 0; i < edges.size(); ) {
            BigInteger at = edges.get(i).at;
            while (i < edges.size() && edges.get(i).at.equals(at)) {
                covered += edges.get(i++).delta;
            }
            if (covered == need && start == null) {
                start = at;
            } else if (covered < need && start != null) {
                out.add(new BigInteger[] {start, at.subtract(BigInteger.ONE)});
                start = null;
            }
        }
        return new ValueSet(out, absent);
    }

    boolean isEmpty() {
        return ranges.isEmpty() && !absent;
    }

    boolean contains(BigInteger v) {
        for (BigInteger[] r : ranges) {
            if (r[0].compareTo(v) <= 0 && v.compareTo(r[1]) <= 0) {
                return true;
            }
        }
        return false;
    }
}
