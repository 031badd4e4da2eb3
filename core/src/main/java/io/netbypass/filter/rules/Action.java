package io.netbypass.filter.rules;

/**
 * What a rule does with the packets it matches. {@code ratelimit} passes packets within
 * {@code rate} per second (bursts up to {@code burst}) and drops the rest, with one token bucket
 * for the whole rule or one per source, destination or flow.
 */
public record Action(Kind kind, long rate, long burst, Per per) {
    public enum Kind { DROP, PASS, TX, RATELIMIT }

    /** Whose bucket a rate-limited packet draws from. */
    public enum Per { RULE, SRC, DST, FLOW }

    public static final Action DROP = new Action(Kind.DROP, 0, 0, Per.RULE);
    public static final Action PASS = new Action(Kind.PASS, 0, 0, Per.RULE);
    public static final Action TX = new Action(Kind.TX, 0, 0, Per.RULE);

    public static Action rateLimit(long rate, long burst, Per per) {
        return new Action(Kind.RATELIMIT, rate, burst, per);
    }

    @Override
    public String toString() {
        return switch (kind) {
            case DROP -> "drop";
            case PASS -> "pass";
            case TX -> "tx";
            case RATELIMIT -> "ratelimit " + rate + "/s burst " + burst + (per == Per.RULE ? "" : " per " + per.name().toLowerCase());
        };
    }
}
