package io.netbypass.dissect;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Locale;

import io.netbypass.capture.CaptureRecord;
import io.netbypass.packet.AddressText;
import io.netbypass.packet.Bytes;
import io.netbypass.packet.Checksums;
import io.netbypass.packet.CookedDescriptor;
import io.netbypass.packet.EtherTypes;
import io.netbypass.packet.IcmpDescriptor;
import io.netbypass.packet.IpProtocols;
import io.netbypass.packet.LinkType;

/**
 * Decodes frames into the {@link DumpField}s of {@code pcap dump} with tshark 4.0's rules (checksum
 * validation on, absolute sequence numbers, IP reassembly on), so that the output can be diffed
 * against {@code tshark -T fields}. Tunnels and ICMP-quoted headers add later occurrences.
 *
 * <p>tshark adds each field only if the bytes it reads were captured and lie within the
 * enclosing protocol's length, and stops the frame at the first read that does not: that is
 * {@link Tvb#need}. This class is the offline oracle-compatible decoder; the engine's fast path
 * is {@link io.netbypass.packet.PacketParser}.
 */
public final class Dissector {
    private static final int MAX_DEPTH = 24;
    private static final int PORT_VXLAN = 4789;
    private static final int PORT_GENEVE = 6081;
    private static final int PORT_GTPU = 2152;

    private final Reassembler ipv4Fragments = new Reassembler();
    private final Reassembler ipv6Fragments = new Reassembler();
    private int frameNumber;

    /** Signals a read past the captured or reported end: tshark's bounds exception. */
    private static final class OutOfBounds extends RuntimeException {
        OutOfBounds() {
            super(null, null, false, false);
        }
    }

    private static final OutOfBounds OUT_OF_BOUNDS = new OutOfBounds();

    /** A view of bytes [start, end): end is where reads stop (captured and reported). */
    private record Tvb(MemorySegment s, long start, long captured, long reported) {
        long capturedEnd() {
            return Math.min(captured, reported);
        }

        long capturedLength() {
            return Math.max(0, capturedEnd() - start);
        }

        long reportedLength() {
            return reported - start;
        }

        void need(long offset, long n) {
            if (offset + n > capturedEnd()) {
                throw OUT_OF_BOUNDS;
            }
        }

        int u8(long offset) {
            need(offset, 1);
            return Bytes.u8(s, offset);
        }

        int u16(long offset) {
            need(offset, 2);
            return Bytes.u16(s, offset);
        }

        long u32(long offset) {
            need(offset, 4);
            return Bytes.u32(s, offset);
        }

        /** A sub-view from {@code from}, its reported end narrowed to {@code length} bytes when that is smaller. */
        Tvb from(long from, long length) {
            return new Tvb(s, from, captured, Math.min(reported, from + length));
        }

        Tvb from(long from) {
            return new Tvb(s, from, captured, reported);
        }
    }

    /** Per-layer context: error-quote and fragment state, and which protocol encloses this one. */
    private record Context(boolean inError, boolean fragmented, boolean underIcmpV4, int depth, int vlanId) {
        Context deeper() {
            if (depth >= MAX_DEPTH) {
                throw OUT_OF_BOUNDS;
            }
            return new Context(inError, fragmented, false, depth + 1, vlanId);
        }
    }

    /** Decodes the next frame of the capture (frames are numbered from 1 in call order). */
    public FieldRow dissect(CaptureRecord record) {
        FieldRow row = new FieldRow();
        frameNumber++;
        row.add(DumpField.FRAME_NUMBER, frameNumber);
        row.add(DumpField.FRAME_LEN, Integer.toUnsignedLong(record.originalLength()));
        row.add(DumpField.FRAME_CAP_LEN, record.capturedLength());
        long start = record.dataOffset();
        long captured = start + record.capturedLength();
        long reported = start + Math.max(Integer.toUnsignedLong(record.originalLength()), record.capturedLength());
        Tvb tvb = new Tvb(record.segment(), start, captured, reported);
        Context ctx = new Context(false, false, false, 0, 0);
        try {
            link(row, tvb, record.linkType(), ctx);
        } catch (OutOfBounds | IndexOutOfBoundsException e) {
            // tshark stops the frame here; the fields found so far stand.
        }
        return row;
    }

    private void link(FieldRow row, Tvb t, int linkType, Context ctx) {
        switch (linkType) {
            case LinkType.ETHERNET -> ethernet(row, t, ctx);
            case LinkType.LINUX_SLL -> {
                int hatype = t.u16(t.start + CookedDescriptor.SLL_HATYPE_OFFSET);
                cookedPayload(row, t, t.u16(t.start + CookedDescriptor.SLL_PROTOCOL_OFFSET), hatype,
                        t.start + CookedDescriptor.SLL_HEADER_LENGTH, ctx);
            }
            case LinkType.LINUX_SLL2 -> {
                int protocol = t.u16(t.start + CookedDescriptor.SLL2_PROTOCOL_OFFSET);
                int hatype = t.u16(t.start + CookedDescriptor.SLL2_HATYPE_OFFSET);
                t.need(t.start, CookedDescriptor.SLL2_HEADER_LENGTH);
                cookedPayload(row, t, protocol, hatype, t.start + CookedDescriptor.SLL2_HEADER_LENGTH, ctx);
            }
            case LinkType.NULL -> nullLoopback(row, t, ctx, false);
            case LinkType.LOOP -> nullLoopback(row, t, ctx, true);
            case LinkType.RAW, LinkType.RAW_DLT12, LinkType.RAW_DLT14 -> rawIp(row, t.from(t.start), ctx);
            case LinkType.IPV4 -> ipv4(row, t.from(t.start), ctx);
            case LinkType.IPV6 -> ipv6(row, t.from(t.start), ctx);
            default -> {
                // a link type without fields in the dump
            }
        }
    }

    private void cookedPayload(FieldRow row, Tvb t, int protocol, int hatype, long payload, Context ctx) {
        t.need(t.start, payload - t.start);
        if (hatype == CookedDescriptor.HATYPE_NETLINK) {
            return;
        }
        if (hatype == CookedDescriptor.HATYPE_IPGRE) {
            etherType(row, t.from(payload), protocol, ctx);
            return;
        }
        if (protocol == CookedDescriptor.PROTO_802_2) {
            llc(row, t.from(payload), ctx);
            return;
        }
        if (protocol > EtherTypes.MAX_8023_LENGTH) {
            etherType(row, t.from(payload), protocol, ctx);
        }
    }

    private void nullLoopback(FieldRow row, Tvb t, Context ctx, boolean networkOrder) {
        if (!networkOrder && t.u16(t.start) == 0xff03) {
            ppp(row, t.from(t.start + 2), ctx);
            return;
        }
        long raw = t.u32(t.start);
        long family;
        if (networkOrder) {
            family = raw;
        } else {
            // Host byte order of the capturing machine: a value with its high half set was written the other way round.
            long little = Integer.toUnsignedLong(Integer.reverseBytes((int) raw));
            family = (little & 0xffff0000L) != 0 ? raw : little;
        }
        Tvb payload = t.from(t.start + 4);
        if (family > EtherTypes.MAX_8023_LENGTH && family <= 0xffff) {
            etherType(row, payload, (int) family, ctx);
        } else if (family == 2) {
            ipv4(row, payload, ctx);
        } else if (family == 10 || family == 24 || family == 28 || family == 30) {
            ipv6(row, payload, ctx);
        }
    }

    private void rawIp(FieldRow row, Tvb t, Context ctx) {
        int version = t.u8(t.start) >>> 4;
        if (version == 4) {
            ipv4(row, t, ctx);
        } else if (version == 6) {
            ipv6(row, t, ctx);
        }
    }

    private void ethernet(FieldRow row, Tvb t, Context ctx) {
        t.need(t.start, 14);
        int type = t.u16(t.start + 12);
        if (type <= EtherTypes.MAX_8023_LENGTH) {
            if (isCiscoIsl(t)) {
                return;
            }
            // An 802.3 length field, except that tshark takes a zero there as EtherType 0.
            // 0xffff after the header is raw IPX, not 802.2.
            if (type != 0) {
                if (t.capturedEnd() - t.start < 16 || t.u16(t.start + 14) != 0xffff) {
                    llc(row, t.from(t.start + 14, type), ctx);
                }
                return;
            }
        }
        row.add(DumpField.ETH_TYPE, hex4(type));
        etherType(row, t.from(t.start + 14), type, ctx);
    }

    /** Cisco ISL frames are recognised by their destination 01-00-0C-00-00 (or 0C-00-0C-00-00). */
    private static boolean isCiscoIsl(Tvb t) {
        int first = t.u8(t.start);
        return (first == 0x01 || first == 0x0c) && t.u8(t.start + 1) == 0 && t.u8(t.start + 2) == 0x0c
                && t.u8(t.start + 3) == 0 && t.u8(t.start + 4) == 0;
    }

    /** IEEE 802.2 LLC; only SNAP with an EtherType inside leads to fields. */
    private void llc(FieldRow row, Tvb t, Context ctx) {
        int dsap = t.u8(t.start);
        int ssap = t.u8(t.start + 1);
        if (dsap == 0xaa && ssap == 0xaa) {
            int control = t.u8(t.start + 2);
            if ((control & 0x3) != 0x3) {
                return; // SNAP over an I or S frame carries no EtherType
            }
            long oui = (long) t.u16(t.start + 3) << 8 | t.u8(t.start + 5);
            int pid = t.u16(t.start + 6);
            if (oui == 0 || oui == 0xf8) {
                etherType(row, t.from(t.start + 8), pid, ctx);
            }
        }
    }

    private void etherType(FieldRow row, Tvb t, int type, Context ctx) {
        Context c = ctx.deeper();
        switch (type) {
            case EtherTypes.IPV4 -> ipv4(row, t, c);
            case EtherTypes.IPV6 -> ipv6(row, t, c);
            case EtherTypes.VLAN, EtherTypes.QINQ_9100 -> vlan(row, t, c, DumpField.VLAN_ID);
            case EtherTypes.QINQ_8021AD -> vlan(row, t, c, DumpField.IEEE8021AD_ID);
            case EtherTypes.PPPOE_SESSION -> pppoeSession(row, t, c);
            case EtherTypes.MPLS_UNICAST, EtherTypes.MPLS_MULTICAST -> mpls(row, t, c);
            case EtherTypes.TRANSPARENT_ETHERNET -> ethernet(row, t, c);
            case EtherTypes.PPP -> ppp(row, t, c);
            default -> {
                // ARP, LLDP and the rest carry none of the dumped fields
            }
        }
    }

    private void vlan(FieldRow row, Tvb t, Context ctx, DumpField idField) {
        int tci = t.u16(t.start);
        row.add(idField, tci & 0x0fff);
        int inner = t.u16(t.start + 2);
        Context c = new Context(ctx.inError, ctx.fragmented, false, ctx.depth, tci & 0x0fff);
        if (inner <= EtherTypes.MAX_8023_LENGTH) {
            llc(row, t.from(t.start + 4, inner), c);
        } else {
            etherType(row, t.from(t.start + 4), inner, c);
        }
    }

    private void pppoeSession(FieldRow row, Tvb t, Context ctx) {
        int length = t.u16(t.start + 4);
        Tvb payload = t.from(t.start + 6, length);
        ppp(row, payload, ctx);
    }

    /** PPP, with or without the HDLC-like address/control bytes (ff 03). */
    private void ppp(FieldRow row, Tvb t, Context ctx) {
        long at = t.start;
        if (t.u16(at) == 0xff03) {
            at += 2;
        }
        int protocol = t.u8(at);
        if ((protocol & 1) == 0) {
            protocol = t.u16(at);
            at += 2;
        } else {
            at += 1; // protocol field compression
        }
        switch (protocol) {
            case 0x0021 -> ipv4(row, t.from(at), ctx.deeper());
            case 0x0057 -> ipv6(row, t.from(at), ctx.deeper());
            default -> {
            }
        }
    }

    private void mpls(FieldRow row, Tvb t, Context ctx) {
        long at = t.start;
        for (int labels = 0; ; labels++) {
            if (labels == MAX_DEPTH) {
                return;
            }
            long entry = t.u32(at);
            at += 4;
            if ((entry & 0x100) != 0) {
                break; // bottom of stack
            }
        }
        int nibble = t.u8(at) >>> 4;
        if (nibble == 4) {
            ipv4(row, t.from(at), ctx.deeper());
        } else if (nibble == 6) {
            ipv6(row, t.from(at), ctx.deeper());
        }
    }

    private void ipv4(FieldRow row, Tvb t, Context ctx) {
        long ip = t.start;
        int first = t.u8(ip);
        int version = first >>> 4;
        if (version == 6) {
            ipv6(row, t, ctx); // tshark hands a version-6 header under EtherType 0x0800 to IPv6
            return;
        }
        if (version != 4) {
            return;
        }
        int headerLength = (first & 0x0f) << 2;
        if (headerLength < 20) {
            return;
        }
        row.add(DumpField.IP_DSFIELD, hex2(t.u8(ip + 1)));
        int totalLength = t.u16(ip + 2);
        if (totalLength == 0) {
            totalLength = (int) Math.min(t.reportedLength(), 0xffff); // TSO: length left for the NIC to fill in
        } else if (totalLength < headerLength) {
            return;
        }
        int id = t.u16(ip + 4);
        row.add(DumpField.IP_ID, hex4(id));
        int flags = t.u16(ip + 6);
        row.add(DumpField.IP_FLAGS_DF, (flags & 0x4000) != 0 ? 1 : 0);
        row.add(DumpField.IP_TTL, t.u8(ip + 8));
        int protocol = t.u8(ip + 9);
        row.add(DumpField.IP_PROTO, protocol);
        t.need(ip + 10, 2);
        boolean headerCaptured = ip + headerLength <= t.capturedEnd();
        boolean checksumOk = true;
        if (headerCaptured) {
            checksumOk = Checksums.verifyIpv4Header(t.s, ip, headerLength);
            row.add(DumpField.IP_CHECKSUM_STATUS, checksumOk ? ChecksumStatus.GOOD : ChecksumStatus.BAD);
        } else {
            row.add(DumpField.IP_CHECKSUM_STATUS, ChecksumStatus.UNVERIFIED);
        }
        t.need(ip + 12, 4);
        row.add(DumpField.IP_SRC, AddressText.ipv4(t.s, ip + 12));
        t.need(ip, headerLength); // tshark reads the options (for a source route) before the destination
        row.add(DumpField.IP_DST, AddressText.ipv4(t.s, finalDestination(t.s, ip, headerLength)));

        Tvb datagram = t.from(ip, totalLength);
        long payload = ip + headerLength;
        boolean more = (flags & 0x2000) != 0;
        int fragmentOffset = (flags & 0x1fff) << 3;
        Context c = ctx.deeper();
        if (more || fragmentOffset != 0) {
            long payloadLength = totalLength - headerLength;
            boolean whole = datagram.reported - payload >= payloadLength && payload + payloadLength <= datagram.capturedEnd();
            if (!ctx.inError && totalLength > headerLength && whole && checksumOk) {
                String key = AddressText.ipv4(t.s, ip + 12) + ">" + AddressText.ipv4(t.s, ip + 16) + "/" + id + "/"
                        + protocol + "/" + ctx.vlanId;
                byte[] done = ipv4Fragments.add(key, fragmentOffset, copy(t.s, payload, (int) payloadLength), more);
                if (done != null) {
                    ipPayload(row, reassembled(done), protocol, new IpHeader(t.s, ip, 4), new Context(false, false, false, c.depth, c.vlanId));
                }
                return;
            }
            if (fragmentOffset != 0) {
                return;
            }
            c = new Context(c.inError, true, false, c.depth, c.vlanId);
        }
        ipPayload(row, datagram.from(payload), protocol, new IpHeader(t.s, ip, 4), new Context(c.inError, c.fragmented, ctx.underIcmpV4, c.depth, c.vlanId));
    }

    /** Offset of the destination address: the last hop of a loose or strict source route option, if any. */
    private static long finalDestination(MemorySegment s, long ip, int headerLength) {
        long at = ip + 20;
        long end = ip + headerLength;
        while (at < end) {
            int type = Bytes.u8(s, at);
            if (type == 0) {
                break;
            }
            if (type == 1) {
                at++;
                continue;
            }
            if (at + 1 >= end) {
                break;
            }
            int length = Bytes.u8(s, at + 1);
            if (length < 2 || at + length > end) {
                break;
            }
            if ((type == 0x83 || type == 0x89) && length >= 7) {
                return at + length - 4;
            }
            at += length;
        }
        return ip + 16;
    }

    private static byte[] copy(MemorySegment s, long offset, int length) {
        return s.asSlice(offset, length).toArray(ValueLayout.JAVA_BYTE);
    }

    private Tvb reassembled(byte[] data) {
        MemorySegment s = MemorySegment.ofArray(data);
        return new Tvb(s, 0, data.length, data.length);
    }

    private void ipv6(FieldRow row, Tvb t, Context ctx) {
        long ip = t.start;
        int version = t.u8(ip) >>> 4;
        if (version != 6) {
            return;
        }
        t.need(ip, 4);
        int payloadLength = t.u16(ip + 4);
        int next = t.u8(ip + 6);
        row.add(DumpField.IPV6_NXT, next);
        t.need(ip + 7, 1);
        t.need(ip + 8, 16);
        row.add(DumpField.IPV6_SRC, AddressText.ipv6(t.s, ip + 8));
        t.need(ip + 24, 16);
        row.add(DumpField.IPV6_DST, AddressText.ipv6(t.s, ip + 24));
        Tvb datagram = payloadLength == 0 && next == IpProtocols.HOPOPTS ? t : t.from(ip, 40L + payloadLength);
        long at = ip + 40;
        Context c = ctx.deeper();
        while (true) {
            switch (next) {
                case IpProtocols.HOPOPTS, IpProtocols.ROUTING, IpProtocols.DSTOPTS -> {
                    int length = (datagram.u8(at + 1) + 1) << 3;
                    datagram.need(at, length);
                    next = datagram.u8(at);
                    at += length;
                }
                case IpProtocols.AH -> {
                    int length = (datagram.u8(at + 1) + 2) << 2;
                    datagram.need(at, length);
                    next = datagram.u8(at);
                    at += length;
                }
                case IpProtocols.FRAGMENT -> {
                    datagram.need(at, 8);
                    int fragmentNext = datagram.u8(at);
                    int field = datagram.u16(at + 2);
                    int offset = field & 0xfff8;
                    boolean more = (field & 1) != 0;
                    long id = datagram.u32(at + 4);
                    long fragment = at + 8;
                    long fragmentLength = datagram.reported - fragment;
                    if (offset == 0 && !more) {
                        next = fragmentNext; // atomic fragment: the payload is whole
                        at = fragment;
                        continue;
                    }
                    if (!ctx.inError && fragment + fragmentLength <= datagram.capturedEnd() && fragmentLength >= 0) {
                        String key = AddressText.ipv6(t.s, ip + 8) + ">" + AddressText.ipv6(t.s, ip + 24) + "/" + id;
                        byte[] done = ipv6Fragments.add(key, offset, copy(t.s, fragment, (int) fragmentLength), more);
                        if (done != null) {
                            ipPayload(row, reassembled(done), fragmentNext, new IpHeader(t.s, ip, 6), new Context(false, false, false, c.depth, c.vlanId));
                        }
                        return;
                    }
                    return; // tshark shows an IPv6 fragment it does not reassemble as data
                }
                default -> {
                    ipPayload(row, datagram.from(at), next, new IpHeader(t.s, ip, 6), c);
                    return;
                }
            }
        }
    }

    /** The IP header a transport checksum takes its pseudo-header addresses from. */
    private record IpHeader(MemorySegment s, long offset, int version) {
        long pseudoHeader(int protocol, long length) {
            return version == 4 ? Checksums.pseudoHeaderV4(s, offset, protocol, (int) length)
                    : Checksums.pseudoHeaderV6(s, offset, protocol, length);
        }
    }

    /** The upper-layer protocol of an IP datagram. */
    private void ipPayload(FieldRow row, Tvb t, int protocol, IpHeader ip, Context ctx) {
        switch (protocol) {
            case IpProtocols.TCP -> tcp(row, t, ctx, ip);
            case IpProtocols.UDP, IpProtocols.UDPLITE -> udp(row, t, ctx, protocol, ip);
            case IpProtocols.ICMP -> icmp(row, t, ctx, true);
            case IpProtocols.ICMPV6 -> icmp(row, t, ctx, false);
            case IpProtocols.IPIP -> ipv4(row, t, ctx.deeper());
            case IpProtocols.IPV6 -> ipv6(row, t, ctx.deeper());
            case IpProtocols.GRE -> gre(row, t, ctx.deeper());
            case IpProtocols.AH -> {
                int next = t.u8(t.start);
                int length = (t.u8(t.start + 1) + 2) << 2;
                t.need(t.start, length);
                ipPayload(row, t.from(t.start + length), next, ip, ctx.deeper());
            }
            default -> {
            }
        }
    }

    private void tcp(FieldRow row, Tvb t, Context ctx, IpHeader ip) {
        long h = t.start;
        int sourcePort = t.u16(h);
        int destinationPort = t.u16(h + 2);
        row.add(DumpField.TCP_SRCPORT, sourcePort);
        row.add(DumpField.TCP_DSTPORT, destinationPort);
        t.need(h, 16); // sequence, acknowledgment, offset, flags and window are read together
        long seq = Bytes.u32(t.s, h + 4);
        long ack = Bytes.u32(t.s, h + 8);
        int headerLength = (Bytes.u8(t.s, h + 12) >>> 4) << 2;
        int flags = Bytes.u16(t.s, h + 12) & 0x0fff;
        long reportedLength = t.reportedLength();
        if (!ctx.fragmented && !ctx.inError && reportedLength >= headerLength) {
            row.add(DumpField.TCP_LEN, reportedLength - headerLength);
        }
        if (!ctx.underIcmpV4) {
            // Under ICMPv4 tshark shows the quoted sequence number early, without its raw field.
            row.add(DumpField.TCP_SEQ_RAW, seq);
        }
        if (headerLength < 20) {
            row.add(DumpField.TCP_HDR_LEN, headerLength);
            return;
        }
        row.add(DumpField.TCP_ACK_RAW, ack);
        row.add(DumpField.TCP_HDR_LEN, headerLength);
        row.add(DumpField.TCP_FLAGS, hex4(flags));
        t.need(h + 16, 2);
        if (!ctx.fragmented && h + reportedLength <= t.capturedEnd()) {
            long sum = Checksums.add(t.s, h, (int) reportedLength, ip.pseudoHeader(IpProtocols.TCP, reportedLength));
            row.add(DumpField.TCP_CHECKSUM_STATUS, Checksums.fold(sum) == 0xffff ? ChecksumStatus.GOOD : ChecksumStatus.BAD);
        } else {
            row.add(DumpField.TCP_CHECKSUM_STATUS, ChecksumStatus.UNVERIFIED);
        }
    }

    private void udp(FieldRow row, Tvb t, Context ctx, int protocol, IpHeader ip) {
        long h = t.start;
        t.need(h, 4); // both ports are read before either is shown
        int sourcePort = t.u16(h);
        int destinationPort = t.u16(h + 2);
        row.add(DumpField.UDP_SRCPORT, sourcePort);
        row.add(DumpField.UDP_DSTPORT, destinationPort);
        int lengthField = t.u16(h + 4);
        int checksum = t.u16(h + 6);
        long reportedLength = t.reportedLength();
        long capturedLength = t.capturedLength();
        long udpLength;
        long coverage;
        boolean lite = protocol == IpProtocols.UDPLITE;
        if (!lite) {
            udpLength = lengthField;
            if (udpLength == 0 && ip.version == 6) {
                udpLength = reportedLength; // RFC 2675 jumbogram
            }
            if (udpLength < 8) {
                return;
            }
            coverage = udpLength;
        } else {
            udpLength = reportedLength;
            coverage = lengthField == 0 ? reportedLength : lengthField;
            if (coverage < 8 || coverage > udpLength) {
                return;
            }
        }
        int status;
        if (checksum == 0) {
            boolean ignoreZero = !lite && ip.version == 4;
            status = ignoreZero || ctx.inError ? ChecksumStatus.NOT_PRESENT : ChecksumStatus.ILLEGAL;
        } else if (!ctx.fragmented && capturedLength >= reportedLength && capturedLength >= coverage
                && reportedLength >= coverage && coverage >= 8) {
            if (lite) {
                status = ChecksumStatus.UNVERIFIED; // tshark leaves UDP-Lite checksums unchecked by default
            } else {
                long sum = Checksums.add(t.s, h, (int) coverage, ip.pseudoHeader(protocol, udpLength));
                status = Checksums.fold(sum) == 0xffff ? ChecksumStatus.GOOD : ChecksumStatus.BAD;
            }
        } else {
            status = ChecksumStatus.UNVERIFIED;
        }
        row.add(DumpField.UDP_CHECKSUM_STATUS, status);
        if (udpLength == 8 || (ctx.inError && capturedLength <= 8)) {
            return;
        }
        Tvb payload = t.from(h + 8, udpLength - 8);
        int low = Math.min(sourcePort, destinationPort);
        int high = Math.max(sourcePort, destinationPort);
        // tshark tries the lower port's dissector first, then the higher one's.
        if (!udpPort(row, payload, low, ctx)) {
            udpPort(row, payload, high, ctx);
        }
    }

    private boolean udpPort(FieldRow row, Tvb t, int port, Context ctx) {
        switch (port) {
            case PORT_VXLAN -> {
                t.need(t.start, 8);
                ethernet(row, t.from(t.start + 8), ctx.deeper());
                return true;
            }
            case PORT_GENEVE -> {
                if (t.u8(t.start) >>> 6 != 0) {
                    return true; // only Geneve version 0 is decoded
                }
                int optionsLength = (t.u8(t.start) & 0x3f) << 2;
                int protocol = t.u16(t.start + 2);
                t.need(t.start, 8 + optionsLength);
                etherType(row, t.from(t.start + 8 + optionsLength), protocol, ctx.deeper());
                return true;
            }
            case PORT_GTPU -> {
                gtpUser(row, t, ctx.deeper());
                return true;
            }
            default -> {
                return false;
            }
        }
    }

    /** GTPv1-U: a T-PDU (message type 255) carries an IP packet after the header and its extensions. */
    private void gtpUser(FieldRow row, Tvb t, Context ctx) {
        int flags = t.u8(t.start);
        if ((flags >>> 5) != 1) {
            return;
        }
        int type = t.u8(t.start + 1);
        int length = t.u16(t.start + 2);
        long at = t.start + 8;
        if ((flags & 0x07) != 0) {
            int nextExtension = t.u8(t.start + 11);
            at += 4;
            for (int n = 0; nextExtension != 0; n++) {
                if (n == MAX_DEPTH) {
                    return;
                }
                int units = t.u8(at);
                if (units == 0) {
                    return;
                }
                at += units * 4L;
                nextExtension = t.u8(at - 1);
            }
        }
        if (type != 0xff) {
            return;
        }
        Tvb inner = t.from(at, t.start + 8 + length - at);
        int version = inner.u8(inner.start) >>> 4;
        if (version == 4) {
            ipv4(row, inner, ctx);
        } else if (version == 6) {
            ipv6(row, inner, ctx);
        }
    }

    private void icmp(FieldRow row, Tvb t, Context ctx, boolean v4) {
        int type = t.u8(t.start);
        t.need(t.start, 4);
        boolean error = v4 ? IcmpDescriptor.isV4Error(type) : IcmpDescriptor.isV6Error(type);
        if (!error || t.capturedEnd() - t.start <= 8) {
            return;
        }
        Tvb quoted = t.from(t.start + 8);
        Context inner = new Context(true, ctx.fragmented, v4, ctx.depth + 1, ctx.vlanId);
        if (inner.depth >= MAX_DEPTH) {
            return;
        }
        if (v4) {
            ipv4(row, quoted, inner);
        } else {
            ipv6(row, quoted, inner);
        }
    }

    private void gre(FieldRow row, Tvb t, Context ctx) {
        int flags = t.u16(t.start);
        int protocol = t.u16(t.start + 2);
        int version = flags & 0x7;
        long at = t.start + 4;
        if ((flags & 0xc000) != 0) {
            at += 4; // checksum and offset
        }
        if ((flags & 0x2000) != 0) {
            at += 4; // key (or payload length and call id for enhanced GRE)
        }
        if ((flags & 0x1000) != 0) {
            at += 4; // sequence number
        }
        if (version == 1 && (flags & 0x0080) != 0) {
            at += 4; // acknowledgment number
        }
        if ((flags & 0x4000) != 0) {
            // source routing entries: address family, offset, length, then the entry; a zero length ends the list
            for (int n = 0; ; n++) {
                if (n == MAX_DEPTH) {
                    return;
                }
                int length = t.u8(at + 3);
                at += 4 + length;
                if (length == 0) {
                    break;
                }
            }
        }
        t.need(t.start, at - t.start);
        etherType(row, t.from(at), protocol, ctx);
    }

    private static String hex4(int v) {
        return String.format(Locale.ROOT, "0x%04x", v);
    }

    private static String hex2(int v) {
        return String.format(Locale.ROOT, "0x%02x", v);
    }
}
