package io.netbypass.packet;

/** Linux cooked capture headers: SLL (LINKTYPE 113) and SLL2 (LINKTYPE 276). */
public final class CookedDescriptor {
    public static final int SLL_PACKET_TYPE_OFFSET = 0;
    public static final int SLL_HATYPE_OFFSET = 2;
    public static final int SLL_ADDRESS_LENGTH_OFFSET = 4;
    public static final int SLL_ADDRESS_OFFSET = 6;
    public static final int SLL_PROTOCOL_OFFSET = 14;
    public static final int SLL_HEADER_LENGTH = 16;

    public static final int SLL2_PROTOCOL_OFFSET = 0;
    public static final int SLL2_INTERFACE_INDEX_OFFSET = 4;
    public static final int SLL2_HATYPE_OFFSET = 8;
    public static final int SLL2_PACKET_TYPE_OFFSET = 10;
    public static final int SLL2_ADDRESS_LENGTH_OFFSET = 11;
    public static final int SLL2_ADDRESS_OFFSET = 12;
    public static final int SLL2_HEADER_LENGTH = 20;

    /** Protocol values below 0x0600 that Linux puts in the cooked header instead of an EtherType. */
    public static final int PROTO_802_3 = 0x0001;
    public static final int PROTO_802_2 = 0x0004;
    /** ARPHRD_IPGRE: the protocol field is the GRE protocol type. */
    public static final int HATYPE_IPGRE = 778;
    public static final int HATYPE_NETLINK = 824;

    private CookedDescriptor() {
    }
}
