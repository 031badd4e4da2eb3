package io.netbypass.filter.classify;

import io.netbypass.filter.rules.RuleSet;
import io.netbypass.packet.ParsedPacket;

/** Which rule of a {@link RuleSet} a packet matches first. */
public interface RuleClassifier {
    /** No rule matched: the set's default applies. */
    int DEFAULT = -1;

    /**
     * The index of the first rule {@code p} matches, or {@link #DEFAULT}. {@code wireLength} is
     * the frame's length on the wire (what {@code len} tests), which may exceed what was captured.
     */
    int classify(ParsedPacket p, int wireLength);

    /**
     * A classifier of the same rules for another thread: this one when it keeps no state between
     * calls, else one that shares the tables and has scratch state of its own.
     */
    default RuleClassifier forAnotherThread() {
        return this;
    }
}
