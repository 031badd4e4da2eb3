package io.netbypass.dissect;

/**
 * The columns of {@code netbypass pcap dump}, named and ordered as the tshark fields they
 * reproduce ({@code tshark -T fields -e NAME}).
 */
public enum DumpField {
    FRAME_NUMBER("frame.number"),
    FRAME_LEN("frame.len"),
    FRAME_CAP_LEN("frame.cap_len"),
    ETH_TYPE("eth.type"),
    VLAN_ID("vlan.id"),
    IEEE8021AD_ID("ieee8021ad.id"),
    IP_SRC("ip.src"),
    IP_DST("ip.dst"),
    IPV6_SRC("ipv6.src"),
    IPV6_DST("ipv6.dst"),
    IP_PROTO("ip.proto"),
    IPV6_NXT("ipv6.nxt"),
    IP_ID("ip.id"),
    IP_TTL("ip.ttl"),
    IP_FLAGS_DF("ip.flags.df"),
    IP_DSFIELD("ip.dsfield"),
    TCP_SRCPORT("tcp.srcport"),
    TCP_DSTPORT("tcp.dstport"),
    UDP_SRCPORT("udp.srcport"),
    UDP_DSTPORT("udp.dstport"),
    TCP_SEQ_RAW("tcp.seq_raw"),
    TCP_ACK_RAW("tcp.ack_raw"),
    TCP_LEN("tcp.len"),
    TCP_FLAGS("tcp.flags"),
    TCP_HDR_LEN("tcp.hdr_len"),
    IP_CHECKSUM_STATUS("ip.checksum.status"),
    TCP_CHECKSUM_STATUS("tcp.checksum.status"),
    UDP_CHECKSUM_STATUS("udp.checksum.status");

    private final String tsharkName;

    DumpField(String tsharkName) {
        this.tsharkName = tsharkName;
    }

    public String tsharkName() {
        return tsharkName;
    }

    /** The TSV header line: every field's tshark name, tab-separated. */
    public static String header() {
        StringBuilder b = new StringBuilder();
        for (DumpField f : values()) {
            if (b.length() > 0) {
                b.append('\t');
            }
            b.append(f.tsharkName);
        }
        return b.toString();
    }
}
