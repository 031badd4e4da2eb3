package io.netbypass.packet;

/** Why the parser stopped: {@link #OK} when it understood everything it walked. */
public enum ParseStatus {
    OK,
    /** The frame ends before a header (or a datagram the IP length announces) does. */
    TRUNCATED,
    /** A length field contradicts the frame or its own header (too small, too large). */
    BAD_LENGTH,
    /** An IP header whose version nibble is not the one its EtherType or link type promised. */
    BAD_VERSION,
    /** A link type, EtherType or encapsulation the parser does not decode. */
    UNSUPPORTED,
    /** More VLAN tags or IPv6 extension headers than the bounded walk allows (loops, padding attacks). */
    TOO_DEEP
}
