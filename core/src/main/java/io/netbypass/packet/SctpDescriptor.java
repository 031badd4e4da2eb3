package io.netbypass.packet;

/** SCTP common header layout (RFC 9260 section 3.1): ports where TCP and UDP have them. */
public final class SctpDescriptor {
    public static final int SOURCE_PORT_OFFSET = 0;
    public static final int DESTINATION_PORT_OFFSET = 2;
    public static final int VERIFICATION_TAG_OFFSET = 4;
    public static final int CHECKSUM_OFFSET = 8;
    public static final int COMMON_HEADER_LENGTH = 12;

    private SctpDescriptor() {
    }
}
