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
 * Generic segmentation offload: splits a large TCP frame (TSO, IPv4 or IPv6) into segments of
 * {@code gsoSize} payload bytes, or a large UDP frame (USO) into datagrams of {@code gsoSize},
 * as a NIC would: each piece gets the headers with its own lengths, sequence number (TCP),
 * IPv4 ID ({@code id0 + i}) and checksums; TCP's FIN and PSH only on the last piece, CWR only on
 * the first. Pieces are built in one scratch frame and handed to the sink one by one.
 * Single-threaded; no allocation after construction.
 */
public final class Gso {
    /** USO's limit on the datagrams one frame may become. */
    public static final int MAX_UDP_SEGMENTS = 128;
    private static final int FIN = 0x01, PSH = 0x08, CWR = 0x80;

    private final ParsedPacket parsed = new ParsedPacket();
    private final MemorySegment scratch = Arena.ofAuto().allocate(64 + 64 + 65535, 64);
    private long refused;

    /** Frames {@link #segment} could not split (not TCP/UDP over IP, bad lengths, too many UDP pieces). */
    public long refused() {
        return refused;
    }

    /** How many frames {@link #segment} would make of this frame: 1 when it is small enough or cannot be split. */
    public int pieces(MemorySegment s, long offset, int length, int gsoSize) {
        PacketParser.parse(s, offset, length, LinkType.ETHERNET, parsed);
        int data = parsed.payloadOffset();
        if (data < 0 || gsoSize <= 0 || length - data <= gsoSize) {
            return 1;
        }
        return (length - data + gsoSize - 1) / gsoSize;
    }

    /**
     * Splits the frame at {@code s[offset, offset + length)} into pieces of {@code gsoSize}
     * payload bytes; a frame already that small goes through as it is. Returns the number of
     * frames handed to the sink, 0 when the frame was refused (counted).
     */
    public int segment(MemorySegment s, long offset, int length, int gsoSize, PacketSink sink) {
        PacketParser.parse(s, offset, length, LinkType.ETHERNET, parsed);
        ParsedPacket p = parsed;
        int protocol = p.ipProtocol();
        int ip = p.l3Offset();
        int l4 = p.l4Offset();
        int data = p.payloadOffset();
        if ((protocol != IpProtocols.TCP && protocol != IpProtocols.UDP) || l4 < 0 || data < 0 || p.isFragment()
                || gsoSize <= 0 || !(p.ipVersion() == 4 || p.ipVersion() == 6)
                || (p.ipVersion() == 6 && l4 - ip != 40)) {
            refused++;
            return 0;
        }
        int dataLength = length - data;
        if (dataLength <= gsoSize) {
            sink.packet(s, offset, length, VirtioNetHeader.GSO_NONE, 0, FrameHeaders.UNKNOWN);
            return 1;
        }
        int pieces = (dataLength + gsoSize - 1) / gsoSize;
        if (protocol == IpProtocols.UDP && pieces > MAX_UDP_SEGMENTS) {
            refused++;
            return 0;
        }
        boolean v4 = p.ipVersion() == 4;
        int id0 = v4 ? Bytes.u16(s, offset + ip + 4) : 0;
        long seq0 = protocol == IpProtocols.TCP ? Bytes.u32(s, offset + l4 + 4) : 0;
        int flags0 = protocol == IpProtocols.TCP ? Bytes.u8(s, offset + l4 + 13) : 0;
        boolean noUdpChecksum = protocol == IpProtocols.UDP && v4 && Bytes.u16(s, offset + l4 + 6) == 0;
        MemorySegment.copy(s, offset, scratch, 0, data); // the headers, once
        for (int i = 0; i < pieces; i++) {
            int from = i * gsoSize;
            int n = Math.min(gsoSize, dataLength - from);
            MemorySegment.copy(s, offset + data + from, scratch, data, n);
            int frame = data + n;
            if (v4) {
                Bytes.put16(scratch, ip + 2, frame - ip);
                Bytes.put16(scratch, ip + 4, (id0 + i) & 0xffff);
                Checksums.fillIpv4Header(scratch, ip, l4 - ip);
            } else {
                Bytes.put16(scratch, ip + 4, frame - ip - 40);
            }
            if (protocol == IpProtocols.TCP) {
                Bytes.put32(scratch, l4 + 4, (int) (seq0 + (long) from));
                int flags = flags0;
                if (i > 0) {
                    flags &= ~CWR;
                }
                if (i < pieces - 1) {
                    flags &= ~(FIN | PSH);
                }
                Bytes.put8(scratch, l4 + 13, flags);
                Checksums.fillTransport(scratch, ip, IpProtocols.TCP, l4, frame - l4, 16);
            } else {
                Bytes.put16(scratch, l4 + 4, frame - l4);
                if (!noUdpChecksum) { // a datagram sent without a checksum (IPv4) stays without
                    Checksums.fillTransport(scratch, ip, IpProtocols.UDP, l4, frame - l4, 6);
                }
            }
            sink.packet(scratch, 0, frame, VirtioNetHeader.GSO_NONE, 0, FrameHeaders.UNKNOWN);
        }
        return pieces;
    }
}
