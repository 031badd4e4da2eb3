package io.netbypass.packet;

/** EtherType values (IEEE registry) that the packet layer recognises. */
public final class EtherTypes {
    /** Values at or below this are IEEE 802.3 length fields, not types. */
    public static final int MAX_8023_LENGTH = 1500;
    public static final int IPV4 = 0x0800;
    public static final int ARP = 0x0806;
    public static final int VLAN = 0x8100;
    public static final int QINQ_9100 = 0x9100;
    public static final int QINQ_8021AD = 0x88a8;
    public static final int IPV6 = 0x86dd;
    public static final int MPLS_UNICAST = 0x8847;
    public static final int MPLS_MULTICAST = 0x8848;
    public static final int PPPOE_DISCOVERY = 0x8863;
    public static final int PPPOE_SESSION = 0x8864;
    public static final int TRANSPARENT_ETHERNET = 0x6558;
    public static final int PPP = 0x880b;

    private EtherTypes() {
    }

    /** True for the tag protocol identifiers of 802.1Q and 802.1ad (and the pre-standard 0x9100). */
    public static boolean isVlanTag(int etherType) {
        return etherType == VLAN || etherType == QINQ_8021AD || etherType == QINQ_9100;
    }
}
