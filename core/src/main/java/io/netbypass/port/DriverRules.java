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
     * verifier, a map) the old rules stay and the exception says why. Without {@code passes} a
     * pass verdict is left to user space (a run whose passed packets are dropped there).
     */
    List<String> install(RuleSet rules, boolean passes) throws Exception;

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

    /** Packets the driver dropped because their source was blocked (counted in {@link #dropped()} too). */
    long blocked();

    /**
     * Drops every packet from the source (IPv4: {@code low} is the address; IPv6: the two halves)
     * in the driver until {@code untilMonotonicNanos} ({@link System#nanoTime()}'s clock); false
     * when the driver could not take it (the reason counted, user space still drops them).
     */
    boolean block(int version, long high, long low, long untilMonotonicNanos);

    /** Takes a source out of the driver's blocklist. */
    void unblock(int version, long high, long low);

    /** Takes the rules out: every packet of a bypassed queue goes to the port again. */
    void uninstall() throws Exception;

    /** The device, for the operator ({@code xdp on eth3}). */
    String where();
}
