package io.netbypass.port;

import io.netbypass.filter.rules.RuleSet;

import java.util.List;

/**
 * The device's own rule engine in front of a port: the filter's rules compiled into the driver
 * (an XDP program), which decides what it can exactly as the filter would and hands the rest to
 * the port. Shared by every port of one device; used from the control thread, never the hot path.
 */
public interface DriverRules {
    /**
     * Puts {@code rules} in the driver, replacing the ones there in one step (a packet sees the
     * old set or the new one, never neither). Returns the plan, one line per group of rules:
     * which are decided in the driver, which go on to user space and why. On failure (the
     * verifier, a map) the old rules stay and the exception says why.
     */
    List<String> install(RuleSet rules) throws Exception;

    /** The rules the driver holds now, or null. */
    RuleSet installed();

    /**
     * Packets ({@code [0][r]}) and bytes ({@code [1][r]}) the driver decided by rule {@code r} of
     * {@link #installed()} ({@code r = size()}: the default), carried over reloads as the filter
     * carries its own (a named rule by name, an unnamed one when it is the same rule).
     */
    long[][] ruleCounts();

    /** Packets the driver dropped, over every rule set it held. */
    long dropped();

    /** Packets the driver passed to the kernel, over every rule set it held. */
    long passed();

    /** Takes the rules out: every packet of a bypassed queue goes to the port again. */
    void uninstall() throws Exception;

    /** The device, for the operator ({@code xdp on eth3}). */
    String where();
}
