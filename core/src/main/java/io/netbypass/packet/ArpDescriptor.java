package io.netbypass.packet;

/** ARP header layout (RFC 826); the address fields follow for Ethernet/IPv4 with the given lengths. */
public final class ArpDescriptor {
    public static final int HARDWARE_TYPE_OFFSET = 0;
    public static final int PROTOCOL_TYPE_OFFSET = 2;
    public static final int HARDWARE_LENGTH_OFFSET = 4;
    public static final int PROTOCOL_LENGTH_OFFSET = 5;
    public static final int OPERATION_OFFSET = 6;
    public static final int FIXED_LENGTH = 8;
    public static final int SENDER_HARDWARE_OFFSET = 8;

    private ArpDescriptor() {
    }
}
