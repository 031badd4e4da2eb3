package io.netbypass.filter.rules;

import io.netbypass.util.UserException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A set of unsigned numbers in {@code 0..max}, as sorted disjoint inclusive ranges. Written
 * {@code 53}, {@code 1024-65535}, {@code <1024}, {@code >=512}, or a comma list of those.
 */
public final class NumberSet {
    private final long[] low;
    private final long[] high;

    private NumberSet(long[] low, long[] high) {
        this.low = low;
        this.high = high;
    }

    public static NumberSet range(long from, long to) {
        return new NumberSet(new long[] {from}, new long[] {to});
    }

    public static NumberSet of(long value) {
        return range(value, value);
    }

    /**
     * Parses the text form; {@code what} names the field in errors ("port", "TTL"). Throws
     * IllegalArgumentException with a message that says what is wrong.
     */
    public static NumberSet parse(String text, long max, String what) {
        if (text.isEmpty()) {
            throw new UserException("missing " + what);
        }
        List<long[]> ranges = new ArrayList<>();
        for (String part : text.split(",", -1)) {
            long from;
            long to;
            if (part.startsWith("<=")) {
                from = 0;
                to = number(part.substring(2), max, what);
            } else if (part.startsWith(">=")) {
                from = number(part.substring(2), max, what);
                to = max;
            } else if (part.startsWith("<")) {
                from = 0;
                to = number(part.substring(1), max, what) - 1;
                if (to < 0) {
                    throw new UserException(what + " " + part + " matches nothing");
                }
            } else if (part.startsWith(">")) {
                from = number(part.substring(1), max, what) + 1;
                to = max;
                if (from > max) {
                    throw new UserException(what + " " + part + " matches nothing (the largest is " + max + ")");
                }
            } else {
                int dash = part.indexOf('-');
                if (dash >= 0) {
                    from = number(part.substring(0, dash), max, what);
                    to = number(part.substring(dash + 1), max, what);
                    if (from > to) {
                        throw new UserException(what + " range " + part + " is backwards");
                    }
                } else {
                    from = number(part, max, what);
                    to = from;
                }
            }
            ranges.add(new long[] {from, to});
        }
        return normalized(ranges);
    }

    private static long number(String text, long max, String what) {
        if (text.isEmpty()) {
            throw new UserException("missing " + what + " number");
        }
        long v;
        try {
            if (text.startsWith("0x") || text.startsWith("0X")) {
                v = Long.parseLong(text.substring(2), 16);
            } else {
                if (!text.chars().allMatch(c -> c >= '0' && c <= '9')) {
                    throw new NumberFormatException();
                }
                v = Long.parseLong(text);
            }
        } catch (NumberFormatException e) {
            throw new UserException("'" + text + "' is not a " + what + " number");
        }
        if (v < 0 || v > max) {
            throw new UserException(what + " " + text + " is out of range 0-" + max);
        }
        return v;
    }

    private static NumberSet normalized(List<long[]> ranges) {
        ranges.sort((a, b) -> Long.compare(a[0], b[0]));
        List<long[]> merged = new ArrayList<>();
        for (long[] r : ranges) {
            if (!merged.isEmpty() && r[0] <= merged.getLast()[1] + 1) {
                merged.getLast()[1] = Math.max(merged.getLast()[1], r[1]);
            } else {
                merged.add(r.clone());
            }
        }
        long[] lo = new long[merged.size()];
        long[] hi = new long[merged.size()];
        for (int i = 0; i < lo.length; i++) {
            lo[i] = merged.get(i)[0];
            hi[i] = merged.get(i)[1];
        }
        return new NumberSet(lo, hi);
    }

    public int ranges() {
        return low.length;
    }

    public long low(int i) {
        return low[i];
    }

    public long high(int i) {
        return high[i];
    }

    public boolean contains(long v) {
        for (int i = 0; i < low.length; i++) {
            if (v >= low[i] && v <= high[i]) {
                return true;
            }
        }
        return false;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NumberSet n && Arrays.equals(low, n.low) && Arrays.equals(high, n.high);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(low) * 31 + Arrays.hashCode(high);
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < low.length; i++) {
            if (i > 0) {
                b.append(',');
            }
            b.append(low[i]);
            if (high[i] != low[i]) {
                b.append('-').append(high[i]);
            }
        }
        return b.toString();
    }
}
