package io.netbypass.packet;

/** Why the parser stopped: {@link #OK} when it understood everything it walked. */
public enum ParseStatus {
    OK("ok"),
    /** The frame ends before a header (or a datagram the IP length announces) does. */
    TRUNCATED("truncated"),
    /** A length field contradicts the frame or its own header (too small, too large). */
    BAD_LENGTH("bad-length"),
    /** An IP header whose version nibble is not the one its EtherType or link type promised. */
    BAD_VERSION("bad-version"),
    /** A link type, EtherType or encapsulation the parser does not decode (not malformed: MPLS, LLDP, ...). */
    UNSUPPORTED("unsupported"),
    /** More VLAN tags than the parser follows ({@link VlanDescriptor#MAX_TAGS}). */
    TOO_DEEP("too-deep");

    private final String word;

    ParseStatus(String word) {
        this.word = word;
    }

    /** The name in the rule language ({@code malformed truncated}) and in counters. */
    public String word() {
        return word;
    }

    /**
     * A packet that breaks its own headers (cut short, lying lengths, a wrong version, too many
     * tags): the kernel drops it or cannot be predicted. A protocol we merely do not decode is not.
     */
    public boolean malformed() {
        return this != OK && this != UNSUPPORTED;
    }
}
