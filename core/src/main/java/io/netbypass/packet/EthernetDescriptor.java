package io.netbypass.packet;

/** Ethernet II header layout. */
public final class EthernetDescriptor {
    public static final int DESTINATION_OFFSET = 0;
    public static final int SOURCE_OFFSET = 6;
    public static final int TYPE_OFFSET = 12;
    public static final int HEADER_LENGTH = 14;
    public static final int ADDRESS_LENGTH = 6;

    private EthernetDescriptor() {
    }
}
