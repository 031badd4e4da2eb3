package io.netbypass.packet;

/** UDP header layout (RFC 768). */
public final class UdpDescriptor {
    public static final int SOURCE_PORT_OFFSET = 0;
    public static final int DESTINATION_PORT_OFFSET = 2;
    public static final int LENGTH_OFFSET = 4;
    public static final int CHECKSUM_OFFSET = 6;
    public static final int HEADER_LENGTH = 8;

    private UdpDescriptor() {
    }
}
