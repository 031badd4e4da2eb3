package io.netbypass.filter.engine;

/** What the filter does with one packet. */
public final class Verdict {
    public static final int DROP = 0;
    /** Hand to the kernel (the host stack). */
    public static final int PASS = 1;
    /** Send back out of the port. */
    public static final int TX = 2;
    /** Dropped by a ratelimit rule: over its rate. */
    public static final int LIMITED = 3;
    /** Dropped before the rules: the source is blocked ({@link Blocklist}). */
    public static final int BLOCKED = 4;

    private Verdict() {
    }
}
