package io.netbypass.cli;

/** Option values checked before anything runs: one line naming the option and what it takes. */
final class Checks {
    private Checks() {
    }

    /** A duration in seconds when given: more than 0 and finite (null: not given). */
    static void seconds(String option, Double value) {
        if (value != null && !(value > 0 && value < 1e9)) {
            throw new IllegalArgumentException(option + " " + value + ": seconds, more than 0 (leave it out to run until stopped)");
        }
    }

    /** A whole number in {@code [low, high]}. */
    static void range(String option, long value, long low, long high) {
        if (value < low || value > high) {
            throw new IllegalArgumentException(option + " " + value + ": out of range " + low + "-" + high);
        }
    }

    /** The end of a run of {@code seconds} from {@code start} (nanoTime), or never. */
    static long end(long start, Double seconds) {
        return seconds == null ? Long.MAX_VALUE : start + (long) (seconds * 1e9);
    }
}
