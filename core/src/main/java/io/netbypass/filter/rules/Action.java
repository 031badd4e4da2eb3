package io.netbypass.filter.rules;

/**
 * What a rule does with the packets it matches. {@code ratelimit} passes packets within
 * {@code rate} per second (bursts up to {@code burst}) and drops the rest, with one token bucket
 * for the whole rule or one per source, destination or flow; with {@code blockNanos > 0} (per
 * source only) a source that goes over the rate is blocked that long: all its packets dropped.
 */
public record Action(Kind kind, long rate, long burst, Per per, long blockNanos) {
    public enum Kind { DROP, PASS, TX, RATELIMIT }

    /** Whose bucket a rate-limited packet draws from. */
    public enum Per { RULE, SRC, DST, FLOW }

    public Action(Kind kind, long rate, long burst, Per per) {
        this(kind, rate, burst, per, 0);
    }

    public static final Action DROP = new Action(Kind.DROP, 0, 0, Per.RULE);
    public static final Action PASS = new Action(Kind.PASS, 0, 0, Per.RULE);
    public static final Action TX = new Action(Kind.TX, 0, 0, Per.RULE);

    public static Action rateLimit(long rate, long burst, Per per) {
        return new Action(Kind.RATELIMIT, rate, burst, per);
    }

    /** A per-source rate limit that blocks a source over the rate for {@code blockNanos}. */
    public static Action rateLimit(long rate, long burst, Per per, long blockNanos) {
        return new Action(Kind.RATELIMIT, rate, burst, per, blockNanos);
    }

    @Override
    public String toString() {
        return switch (kind) {
            case DROP -> "drop";
            case PASS -> "pass";
            case TX -> "tx";
            case RATELIMIT -> "ratelimit " + rate + "/s burst " + burst + (per == Per.RULE ? "" : " per " + per.name().toLowerCase())
                    + (blockNanos == 0 ? "" : " block " + duration(blockNanos));
        };
    }

    /** The longest block: a week. */
    public static final long MAX_BLOCK_SECONDS = 7 * 86400;

    /**
     * Seconds in a duration as the rule language writes it ({@code 60s}, {@code 10m}, {@code 1h},
     * {@code 1d}), or -1 when it is not one; the caller checks the range.
     */
    public static long durationSeconds(String s) {
        long unit = s.isEmpty() ? 0 : switch (s.charAt(s.length() - 1)) {
            case 's' -> 1;
            case 'm' -> 60;
            case 'h' -> 3600;
            case 'd' -> 86400;
            default -> 0;
        };
        String digits = s.isEmpty() ? "" : s.substring(0, s.length() - 1);
        if (unit == 0 || digits.isEmpty() || digits.length() > 7 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return -1;
        }
        return Long.parseLong(digits) * unit;
    }

    /** A duration as the rule language writes it: {@code 90s}, {@code 5m}, {@code 2h}. */
    public static String duration(long nanos) {
        long s = nanos / 1_000_000_000L;
        return s % 3600 == 0 ? s / 3600 + "h" : s % 60 == 0 ? s / 60 + "m" : s + "s";
    }
}
