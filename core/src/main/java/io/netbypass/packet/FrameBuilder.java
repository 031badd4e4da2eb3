package io.netbypass.packet;

import io.netbypass.util.UserException;
import java.lang.foreign.MemorySegment;

/**
 * Builds one well-formed Ethernet frame for a flow: optional 802.1Q tag, IPv4 or IPv6, and a
 * minimal transport header (TCP SYN, UDP, SCTP, ESP, AH, ICMP echo) with lengths and checksums
 * filled in. For tools and tests that need a packet of a given flow; not for the hot path.
 */
public final class FrameBuilder {
    private byte[] sourceMac = {0x02, 0, 0, 0, 0, 1};
    private byte[] destinationMac = {0x02, 0, 0, 0, 0, 2};
    private int vlanTpid = EtherTypes.VLAN;
    private int vlanTci = -1;
    private byte[] source;
    private byte[] destination;
    private int protocol = IpProtocols.UDP;
    private int sourcePort;
    private int destinationPort;
    private int tos;
    private int spi;
    private int payload;

    public FrameBuilder addresses(byte[] source, byte[] destination) {
        if (source.length != destination.length || (source.length != 4 && source.length != 16)) {
            throw new UserException("source and destination must both be IPv4 or both IPv6");
        }
        this.source = source.clone();
        this.destination = destination.clone();
        return this;
    }

    public FrameBuilder protocol(int protocol) {
        if (protocol < 0 || protocol > 255) {
            throw new UserException("IP protocol " + protocol + " is outside 0..255");
        }
        this.protocol = protocol;
        return this;
    }

    public FrameBuilder ports(int sourcePort, int destinationPort) {
        if ((sourcePort & ~0xffff) != 0 || (destinationPort & ~0xffff) != 0) {
            throw new UserException("ports are 0..65535");
        }
        this.sourcePort = sourcePort;
        this.destinationPort = destinationPort;
        return this;
    }

    /** IPv4 TOS byte or IPv6 traffic class. */
    public FrameBuilder tos(int tos) {
        this.tos = tos & 0xff;
        return this;
    }

    public FrameBuilder spi(int spi) {
        this.spi = spi;
        return this;
    }

    public FrameBuilder vlan(int tpid, int tci) {
        this.vlanTpid = tpid & 0xffff;
        this.vlanTci = tci & 0xffff;
        return this;
    }

    public FrameBuilder macs(byte[] source, byte[] destination) {
        this.sourceMac = source.clone();
        this.destinationMac = destination.clone();
        return this;
    }

    /** Zero bytes of payload after the transport header. */
    public FrameBuilder payload(int bytes) {
        this.payload = bytes;
        return this;
    }

    public byte[] build() {
        if (source == null) {
            throw new IllegalStateException("addresses not set");
        }
        boolean v6 = source.length == 16;
        int l4Length = (switch (protocol) {
            case IpProtocols.TCP -> TcpDescriptor.MIN_HEADER_LENGTH;
            case IpProtocols.UDP -> UdpDescriptor.HEADER_LENGTH;
            case IpProtocols.SCTP -> SctpDescriptor.COMMON_HEADER_LENGTH;
            case IpProtocols.ESP -> IpsecDescriptor.ESP_MIN_LENGTH;
            case IpProtocols.AH -> IpsecDescriptor.AH_MIN_LENGTH;
            case IpProtocols.ICMP, IpProtocols.ICMPV6 -> IcmpDescriptor.HEADER_LENGTH;
            default -> 0;
        }) + payload;
        int l2 = EthernetDescriptor.HEADER_LENGTH + (vlanTci >= 0 ? VlanDescriptor.TAG_LENGTH : 0);
        int l3 = v6 ? Ipv6Descriptor.HEADER_LENGTH : Ipv4Descriptor.MIN_HEADER_LENGTH;
        byte[] frame = new byte[l2 + l3 + l4Length];
        MemorySegment s = MemorySegment.ofArray(frame);
        MemorySegment.copy(MemorySegment.ofArray(destinationMac), 0, s, 0, 6);
        MemorySegment.copy(MemorySegment.ofArray(sourceMac), 0, s, 6, 6);
        int at = 12;
        if (vlanTci >= 0) {
            Bytes.put16(s, at, vlanTpid);
            Bytes.put16(s, at + 2, vlanTci);
            at += VlanDescriptor.TAG_LENGTH;
        }
        Bytes.put16(s, at, v6 ? EtherTypes.IPV6 : EtherTypes.IPV4);
        int ip = l2;
        if (v6) {
            Bytes.put32(s, ip, 6 << 28 | tos << 20);
            Bytes.put16(s, ip + Ipv6Descriptor.PAYLOAD_LENGTH_OFFSET, l4Length);
            Bytes.put8(s, ip + Ipv6Descriptor.NEXT_HEADER_OFFSET, protocol);
            Bytes.put8(s, ip + 7, 64);
            MemorySegment.copy(MemorySegment.ofArray(source), 0, s, ip + Ipv6Descriptor.SOURCE_OFFSET, 16);
            MemorySegment.copy(MemorySegment.ofArray(destination), 0, s, ip + Ipv6Descriptor.DESTINATION_OFFSET, 16);
        } else {
            Bytes.put8(s, ip, 0x45);
            Bytes.put8(s, ip + 1, tos);
            Bytes.put16(s, ip + Ipv4Descriptor.TOTAL_LENGTH_OFFSET, l3 + l4Length);
            Bytes.put8(s, ip + 8, 64);
            Bytes.put8(s, ip + Ipv4Descriptor.PROTOCOL_OFFSET, protocol);
            MemorySegment.copy(MemorySegment.ofArray(source), 0, s, ip + Ipv4Descriptor.SOURCE_OFFSET, 4);
            MemorySegment.copy(MemorySegment.ofArray(destination), 0, s, ip + Ipv4Descriptor.DESTINATION_OFFSET, 4);
            Checksums.fillIpv4Header(s, ip, l3);
        }
        int l4 = ip + l3;
        switch (protocol) {
            case IpProtocols.TCP -> {
                Bytes.put16(s, l4, sourcePort);
                Bytes.put16(s, l4 + 2, destinationPort);
                Bytes.put16(s, l4 + TcpDescriptor.OFFSET_FLAGS_OFFSET, 5 << 12 | 0x02);
                Bytes.put16(s, l4 + 14, 65535);
                Checksums.fillTransport(s, ip, protocol, l4, l4Length, 16);
            }
            case IpProtocols.UDP -> {
                Bytes.put16(s, l4, sourcePort);
                Bytes.put16(s, l4 + 2, destinationPort);
                Bytes.put16(s, l4 + UdpDescriptor.LENGTH_OFFSET, l4Length);
                Checksums.fillTransport(s, ip, protocol, l4, l4Length, UdpDescriptor.CHECKSUM_OFFSET);
            }
            case IpProtocols.SCTP -> {
                Bytes.put16(s, l4, sourcePort);
                Bytes.put16(s, l4 + 2, destinationPort);
            }
            case IpProtocols.ESP -> Bytes.put32(s, l4 + IpsecDescriptor.ESP_SPI_OFFSET, spi);
            case IpProtocols.AH -> {
                Bytes.put8(s, l4, IpProtocols.NONE);
                Bytes.put8(s, l4 + 1, IpsecDescriptor.AH_MIN_LENGTH / 4 - 2);
                Bytes.put32(s, l4 + IpsecDescriptor.AH_SPI_OFFSET, spi);
            }
            case IpProtocols.ICMP -> {
                Bytes.put8(s, l4, 8);
                Checksums.fillIcmpV4(s, l4, l4Length);
            }
            case IpProtocols.ICMPV6 -> {
                Bytes.put8(s, l4, 128);
                Checksums.fillTransport(s, ip, protocol, l4, l4Length, 2);
            }
            default -> {
            }
        }
        return frame;
    }
}
