package io.netbypass.scaling.ntuple;

/**
 * Layout of {@code struct ethtool_rx_flow_spec} on x86-64 (168 bytes): what ntuple rules are in
 * the kernel's ioctl interface and what {@link RxFlowSpec} holds. Header fields ({@code h_u},
 * {@code h_ext}) are followed by masks of the same layout ({@code m_u}, {@code m_ext}) where a
 * 1 bit means "compare this bit". Multi-byte header fields are big-endian; {@code flow_type},
 * {@code ring_cookie} and {@code location} are host order.
 */
public final class RxFlowSpecDescriptor {
    public static final int FLOW_TYPE_OFFSET = 0;
    public static final int HEADER_OFFSET = 4;
    public static final int UNION_LENGTH = 52;
    public static final int EXT_OFFSET = 56;
    public static final int EXT_LENGTH = 20;
    public static final int MASK_HEADER_OFFSET = 76;
    public static final int MASK_EXT_OFFSET = 128;
    /** Distance from a header field to its mask (the same for h_u/m_u and h_ext/m_ext). */
    public static final int MASK_DISTANCE = MASK_HEADER_OFFSET - HEADER_OFFSET;
    public static final int RING_COOKIE_OFFSET = 152;
    public static final int LOCATION_OFFSET = 160;
    public static final int LENGTH = 168;

    // ethtool_tcpip4_spec / ah_espip4_spec / usrip4_spec, relative to the union
    public static final int IP4_SRC = 0;
    public static final int IP4_DST = 4;
    public static final int IP4_SRC_PORT = 8;
    public static final int IP4_DST_PORT = 10;
    public static final int IP4_SPI = 8;
    public static final int IP4_L4_BYTES = 8;
    public static final int IP4_TOS = 12;
    public static final int IP4_IP_VERSION = 13;
    public static final int IP4_PROTOCOL = 14;
    /** {@code ETH_RX_NFC_IP4}: usrip4_spec.ip_ver must hold it. */
    public static final int IP_VERSION_4 = 1;

    // ethtool_tcpip6_spec / ah_espip6_spec / usrip6_spec
    public static final int IP6_SRC = 0;
    public static final int IP6_DST = 16;
    public static final int IP6_SRC_PORT = 32;
    public static final int IP6_DST_PORT = 34;
    public static final int IP6_SPI = 32;
    public static final int IP6_L4_BYTES = 32;
    public static final int IP6_TCLASS = 36;
    public static final int IP6_PROTOCOL = 37;

    // ethhdr
    public static final int ETH_DST = 0;
    public static final int ETH_SRC = 6;
    public static final int ETH_PROTO = 12;

    // ethtool_flow_ext, relative to h_ext
    public static final int EXT_DST_MAC = 2;
    public static final int EXT_VLAN_ETYPE = 8;
    public static final int EXT_VLAN_TCI = 10;
    public static final int EXT_DATA = 12;

    public static final long RING_COOKIE_DROP = -1L;
    public static final long RING_COOKIE_WAKE = -2L;
    public static final long RING_COOKIE_QUEUE_MASK = 0xffff_ffffL;
    public static final long RING_COOKIE_VF_MASK = 0xff_0000_0000L;
    public static final int RING_COOKIE_VF_SHIFT = 32;
    /** {@code RX_CLS_LOC_ANY}: no location given; the rule manager (or driver) picks one. */
    public static final int LOCATION_ANY = 0xffff_ffff;
    public static final int LOCATION_SPECIAL = 0x8000_0000;

    private RxFlowSpecDescriptor() {
    }
}
