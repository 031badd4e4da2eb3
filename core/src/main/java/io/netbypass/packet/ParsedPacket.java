package io.netbypass.packet;

import java.lang.foreign.MemorySegment;

/**
 * What {@link PacketParser} found in one frame: offsets relative to the frame's first byte,
 * the decoded identifiers and why the walk stopped. One instance is reused for every packet.
 */
public final class ParsedPacket {
    public static final int NONE = -1;

    /** How far the walk got ({@link #reached()}): nothing, the link header, the IP header, the upper protocol, everything. */
    public static final int REACHED_NOTHING = 0;
    public static final int REACHED_LINK = 1;
    public static final int REACHED_NETWORK = 2;
    public static final int REACHED_PROTOCOL = 3;
    public static final int REACHED_ALL = 4;

    MemorySegment segment;
    long base;
    int capturedLength;
    int linkType;
    ParseStatus status;
    Layer layer;

    int vlanCount;
    final int[] vlanTpid = new int[VlanDescriptor.MAX_TAGS];
    final int[] vlanTci = new int[VlanDescriptor.MAX_TAGS];
    int etherType;

    int l3Offset;
    int ipVersion;
    /** End of the IP datagram: what its length field announces, capped at the captured frame. */
    int l3End;
    int ipProtocol;
    /** IPv4 source and destination as they sit on the wire (big-endian ints); valid when ipVersion is 4. */
    int ipv4Source;
    int ipv4Destination;
    /** IPv4 TTL or IPv6 hop limit; NONE without an IP header. */
    int ttl;
    int extensionHeaders;
    int authHeaderOffset;
    boolean fragment;
    boolean moreFragments;
    int fragmentOffset;

    int l4Offset;
    int sourcePort;
    int destinationPort;
    int tcpFlags;
    int payloadOffset;
    /** Where the transport payload ends when the transport says (UDP's length); NONE: at l3End. */
    int payloadEnd;

    void reset(MemorySegment segment, long base, int capturedLength, int linkType) {
        this.segment = segment;
        this.base = base;
        this.capturedLength = capturedLength;
        this.linkType = linkType;
        status = ParseStatus.OK;
        layer = Layer.NONE;
        vlanCount = 0;
        etherType = NONE;
        l3Offset = NONE;
        ipVersion = 0;
        l3End = capturedLength;
        ipProtocol = NONE;
        ipv4Source = 0;
        ipv4Destination = 0;
        ttl = NONE;
        extensionHeaders = 0;
        authHeaderOffset = NONE;
        fragment = false;
        moreFragments = false;
        fragmentOffset = 0;
        l4Offset = NONE;
        sourcePort = NONE;
        destinationPort = NONE;
        tcpFlags = 0;
        payloadOffset = NONE;
        payloadEnd = NONE;
    }

    ParseStatus stop(ParseStatus why) {
        status = why;
        return why;
    }

    /**
     * Which fields are known: {@link #REACHED_ALL} unless the packet is malformed (then the fields
     * past this point could not be read: a missing field of a well-formed packet is known absent).
     * Link: MACs and VLAN; network: IP version, addresses, TTL; protocol: the upper protocol and
     * fragmentation; all: ports, TCP flags, ICMP type and the payload.
     */
    public int reached() {
        if (!status.malformed() || layer == Layer.TRANSPORT) {
            return REACHED_ALL;
        }
        if (ipProtocol != NONE) {
            return REACHED_PROTOCOL;
        }
        if (ipVersion != 0) {
            return REACHED_NETWORK;
        }
        boolean link = layer != Layer.NONE || (linkType == LinkType.ETHERNET && capturedLength >= EthernetDescriptor.HEADER_LENGTH);
        return link ? REACHED_LINK : REACHED_NOTHING;
    }

    public MemorySegment segment() { return segment; }
    /** Offset of the frame's first byte within {@link #segment()}. */
    public long base() { return base; }
    public int capturedLength() { return capturedLength; }
    public int linkType() { return linkType; }
    public ParseStatus status() { return status; }
    public Layer layer() { return layer; }
    public int vlanCount() { return vlanCount; }
    public int vlanTpid(int i) { return vlanTpid[i]; }
    public int vlanId(int i) { return vlanTci[i] & VlanDescriptor.VID_MASK; }
    /** The whole tag control information (priority, DEI, VLAN id) of tag {@code i}, outermost first. */
    public int vlanTci(int i) { return vlanTci[i]; }
    /** EtherType of the network layer (after any VLAN tags), or NONE. */
    public int etherType() { return etherType; }
    public int l3Offset() { return l3Offset; }
    /** 4, 6, or 0 when the frame carries no IP. */
    public int ipVersion() { return ipVersion; }
    public int l3End() { return l3End; }
    /** Upper-layer protocol after any IPv6 extension headers, or NONE. */
    public int ipProtocol() { return ipProtocol; }
    /** The IPv4 source address as a big-endian int (first octet most significant); 0 unless {@link #ipVersion()} is 4. */
    public int ipv4Source() { return ipv4Source; }
    public int ipv4Destination() { return ipv4Destination; }
    /** IPv4 TTL or IPv6 hop limit; {@link #NONE} without an IP header. */
    public int ttl() { return ttl; }
    public int extensionHeaders() { return extensionHeaders; }
    /** Offset of the IPsec authentication header (IPv4 protocol 51 or in the IPv6 chain), or NONE. */
    public int authHeaderOffset() { return authHeaderOffset; }
    public boolean isFragment() { return fragment; }
    public boolean moreFragments() { return moreFragments; }
    /** Fragment offset in bytes (0 for the first fragment and for whole datagrams). */
    public int fragmentOffset() { return fragmentOffset; }
    public int l4Offset() { return l4Offset; }
    public int sourcePort() { return sourcePort; }
    public int destinationPort() { return destinationPort; }
    public int tcpFlags() { return tcpFlags; }
    public int payloadOffset() { return payloadOffset; }
    /**
     * Where the transport payload ends: UDP's length field when it is shorter than the IP
     * datagram (the kernel trims the rest, so a socket never sees it), else {@link #l3End()}.
     */
    public int payloadEnd() { return payloadEnd == NONE ? l3End : payloadEnd; }
    public int payloadLength() { return payloadOffset == NONE ? 0 : payloadEnd() - payloadOffset; }
}
