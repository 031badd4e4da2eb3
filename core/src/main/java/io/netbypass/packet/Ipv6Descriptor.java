package io.netbypass.packet;

/** IPv6 fixed header and extension header layouts (RFC 8200). */
public final class Ipv6Descriptor {
    public static final int VERSION_CLASS_FLOW_OFFSET = 0;
    public static final int PAYLOAD_LENGTH_OFFSET = 4;
    public static final int NEXT_HEADER_OFFSET = 6;
    public static final int HOP_LIMIT_OFFSET = 7;
    public static final int SOURCE_OFFSET = 8;
    public static final int DESTINATION_OFFSET = 24;
    public static final int HEADER_LENGTH = 40;
    public static final int ADDRESS_LENGTH = 16;

    /** Generic extension header: next header, then length in 8-octet units not counting the first 8. */
    public static final int EXT_NEXT_HEADER_OFFSET = 0;
    public static final int EXT_LENGTH_OFFSET = 1;
    public static final int EXT_MIN_LENGTH = 8;
    /** Fragment header: fixed 8 bytes; offset in 8-octet units in the top 13 bits, M flag in bit 0. */
    public static final int FRAG_OFFSET_FLAGS_OFFSET = 2;
    public static final int FRAG_ID_OFFSET = 4;
    public static final int FRAG_HEADER_LENGTH = 8;
    /** Authentication header: length in 4-octet units minus 2 (RFC 4302). */
    public static final int AH_LENGTH_OFFSET = 1;

    private Ipv6Descriptor() {
    }
}
