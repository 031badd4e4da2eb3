package io.netbypass.packet;

import java.lang.foreign.MemorySegment;

/**
 * Walks one frame from its link header to the transport header without allocating and without
 * throwing: every length is checked against the captured bytes and against the enclosing
 * header before it is used, so a lying length field never reads past the frame. The result,
 * including where and why the walk stopped, goes into a reused {@link ParsedPacket}.
 *
 * <p>An IP datagram whose length field announces more than was captured is walked as far as
 * its headers were captured, and reported {@link ParseStatus#TRUNCATED}. IPv6 extension
 * headers are walked as far as the datagram goes, however many there are (the kernel does the
 * same); only VLAN tags have a count bound ({@link VlanDescriptor#MAX_TAGS}).
 */
public final class PacketParser {
    private static final int AF_INET = 2;

    private PacketParser() {
    }

    public static ParseStatus parse(MemorySegment segment, long base, int length, int linkType, ParsedPacket p) {
        p.reset(segment, base, length, linkType);
        return switch (linkType) {
            case LinkType.ETHERNET -> ethernet(p);
            case LinkType.LINUX_SLL -> cooked(p, CookedDescriptor.SLL_PROTOCOL_OFFSET, CookedDescriptor.SLL_HEADER_LENGTH);
            case LinkType.LINUX_SLL2 -> cooked(p, CookedDescriptor.SLL2_PROTOCOL_OFFSET, CookedDescriptor.SLL2_HEADER_LENGTH);
            case LinkType.NULL, LinkType.LOOP -> loopback(p, linkType == LinkType.LOOP);
            case LinkType.RAW, LinkType.RAW_DLT12, LinkType.RAW_DLT14, LinkType.IPV4, LinkType.IPV6 -> rawIp(p, 0);
            default -> p.stop(ParseStatus.UNSUPPORTED);
        };
    }

    private static ParseStatus ethernet(ParsedPacket p) {
        if (p.capturedLength < EthernetDescriptor.HEADER_LENGTH) {
            return p.stop(ParseStatus.TRUNCATED);
        }
        int type = Bytes.u16(p.segment, p.base + EthernetDescriptor.TYPE_OFFSET);
        int offset = EthernetDescriptor.HEADER_LENGTH;
        if (type <= EtherTypes.MAX_8023_LENGTH) {
            // 802.3 length field: only LLC/SNAP with an EtherType inside is understood.
            if (p.capturedLength < offset + 8) {
                return p.stop(ParseStatus.TRUNCATED);
            }
            long llc = p.base + offset;
            if (Bytes.u16(p.segment, llc) != 0xaaaa || Bytes.u8(p.segment, llc + 2) != 0x03
                    || (Bytes.u32(p.segment, llc + 2) & 0xffffff) != 0) {
                p.layer = Layer.LINK;
                return p.stop(ParseStatus.UNSUPPORTED);
            }
            type = Bytes.u16(p.segment, llc + 6);
            offset += 8;
        }
        return vlanThenNetwork(p, type, offset);
    }

    private static ParseStatus vlanThenNetwork(ParsedPacket p, int type, int offset) {
        while (EtherTypes.isVlanTag(type)) {
            if (p.vlanCount == VlanDescriptor.MAX_TAGS) {
                p.layer = Layer.LINK;
                return p.stop(ParseStatus.TOO_DEEP);
            }
            if (p.capturedLength < offset + VlanDescriptor.TAG_LENGTH) {
                return p.stop(ParseStatus.TRUNCATED);
            }
            p.vlanTpid[p.vlanCount] = type;
            p.vlanTci[p.vlanCount] = Bytes.u16(p.segment, p.base + offset + VlanDescriptor.TCI_OFFSET);
            p.vlanCount++;
            type = Bytes.u16(p.segment, p.base + offset + VlanDescriptor.INNER_TYPE_OFFSET);
            offset += VlanDescriptor.TAG_LENGTH;
        }
        p.layer = Layer.LINK;
        return network(p, type, offset);
    }

    private static ParseStatus cooked(ParsedPacket p, int protocolOffset, int headerLength) {
        if (p.capturedLength < headerLength) {
            return p.stop(ParseStatus.TRUNCATED);
        }
        int protocol = Bytes.u16(p.segment, p.base + protocolOffset);
        p.layer = Layer.LINK;
        if (protocol <= EtherTypes.MAX_8023_LENGTH) {
            return p.stop(ParseStatus.UNSUPPORTED);
        }
        return vlanThenNetwork(p, protocol, headerLength);
    }

    private static ParseStatus loopback(ParsedPacket p, boolean networkOrder) {
        if (p.capturedLength < 4) {
            return p.stop(ParseStatus.TRUNCATED);
        }
        int family = networkOrder ? Bytes.i32(p.segment, p.base)
                : Integer.reverseBytes(Bytes.i32(p.segment, p.base));
        if (!networkOrder && (family & 0xffff0000) != 0) {
            family = Integer.reverseBytes(family); // written on a host of the other byte order
        }
        p.layer = Layer.LINK;
        // BSD AF_INET6 differs by OS (24 NetBSD/OpenBSD, 28 FreeBSD, 30 Darwin; 10 on Linux).
        int type = family == AF_INET ? EtherTypes.IPV4
                : (family == 24 || family == 28 || family == 30 || family == 10) ? EtherTypes.IPV6 : -1;
        return type < 0 ? p.stop(ParseStatus.UNSUPPORTED) : network(p, type, 4);
    }

    private static ParseStatus rawIp(ParsedPacket p, int offset) {
        if (p.capturedLength <= offset) {
            return p.stop(ParseStatus.TRUNCATED);
        }
        int version = Bytes.u8(p.segment, p.base + offset) >>> 4;
        p.layer = Layer.LINK;
        return switch (version) {
            case 4 -> network(p, EtherTypes.IPV4, offset);
            case 6 -> network(p, EtherTypes.IPV6, offset);
            default -> p.stop(ParseStatus.BAD_VERSION);
        };
    }

    private static ParseStatus network(ParsedPacket p, int etherType, int offset) {
        p.etherType = etherType;
        p.l3Offset = offset;
        return switch (etherType) {
            case EtherTypes.IPV4 -> ipv4(p, offset);
            case EtherTypes.IPV6 -> ipv6(p, offset);
            case EtherTypes.ARP -> arp(p, offset);
            default -> p.stop(ParseStatus.UNSUPPORTED);
        };
    }

    private static ParseStatus arp(ParsedPacket p, int offset) {
        if (p.capturedLength < offset + ArpDescriptor.FIXED_LENGTH) {
            return p.stop(ParseStatus.TRUNCATED);
        }
        long a = p.base + offset;
        int addresses = 2 * (Bytes.u8(p.segment, a + ArpDescriptor.HARDWARE_LENGTH_OFFSET)
                + Bytes.u8(p.segment, a + ArpDescriptor.PROTOCOL_LENGTH_OFFSET));
        if (p.capturedLength < offset + ArpDescriptor.FIXED_LENGTH + addresses) {
            return p.stop(ParseStatus.TRUNCATED);
        }
        p.layer = Layer.NETWORK;
        return ParseStatus.OK;
    }

    private static ParseStatus ipv4(ParsedPacket p, int offset) {
        if (p.capturedLength < offset + Ipv4Descriptor.MIN_HEADER_LENGTH) {
            return p.stop(ParseStatus.TRUNCATED);
        }
        long ip = p.base + offset;
        // Three wide reads cover the fixed header: fewer bounds checks than one read per field.
        long w0 = Bytes.i64(p.segment, ip);     // version/IHL, TOS, total length, id, flags/fragment
        long w1 = Bytes.i64(p.segment, ip + 8); // TTL, protocol, checksum, source
        int first = (int) (w0 >>> 56);
        if (first >>> 4 != 4) {
            return p.stop(ParseStatus.BAD_VERSION);
        }
        int headerLength = (first & 0x0f) << 2;
        int totalLength = (int) (w0 >>> 32) & 0xffff;
        if (headerLength < Ipv4Descriptor.MIN_HEADER_LENGTH || totalLength < headerLength) {
            return p.stop(ParseStatus.BAD_LENGTH);
        }
        if (p.capturedLength < offset + headerLength) {
            return p.stop(ParseStatus.TRUNCATED);
        }
        p.ipVersion = 4;
        p.ipv4Source = (int) w1;
        p.ttl = (int) (w1 >>> 56);
        p.ipv4Destination = Bytes.i32(p.segment, ip + Ipv4Descriptor.DESTINATION_OFFSET);
        boolean cut = offset + totalLength > p.capturedLength;
        p.l3End = cut ? p.capturedLength : offset + totalLength;
        int flags = (int) w0 & 0xffff;
        p.moreFragments = (flags & Ipv4Descriptor.FLAG_MF) != 0;
        p.fragmentOffset = (flags & Ipv4Descriptor.FRAGMENT_OFFSET_MASK) << 3;
        p.fragment = p.moreFragments || p.fragmentOffset != 0;
        p.ipProtocol = (int) (w1 >>> 48) & 0xff;
        p.layer = Layer.NETWORK;
        return transport(p, offset + headerLength, cut);
    }

    private static ParseStatus ipv6(ParsedPacket p, int offset) {
        if (p.capturedLength < offset + Ipv6Descriptor.HEADER_LENGTH) {
            return p.stop(ParseStatus.TRUNCATED);
        }
        long ip = p.base + offset;
        if (Bytes.u8(p.segment, ip) >>> 4 != 6) {
            return p.stop(ParseStatus.BAD_VERSION);
        }
        p.ipVersion = 6;
        p.ttl = Bytes.u8(p.segment, ip + 7);
        int payloadLength = Bytes.u16(p.segment, ip + Ipv6Descriptor.PAYLOAD_LENGTH_OFFSET);
        int next = Bytes.u8(p.segment, ip + Ipv6Descriptor.NEXT_HEADER_OFFSET);
        int end = offset + Ipv6Descriptor.HEADER_LENGTH + payloadLength;
        boolean jumbo = payloadLength == 0 && next == IpProtocols.HOPOPTS;
        boolean cut = !jumbo && end > p.capturedLength;
        p.l3End = jumbo || cut ? p.capturedLength : end;
        int at = offset + Ipv6Descriptor.HEADER_LENGTH;
        while (true) {
            int extLength;
            if (IpProtocols.isGenericIpv6Extension(next)) {
                if (at + Ipv6Descriptor.EXT_MIN_LENGTH > p.l3End) {
                    return p.stop(cut ? ParseStatus.TRUNCATED : ParseStatus.BAD_LENGTH);
                }
                extLength = (Bytes.u8(p.segment, p.base + at + Ipv6Descriptor.EXT_LENGTH_OFFSET) + 1) << 3;
            } else if (next == IpProtocols.FRAGMENT) {
                extLength = Ipv6Descriptor.FRAG_HEADER_LENGTH;
                if (at + extLength > p.l3End) {
                    return p.stop(cut ? ParseStatus.TRUNCATED : ParseStatus.BAD_LENGTH);
                }
                int field = Bytes.u16(p.segment, p.base + at + Ipv6Descriptor.FRAG_OFFSET_FLAGS_OFFSET);
                p.fragmentOffset = field & 0xfff8;
                p.moreFragments = (field & 1) != 0;
                p.fragment = p.fragmentOffset != 0 || p.moreFragments;
            } else if (next == IpProtocols.AH) {
                if (at + Ipv6Descriptor.EXT_MIN_LENGTH > p.l3End) {
                    return p.stop(cut ? ParseStatus.TRUNCATED : ParseStatus.BAD_LENGTH);
                }
                extLength = (Bytes.u8(p.segment, p.base + at + Ipv6Descriptor.AH_LENGTH_OFFSET) + 2) << 2;
                if (p.authHeaderOffset == ParsedPacket.NONE) {
                    p.authHeaderOffset = at;
                }
            } else {
                break;
            }
            // No count bound: each header is at least 8 bytes and must end inside the datagram, so
            // the walk ends with the captured bytes. A bound below that is a filter bypass: Linux
            // delivers a datagram behind a dozen Destination Options headers.
            if (at + extLength > p.l3End) {
                return p.stop(cut ? ParseStatus.TRUNCATED : ParseStatus.BAD_LENGTH);
            }
            p.extensionHeaders++;
            next = Bytes.u8(p.segment, p.base + at + Ipv6Descriptor.EXT_NEXT_HEADER_OFFSET);
            at += extLength;
            if (p.fragmentOffset != 0) {
                break; // headers after a non-first fragment's fragment header belong to the payload
            }
        }
        p.ipProtocol = next;
        p.layer = Layer.NETWORK;
        return transport(p, at, cut);
    }

    private static ParseStatus transport(ParsedPacket p, int offset, boolean cut) {
        p.l4Offset = offset;
        ParseStatus done = cut ? ParseStatus.TRUNCATED : ParseStatus.OK;
        if (p.fragmentOffset != 0) {
            return p.stop(done); // no transport header in a non-first fragment
        }
        int available = p.l3End - offset;
        long l4 = p.base + offset;
        if (p.ipProtocol == IpProtocols.AH) {
            p.authHeaderOffset = offset; // IPv4: AH sits where the transport header would
        }
        switch (p.ipProtocol) {
            case IpProtocols.TCP -> {
                if (available < TcpDescriptor.MIN_HEADER_LENGTH) {
                    return p.stop(cut || p.moreFragments ? ParseStatus.TRUNCATED : ParseStatus.BAD_LENGTH);
                }
                int headerLength = (Bytes.u8(p.segment, l4 + TcpDescriptor.OFFSET_FLAGS_OFFSET) >>> 4) << 2;
                if (headerLength < TcpDescriptor.MIN_HEADER_LENGTH) {
                    return p.stop(ParseStatus.BAD_LENGTH);
                }
                if (headerLength > available) {
                    return p.stop(cut || p.moreFragments ? ParseStatus.TRUNCATED : ParseStatus.BAD_LENGTH);
                }
                p.sourcePort = Bytes.u16(p.segment, l4);
                p.destinationPort = Bytes.u16(p.segment, l4 + 2);
                p.tcpFlags = Bytes.u16(p.segment, l4 + TcpDescriptor.OFFSET_FLAGS_OFFSET) & TcpDescriptor.FLAGS_MASK;
                p.payloadOffset = offset + headerLength;
            }
            case IpProtocols.UDP, IpProtocols.UDPLITE -> {
                if (available < UdpDescriptor.HEADER_LENGTH) {
                    return p.stop(cut || p.moreFragments ? ParseStatus.TRUNCATED : ParseStatus.BAD_LENGTH);
                }
                long header = Bytes.i64(p.segment, l4); // ports, length, checksum
                int udpLength = (int) (header >>> 16) & 0xffff;
                // UDP-Lite's length field is its checksum coverage (0 = everything); only UDP's must fit.
                if (p.ipProtocol == IpProtocols.UDP && !p.fragment
                        && (udpLength < UdpDescriptor.HEADER_LENGTH || (!cut && udpLength > available))) {
                    return p.stop(ParseStatus.BAD_LENGTH);
                }
                p.sourcePort = (int) (header >>> 48);
                p.destinationPort = (int) (header >>> 32) & 0xffff;
                p.payloadOffset = offset + UdpDescriptor.HEADER_LENGTH;
                if (p.ipProtocol == IpProtocols.UDP && !p.fragment && offset + udpLength < p.l3End) {
                    p.payloadEnd = offset + udpLength; // bytes after the datagram are not its payload
                }
            }
            case IpProtocols.SCTP -> {
                if (available < SctpDescriptor.COMMON_HEADER_LENGTH) {
                    return p.stop(cut || p.moreFragments ? ParseStatus.TRUNCATED : ParseStatus.BAD_LENGTH);
                }
                p.sourcePort = Bytes.u16(p.segment, l4);
                p.destinationPort = Bytes.u16(p.segment, l4 + 2);
                p.payloadOffset = offset + SctpDescriptor.COMMON_HEADER_LENGTH;
            }
            case IpProtocols.ICMP, IpProtocols.ICMPV6 -> {
                if (available < IcmpDescriptor.HEADER_LENGTH) {
                    return p.stop(cut || p.moreFragments ? ParseStatus.TRUNCATED : ParseStatus.BAD_LENGTH);
                }
                p.payloadOffset = offset + IcmpDescriptor.HEADER_LENGTH;
            }
            default -> {
                return p.stop(done); // an upper protocol the fast path leaves opaque
            }
        }
        p.layer = Layer.TRANSPORT;
        return p.stop(done);
    }
}
