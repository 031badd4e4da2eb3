package io.netbypass.testing;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.UnknownHostException;

import io.netbypass.packet.Checksums;
import io.netbypass.packet.IpProtocols;

/** Builds well-formed frames for tests (checksums filled in), inside out. */
public final class Frames {
    public static final byte[] MAC_A = {0x02, 0, 0, 0, 0, 1};
    public static final byte[] MAC_B = {0x02, 0, 0, 0, 0, 2};

    private Frames() {
    }

    public static byte[] addr(String text) {
        try {
            return InetAddress.getByName(text).getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    public static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    public static byte[] u16(int v) {
        return new byte[] {(byte) (v >>> 8), (byte) v};
    }

    public static byte[] u32(long v) {
        return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
    }

    public static byte[] ethernet(int type, byte[] payload) {
        return concat(MAC_B, MAC_A, u16(type), payload);
    }

    public static byte[] vlanTag(int tpid, int vid, int innerType) {
        return concat(u16(tpid), u16(vid), u16(innerType));
    }

    /** Ethernet with a stack of tags: {tpid, vid} pairs, outermost first. */
    public static byte[] ethernetTagged(int[][] tags, int type, byte[] payload) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(MAC_B);
        out.writeBytes(MAC_A);
        for (int[] tag : tags) {
            out.writeBytes(u16(tag[0]));
            out.writeBytes(u16(tag[1]));
        }
        out.writeBytes(u16(type));
        out.writeBytes(payload);
        return out.toByteArray();
    }

    public static byte[] udp(int sport, int dport, byte[] payload) {
        return concat(u16(sport), u16(dport), u16(8 + payload.length), u16(0), payload);
    }

    public static byte[] tcp(int sport, int dport, long seq, long ack, int flags, byte[] options, byte[] payload) {
        int headerLength = 20 + options.length;
        return concat(u16(sport), u16(dport), u32(seq), u32(ack), u16((headerLength / 4) << 12 | flags),
                u16(65535), u16(0), u16(0), options, payload);
    }

    public static byte[] icmp(int type, int code, long rest, byte[] payload) {
        byte[] m = concat(new byte[] {(byte) type, (byte) code, 0, 0}, u32(rest), payload);
        return m;
    }

    public static byte[] icmpV4(int type, int code, long rest, byte[] payload) {
        byte[] m = icmp(type, code, rest, payload);
        Checksums.fillIcmpV4(MemorySegment.ofArray(m), 0, m.length);
        return m;
    }

    /** An IPv4 packet around {@code payload}; TCP/UDP checksums in the payload are filled in. */
    public static byte[] ipv4(String src, String dst, int protocol, byte[] payload) {
        return ipv4(src, dst, protocol, 0x1234, 0x4000, 64, new byte[0], payload);
    }

    public static byte[] ipv4(String src, String dst, int protocol, int id, int flagsFragment, int ttl, byte[] options,
                              byte[] payload) {
        int headerLength = 20 + options.length;
        byte[] p = concat(new byte[] {(byte) (0x40 | headerLength / 4), 0}, u16(headerLength + payload.length), u16(id),
                u16(flagsFragment), new byte[] {(byte) ttl, (byte) protocol, 0, 0}, addr(src), addr(dst), options, payload);
        MemorySegment s = MemorySegment.ofArray(p);
        fillTransport(s, 0, protocol, headerLength, payload.length);
        Checksums.fillIpv4Header(s, 0, headerLength);
        return p;
    }

    /** An IPv6 packet; {@code upperOffset}/{@code upperProtocol} locate the transport header to checksum (-1: none). */
    public static byte[] ipv6(String src, String dst, int nextHeader, byte[] payload, int upperOffset, int upperProtocol) {
        byte[] p = concat(new byte[] {0x60, 0, 0, 0}, u16(payload.length), new byte[] {(byte) nextHeader, 64},
                addr(src), addr(dst), payload);
        if (upperOffset >= 0) {
            fillTransport(MemorySegment.ofArray(p), 0, upperProtocol, 40 + upperOffset, payload.length - upperOffset);
        }
        return p;
    }

    public static byte[] ipv6(String src, String dst, int nextHeader, byte[] payload) {
        return ipv6(src, dst, nextHeader, payload, 0, nextHeader);
    }

    private static void fillTransport(MemorySegment s, long ip, int protocol, long l4, int length) {
        switch (protocol) {
            case IpProtocols.TCP -> {
                if (length >= 20) {
                    Checksums.fillTransport(s, ip, protocol, l4, length, 16);
                }
            }
            case IpProtocols.UDP -> {
                if (length >= 8) {
                    Checksums.fillTransport(s, ip, protocol, l4, length, 6);
                }
            }
            case IpProtocols.ICMPV6 -> {
                if (length >= 4) {
                    Checksums.fillTransport(s, ip, protocol, l4, length, 2);
                }
            }
            default -> {
            }
        }
    }

    /** A generic IPv6 extension header (hop-by-hop, routing, destination options) padded to {@code units} x 8 bytes. */
    public static byte[] ipv6Extension(int next, int units) {
        byte[] h = new byte[units * 8];
        h[0] = (byte) next;
        h[1] = (byte) (units - 1);
        if (h.length > 2) {
            h[2] = 1; // PadN over the rest
            h[3] = (byte) (h.length - 4);
        }
        return h;
    }

    public static byte[] ipv6Fragment(int next, int offset, boolean more, long id) {
        return concat(new byte[] {(byte) next, 0}, u16(offset | (more ? 1 : 0)), u32(id));
    }

    public static byte[] gre(int flags, int protocol, byte[] extra, byte[] payload) {
        return concat(u16(flags), u16(protocol), extra, payload);
    }
}
