package io.netbypass.hostpath;

import io.netbypass.packet.Bytes;
import io.netbypass.packet.Checksums;
import io.netbypass.packet.FrameHeaders;
import io.netbypass.packet.IpProtocols;
import io.netbypass.packet.LinkType;
import io.netbypass.packet.PacketParser;
import io.netbypass.packet.ParsedPacket;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Generic receive offload for TCP and UDP over IPv4 and IPv6 on Ethernet, with the kernel's
 * merge and flush rules: consecutive segments of one flow whose headers agree (everything but the
 * sequence number, the IPv4 ID and length, and FIN/PSH on the last) become one large frame with
 * GSO metadata, which {@link Gso} splits back into the same segments. UDP as the kernel merges
 * it for a socket with UDP_GRO: datagrams of the first one's size, the last may be shorter, at
 * most {@link #MAX_UDP_SEGMENTS}; the result is a GSO_UDP_L4 frame. Held frames are delivered
 * when a segment ends a run (shorter than the first, or URG/PSH/RST/SYN/FIN), when one cannot
 * be appended, and at {@link #flush()}, which the caller calls at the end of every batch.
 *
 * <p>Frames that are not TCP, or TCP that GRO leaves alone (IPv4 options, fragments, IPv6
 * extension headers, padding, a bad IP or TCP checksum), pass through unchanged; one of a held
 * flow first flushes that flow, so a flow's order never changes. Single-threaded; no allocation
 * after construction.
 */
public final class Gro {
    /** Flows held at once (the kernel's MAX_GRO_SKBS); one more flushes the oldest. */
    public static final int MAX_FLOWS = 8;
    /** UDP datagrams merged into one frame at most (the kernel's UDP_GRO_CNT_MAX). */
    public static final int MAX_UDP_SEGMENTS = 64;
    private static final int IP_MAX = 65535;
    private static final int BUFFER = 64 + 64 + IP_MAX; // link headers (4 VLAN tags) + IP datagram
    private static final int FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, URG = 0x20, CWR = 0x80;
    private static final int FLAGS_OFFSET = 12; // data offset nibble + flags: the kernel's tcp_flag_word half

    private final PacketSink sink;
    private final ParsedPacket parsed = new ParsedPacket();
    private final MemorySegment memory;

    // Per held flow: its frame in memory[f * BUFFER, + length[f]).
    private final boolean[] held = new boolean[MAX_FLOWS];
    private final long[] age = new long[MAX_FLOWS];
    private final int[] length = new int[MAX_FLOWS];
    private final int[] l3 = new int[MAX_FLOWS];
    private final int[] l4 = new int[MAX_FLOWS];
    private final int[] payload = new int[MAX_FLOWS];
    private final int[] version = new int[MAX_FLOWS];
    private final int[] protocol = new int[MAX_FLOWS];
    /** UDP over IPv4 without a checksum (0): merged only with its like, and kept without one. */
    private final boolean[] zeroChecksum = new boolean[MAX_FLOWS];
    private final int[] mss = new int[MAX_FLOWS];
    private final int[] count = new int[MAX_FLOWS];
    private final long[] nextSequence = new long[MAX_FLOWS];
    private final int[] firstId = new int[MAX_FLOWS];
    /** IPv4 ID pattern seen so far: 0 unknown (one segment), 1 incrementing, 2 fixed (DF only). */
    private final int[] idMode = new int[MAX_FLOWS];
    /**
     * Ones'-complement sum of the held payload, as 16-bit words from the payload's first byte:
     * each segment's sum is taken once, to check it, and added here, so the merged frame's TCP
     * checksum needs no second pass over its data.
     */
    private final long[] payloadSum = new long[MAX_FLOWS];
    /** The payload sum of the segment {@link #eligible} just checked. */
    private long segmentPayloadSum;
    /** The frame being taken has a checksum its caller verified. */
    private boolean verified;
    private long arrivals;
    /** The flow {@link #hold} used last. */
    private int heldLast;

    private long segmentsIn;
    private long framesOut;
    private long merged;
    private long passedThrough;

    public Gro(PacketSink sink) {
        this.sink = sink;
        this.memory = Arena.ofAuto().allocate((long) MAX_FLOWS * BUFFER, 64);
    }

    /** Frames handed in, frames handed on, segments appended to a held frame, frames GRO left alone. */
    public long segmentsIn() { return segmentsIn; }
    public long framesOut() { return framesOut; }
    public long merged() { return merged; }
    public long passedThrough() { return passedThrough; }

    /** Takes one Ethernet frame; what comes out goes to the sink, now or at a later call. */
    public void receive(MemorySegment s, long offset, int frameLength) {
        PacketParser.parse(s, offset, frameLength, LinkType.ETHERNET, parsed);
        receive(s, offset, frameLength, FrameHeaders.of(parsed), false);
    }

    /**
     * Takes one Ethernet frame that {@code p} already describes; {@code checksumVerified}: its
     * TCP or UDP checksum is known to be right (checked over the whole segment by the caller, as
     * {@link ChecksumCompletion} does), so GRO need not sum the payload again: the payload's sum
     * follows from the headers' (the whole folds to 0xffff).
     */
    public void receive(MemorySegment s, long offset, int frameLength, long headers, boolean checksumVerified) {
        segmentsIn++;
        verified = checksumVerified;
        int proto = FrameHeaders.protocol(headers);
        if (!FrameHeaders.fits(headers, frameLength) || (proto != IpProtocols.TCP && proto != IpProtocols.UDP)
                || FrameHeaders.l4(headers) < 0 || FrameHeaders.payload(headers) < 0 || FrameHeaders.fragment(headers)) {
            pass(s, offset, frameLength, headers);
            return;
        }
        int ip = FrameHeaders.l3(headers);
        int tcp = FrameHeaders.l4(headers);
        int v = FrameHeaders.version(headers);
        int flow = find(s, offset, ip, tcp, v, proto);
        if (!(proto == IpProtocols.TCP ? eligible(s, offset, frameLength, ip, tcp, v) : eligibleUdp(s, offset, frameLength, ip, tcp, v))) {
            if (flow >= 0) {
                flushFlow(flow); // this flow's held frame first: its order must not change
            }
            pass(s, offset, frameLength, headers);
            return;
        }
        if (proto == IpProtocols.UDP) {
            receiveUdp(flow, s, offset, frameLength, ip, tcp, v);
            return;
        }
        int data = FrameHeaders.payload(headers);
        int dataLength = frameLength - data;
        int flags = Bytes.u16(s, offset + tcp + FLAGS_OFFSET) & 0xff;
        if (flow >= 0) {
            if (canAppend(flow, s, offset, ip, tcp, v, dataLength, flags)) {
                append(flow, s, offset, data, dataLength, flags);
                if (dataLength < mss[flow] || (flags & (URG | PSH | RST | SYN | FIN)) != 0) {
                    flushFlow(flow);
                }
                return;
            }
            flushFlow(flow);
        }
        if (dataLength == 0 || (flags & (URG | PSH | RST | SYN | FIN)) != 0) {
            deliver(s, offset, frameLength, VirtioNetHeader.GSO_NONE, 0, headers);
            return;
        }
        hold(s, offset, frameLength, ip, tcp, data, v, IpProtocols.TCP);
    }

    private void receiveUdp(int flow, MemorySegment s, long offset, int frameLength, int ip, int udp, int v) {
        int data = udp + 8;
        int dataLength = frameLength - data;
        boolean zero = Bytes.u16(s, offset + udp + 6) == 0;
        if (flow >= 0) {
            if (dataLength > 0 && dataLength <= mss[flow] && zero == zeroChecksum[flow]
                    && length[flow] - l3[flow] + dataLength <= IP_MAX && ipAgrees(flow, s, offset + ip, v)) {
                append(flow, s, offset, data, dataLength, 0);
                if (dataLength < mss[flow] || count[flow] >= MAX_UDP_SEGMENTS) {
                    flushFlow(flow);
                }
                return;
            }
            flushFlow(flow); // a longer datagram, or one that differs: it starts anew
        }
        if (dataLength == 0) {
            deliver(s, offset, frameLength, VirtioNetHeader.GSO_NONE, 0, FrameHeaders.of(ip, udp, data, IpProtocols.UDP, v, false));
            return;
        }
        hold(s, offset, frameLength, ip, udp, data, v, IpProtocols.UDP);
        zeroChecksum[heldLast] = zero;
    }

    /** Delivers every held frame, oldest first: the end of a batch. */
    public void flush() {
        while (true) {
            int oldest = oldest();
            if (oldest < 0) {
                return;
            }
            flushFlow(oldest);
        }
    }

    private void pass(MemorySegment s, long offset, int frameLength, long headers) {
        passedThrough++;
        deliver(s, offset, frameLength, VirtioNetHeader.GSO_NONE, 0, headers);
    }

    private void deliver(MemorySegment s, long offset, int frameLength, int gsoType, int gsoSize, long headers) {
        framesOut++;
        sink.packet(s, offset, frameLength, gsoType, gsoSize, headers);
    }

    /**
     * What GRO takes: exactly the IP header (20 bytes of IPv4, or IPv6 with TCP next), the IP
     * length saying exactly the frame's length, correct IPv4 header and TCP checksums.
     */
    private boolean eligible(MemorySegment s, long offset, int frameLength, int ip, int tcp, int v) {
        long ipAt = offset + ip;
        int l4Length = frameLength - tcp;
        if (v == 4) {
            if (tcp - ip != 20 || Bytes.u16(s, ipAt + 2) != frameLength - ip || !Checksums.verifyIpv4Header(s, ipAt, 20)) {
                return false;
            }
        } else if (v != 6 || tcp - ip != 40 || Bytes.u16(s, ipAt + 4) != frameLength - ip - 40) {
            return false;
        }
        int headerLength = (Bytes.u8(s, offset + tcp + 12) >>> 4) << 2;
        if (headerLength < 20 || headerLength > l4Length) {
            return false;
        }
        // Header and payload summed apart: the payload's sum is kept for the merged checksum.
        long header = Checksums.transportSum(s, ipAt, IpProtocols.TCP, offset + tcp, l4Length, headerLength);
        if (verified) {
            segmentPayloadSum = ~Checksums.fold(header) & 0xffff; // header + payload folds to 0xffff
            return true;
        }
        segmentPayloadSum = Checksums.add(s, offset + tcp + headerLength, l4Length - headerLength, 0);
        return Checksums.fold(header + segmentPayloadSum) == 0xffff;
    }

    /**
     * UDP that GRO takes: the IP header as for TCP, the UDP length saying exactly the frame's
     * length, and a correct checksum (over IPv4 also none, 0).
     */
    private boolean eligibleUdp(MemorySegment s, long offset, int frameLength, int ip, int udp, int v) {
        long ipAt = offset + ip;
        int l4Length = frameLength - udp;
        if (v == 4) {
            if (udp - ip != 20 || Bytes.u16(s, ipAt + 2) != frameLength - ip || !Checksums.verifyIpv4Header(s, ipAt, 20)) {
                return false;
            }
        } else if (v != 6 || udp - ip != 40 || Bytes.u16(s, ipAt + 4) != frameLength - ip - 40) {
            return false;
        }
        if (l4Length < 8 || Bytes.u16(s, offset + udp + 4) != l4Length) {
            return false;
        }
        if (Bytes.u16(s, offset + udp + 6) == 0) {
            segmentPayloadSum = 0; // kept without a checksum: its sum is never needed
            return v == 4; // no checksum: IPv4 only
        }
        long header = Checksums.transportSum(s, ipAt, IpProtocols.UDP, offset + udp, l4Length, 8);
        if (verified) {
            segmentPayloadSum = ~Checksums.fold(header) & 0xffff;
            return true;
        }
        segmentPayloadSum = Checksums.add(s, offset + udp + 8, l4Length - 8, 0);
        return Checksums.fold(header + segmentPayloadSum) == 0xffff;
    }

    /** The held flow with this frame's link header, addresses and ports, or -1. */
    private int find(MemorySegment s, long offset, int ip, int tcp, int v, int proto) {
        for (int f = 0; f < MAX_FLOWS; f++) {
            if (!held[f] || version[f] != v || l3[f] != ip || protocol[f] != proto) {
                continue; // (the IP header length is not part of the flow: one with options still flushes it)
            }
            long base = (long) f * BUFFER;
            int addresses = v == 4 ? 12 : 8;
            int addressLength = v == 4 ? 8 : 32;
            if (MemorySegment.mismatch(memory, base, base + ip, s, offset, offset + ip) == -1
                    && MemorySegment.mismatch(memory, base + ip + addresses, base + ip + addresses + addressLength,
                    s, offset + ip + addresses, offset + ip + addresses + addressLength) == -1
                    && Bytes.i32(memory, base + l4[f]) == Bytes.i32(s, offset + tcp)) {
                return f;
            }
        }
        return -1;
    }

    private boolean canAppend(int f, MemorySegment s, long offset, int ip, int tcp, int v, int dataLength, int flags) {
        long base = (long) f * BUFFER;
        long ipAt = offset + ip;
        long heldTcp = base + l4[f];
        long tcpAt = offset + tcp;
        int heldFlags = Bytes.u16(memory, heldTcp + FLAGS_OFFSET);
        int newFlags = Bytes.u16(s, tcpAt + FLAGS_OFFSET);
        if ((flags & CWR) != 0 || ((heldFlags ^ newFlags) & ~(CWR | FIN | PSH)) != 0) {
            return false; // CWR starts a new frame; other flags and the data offset must agree
        }
        if (Bytes.i32(memory, heldTcp + 8) != Bytes.i32(s, tcpAt + 8) || Bytes.u16(memory, heldTcp + 14) != Bytes.u16(s, tcpAt + 14)) {
            return false; // ack, window
        }
        int headerLength = payload[f] - l4[f];
        if (headerLength > 20 && MemorySegment.mismatch(memory, heldTcp + 20, heldTcp + headerLength, s, tcpAt + 20,
                tcpAt + headerLength) != -1) {
            return false; // every option byte (timestamps included) must agree
        }
        if (dataLength == 0 || dataLength > mss[f] || Bytes.u32(s, tcpAt + 4) != nextSequence[f]
                || length[f] - l3[f] + dataLength > IP_MAX) {
            return false;
        }
        return ipAgrees(f, s, ipAt, v);
    }

    /** The IP header rules for appending to held frame {@code f}: TOS/TTL/DF and the ID, or class, label and hop limit. */
    private boolean ipAgrees(int f, MemorySegment s, long ipAt, int v) {
        long heldIp = (long) f * BUFFER + l3[f];
        if (v == 4) {
            // TOS and TTL, DF; then the ID: the next one, or (with DF) the same one every time.
            if (Bytes.u8(memory, heldIp + 1) != Bytes.u8(s, ipAt + 1) || Bytes.u8(memory, heldIp + 8) != Bytes.u8(s, ipAt + 8)) {
                return false;
            }
            int heldDf = Bytes.u16(memory, heldIp + 6) & 0x4000;
            if (heldDf != (Bytes.u16(s, ipAt + 6) & 0x4000)) {
                return false;
            }
            int id = Bytes.u16(s, ipAt + 4);
            boolean next = id == ((firstId[f] + count[f]) & 0xffff);
            boolean fixed = heldDf != 0 && id == firstId[f];
            int mode = idMode[f];
            return mode == 0 ? next || fixed : mode == 1 ? next : fixed;
        }
        // IPv6: version, traffic class and flow label, and the hop limit must agree.
        return Bytes.i32(memory, heldIp) == Bytes.i32(s, ipAt) && Bytes.u8(memory, heldIp + 7) == Bytes.u8(s, ipAt + 7);
    }

    private void append(int f, MemorySegment s, long offset, int data, int dataLength, int flags) {
        long base = (long) f * BUFFER;
        MemorySegment.copy(s, offset + data, memory, base + length[f], dataLength);
        long add = segmentPayloadSum;
        if (((length[f] - payload[f]) & 1) != 0) {
            int folded = Checksums.fold(add); // this segment's words start at an odd byte of the payload: swap them
            add = ((folded & 0xff) << 8) | (folded >>> 8);
        }
        payloadSum[f] += add;
        if (version[f] == 4 && count[f] == 1) {
            int id = Bytes.u16(s, offset + l3[f] + 4);
            idMode[f] = id == firstId[f] ? 2 : 1;
        }
        length[f] += dataLength;
        count[f]++;
        nextSequence[f] = (nextSequence[f] + dataLength) & 0xffffffffL;
        if (protocol[f] == IpProtocols.TCP) {
            long flagsAt = base + l4[f] + FLAGS_OFFSET + 1;
            Bytes.put8(memory, flagsAt, Bytes.u8(memory, flagsAt) | (flags & (FIN | PSH)));
        }
        merged++;
    }

    private void hold(MemorySegment s, long offset, int frameLength, int ip, int tcp, int data, int v, int proto) {
        int f = -1;
        for (int i = 0; i < MAX_FLOWS && f < 0; i++) {
            if (!held[i]) {
                f = i;
            }
        }
        if (f < 0) {
            f = oldest();
            flushFlow(f);
        }
        long base = (long) f * BUFFER;
        MemorySegment.copy(s, offset, memory, base, frameLength);
        held[f] = true;
        age[f] = arrivals++;
        length[f] = frameLength;
        l3[f] = ip;
        l4[f] = tcp;
        payload[f] = data;
        version[f] = v;
        mss[f] = frameLength - data;
        count[f] = 1;
        nextSequence[f] = (Bytes.u32(s, offset + tcp + 4) + (frameLength - data)) & 0xffffffffL;
        firstId[f] = v == 4 ? Bytes.u16(s, offset + ip + 4) : 0;
        idMode[f] = 0;
        payloadSum[f] = segmentPayloadSum;
        protocol[f] = proto;
        zeroChecksum[f] = false;
        heldLast = f;
    }

    private int oldest() {
        int o = -1;
        for (int f = 0; f < MAX_FLOWS; f++) {
            if (held[f] && (o < 0 || age[f] < age[o])) {
                o = f;
            }
        }
        return o;
    }

    /** Delivers held frame {@code f}: as it came when it is one segment, else with lengths and checksums made right. */
    private void flushFlow(int f) {
        held[f] = false;
        long base = (long) f * BUFFER;
        long headers = FrameHeaders.of(l3[f], l4[f], payload[f], protocol[f], version[f], false);
        if (count[f] == 1) {
            deliver(memory, base, length[f], VirtioNetHeader.GSO_NONE, 0, headers);
            return;
        }
        long ip = base + l3[f];
        long tcp = base + l4[f];
        int ipLength = length[f] - l3[f];
        int type;
        if (version[f] == 4) {
            Bytes.put16(memory, ip + 2, ipLength);
            Checksums.fillIpv4Header(memory, ip, 20);
            type = VirtioNetHeader.GSO_TCPV4;
        } else {
            Bytes.put16(memory, ip + 4, ipLength - 40);
            type = VirtioNetHeader.GSO_TCPV6;
        }
        if (protocol[f] == IpProtocols.UDP) {
            int l4Length = length[f] - l4[f];
            Bytes.put16(memory, tcp + 4, l4Length);
            if (!zeroChecksum[f]) {
                Bytes.put16(memory, tcp + 6, 0);
                long sum = Checksums.transportSum(memory, ip, IpProtocols.UDP, tcp, l4Length, 8) + payloadSum[f];
                int c = Checksums.finish(sum);
                Bytes.put16(memory, tcp + 6, c == 0 ? 0xffff : c);
            }
            deliver(memory, base, length[f], VirtioNetHeader.GSO_UDP_L4, mss[f], headers);
            return;
        }
        // Pseudo-header and TCP header (checksum field zeroed) summed now; the payload's sum is known.
        int headerLength = payload[f] - l4[f];
        Bytes.put16(memory, tcp + 16, 0);
        long sum = Checksums.transportSum(memory, ip, IpProtocols.TCP, tcp, length[f] - l4[f], headerLength) + payloadSum[f];
        Bytes.put16(memory, tcp + 16, Checksums.finish(sum));
        if ((Bytes.u8(memory, tcp + FLAGS_OFFSET + 1) & CWR) != 0) {
            type |= VirtioNetHeader.GSO_ECN;
        }
        deliver(memory, base, length[f], type, mss[f], headers);
    }
}
