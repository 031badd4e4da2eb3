package io.netbypass.scaling.ntuple;

import io.netbypass.packet.IpProtocols;

/** ethtool's ntuple flow types: the kernel's {@code *_FLOW} codes, the CLI word and the {@code -n} label. */
public enum FlowType {
    TCP4(0x01, "tcp4", "TCP over IPv4", 4, IpProtocols.TCP, Fields.PORTS),
    UDP4(0x02, "udp4", "UDP over IPv4", 4, IpProtocols.UDP, Fields.PORTS),
    SCTP4(0x03, "sctp4", "SCTP over IPv4", 4, IpProtocols.SCTP, Fields.PORTS),
    AH4(0x09, "ah4", "IPSEC AH over IPv4", 4, IpProtocols.AH, Fields.IPSEC),
    ESP4(0x0a, "esp4", "IPSEC ESP over IPv4", 4, IpProtocols.ESP, Fields.IPSEC),
    IP4(0x0d, "ip4", "Raw IPv4", 4, -1, Fields.USER),
    TCP6(0x05, "tcp6", "TCP over IPv6", 6, IpProtocols.TCP, Fields.PORTS),
    UDP6(0x06, "udp6", "UDP over IPv6", 6, IpProtocols.UDP, Fields.PORTS),
    SCTP6(0x07, "sctp6", "SCTP over IPv6", 6, IpProtocols.SCTP, Fields.PORTS),
    AH6(0x0b, "ah6", "IPSEC AH over IPv6", 6, IpProtocols.AH, Fields.IPSEC),
    ESP6(0x0c, "esp6", "IPSEC ESP over IPv6", 6, IpProtocols.ESP, Fields.IPSEC),
    IP6(0x0e, "ip6", "Raw IPv6", 6, -1, Fields.USER),
    ETHER(0x12, "ether", "Raw Ethernet", 0, -1, Fields.ETHER);

    /** Which header layout (union member of {@code ethtool_flow_union}) a type uses. */
    public enum Fields { PORTS, IPSEC, USER, ETHER }

    /** Flag bits OR-ed into {@code flow_type}. */
    public static final int FLOW_EXT = 0x80000000;
    public static final int FLOW_MAC_EXT = 0x40000000;
    public static final int FLOW_RSS = 0x20000000;

    private final int code;
    private final String word;
    private final String label;
    private final int ipVersion;
    private final int protocol;
    private final Fields fields;

    FlowType(int code, String word, String label, int ipVersion, int protocol, Fields fields) {
        this.code = code;
        this.word = word;
        this.label = label;
        this.ipVersion = ipVersion;
        this.protocol = protocol;
        this.fields = fields;
    }

    public int code() {
        return code;
    }

    /** The word after {@code flow-type}. */
    public String word() {
        return word;
    }

    /** The {@code Rule Type:} text of {@code ethtool -n}. */
    public String label() {
        return label;
    }

    /** 4, 6, or 0 for {@code ether}. */
    public int ipVersion() {
        return ipVersion;
    }

    /** The IP protocol the type implies, or -1 ({@code ip4}, {@code ip6}, {@code ether}). */
    public int protocol() {
        return protocol;
    }

    public Fields fields() {
        return fields;
    }

    public static FlowType fromWord(String word) {
        for (FlowType t : values()) {
            if (t.word.equals(word)) {
                return t;
            }
        }
        return null;
    }

    /** The type of a {@code flow_type} value with its flag bits cleared; null if unknown. */
    public static FlowType fromCode(int flowType) {
        int base = flowType & ~(FLOW_EXT | FLOW_MAC_EXT | FLOW_RSS);
        for (FlowType t : values()) {
            if (t.code == base) {
                return t;
            }
        }
        return null;
    }
}
