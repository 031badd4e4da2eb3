package io.netbypass.cli;

import io.netbypass.util.UserException;

import java.util.List;
import java.util.stream.Collectors;

/** Option values checked before anything runs: one line naming the option and what it takes. */
final class Checks {
    private Checks() {
    }

    /** A year: the longest run an option may ask for. */
    static final double MAX_SECONDS = 366 * 86_400;

    /** A duration in seconds when given: more than 0 and finite (null: not given). */
    static void seconds(String option, Double value) {
        if (value != null && !(value > 0 && value <= MAX_SECONDS)) {
            throw new UserException(option + " " + value + ": seconds, more than 0 and at most " + (long) MAX_SECONDS
                    + " (leave it out to run until stopped)");
        }
    }

    /** A whole number in {@code [low, high]}. */
    static void range(String option, long value, long low, long high) {
        if (value < low || value > high) {
            throw new UserException(option + " " + value + ": out of range " + low + "-" + high);
        }
    }

    /**
     * An interface name as the kernel takes it (dev_valid_name): 1-15 bytes, not "." or "..", no
     * '/', ':' or white space. Checked before anything is printed or opened: 'va/../va' once
     * printed writes to /sys paths before it was refused.
     */
    static String interfaceName(String name) {
        if (name == null || name.isEmpty() || name.length() > 15 || name.equals(".") || name.equals("..")
                || name.chars().anyMatch(c -> c == '/' || c == ':' || Character.isWhitespace(c) || c < 0x20 || c > 0x7e)) {
            throw new UserException("'" + name + "' is not an interface name (1-15 characters, no '/', ':' or spaces)");
        }
        return name;
    }

    /** CPU {@code cpu} is one of {@code online}; {@code what} names the option and value in the refusal. */
    static void online(String what, int cpu, List<Integer> online) {
        if (!online.contains(cpu)) {
            throw new UserException(what + ": CPU " + cpu + " is not online (online: "
                    + online.stream().map(String::valueOf).collect(Collectors.joining(",")) + ")");
        }
    }

    /** The end of a run of {@code seconds} from {@code start} (nanoTime), or never. */
    static long end(long start, Double seconds) {
        return seconds == null ? Long.MAX_VALUE : start + (long) (seconds * 1e9);
    }
}
