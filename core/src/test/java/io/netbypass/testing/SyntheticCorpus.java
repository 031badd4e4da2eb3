package io.netbypass.testing;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import io.netbypass.packet.EtherTypes;
import io.netbypass.packet.IpProtocols;
import io.netbypass.packet.LinkType;

import static io.netbypass.testing.Frames.*;

/**
 * Frames of every encapsulation the packet layer knows, on every link type, plus seeded
 * mutations: captures cut short, and single bytes overwritten in the headers (lying lengths,
 * bad versions, odd flags). Used to diff the dump against tshark and to fuzz the parsers.
 */
public final class SyntheticCorpus {
    public record Frame(int linkType, byte[] data, int originalLength) {
    }

    private SyntheticCorpus() {
    }

    static final String A4 = "198.18.0.1", B4 = "198.18.0.2", C4 = "198.19.7.9";
    static final String A6 = "2001:db8::1", B6 = "2001:db8:0:0:1::2", C6 = "fe80::1";

    public static List<Frame> base() {
        List<Frame> f = new ArrayList<>();
        byte[] dns = "\u0012\u0034\u0001\u0000\u0000\u0001\u0000\u0000\u0000\u0000\u0000\u0000\u0003www\u0007example\u0003com\u0000\u0000\u0001\u0000\u0001".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        byte[] udp4 = ipv4(A4, B4, IpProtocols.UDP, udp(40000, 53, dns));
        byte[] syn = ipv4(A4, B4, IpProtocols.TCP, tcp(40001, 80, 1000, 0, 0x002,
                new byte[] {2, 4, 5, (byte) 0xb4, 4, 2, 1, 3, 3, 7, 0, 0}, new byte[0]));
        byte[] data4 = ipv4(B4, A4, IpProtocols.TCP, tcp(80, 40001, 5000, 1001, 0x018, new byte[0], "hello world".getBytes()));
        byte[] tcp6 = ipv6(A6, B6, IpProtocols.TCP, tcp(40002, 443, 77, 88, 0x010, new byte[0], "abc".getBytes()));
        byte[] udp6 = ipv6(A6, B6, IpProtocols.UDP, udp(5353, 5353, "mdns".getBytes()));
        byte[] echo = ipv4(A4, B4, IpProtocols.ICMP, icmpV4(8, 0, 0x00010001, "ping".getBytes()));
        byte[] echo6 = ipv6(A6, B6, IpProtocols.ICMPV6, icmp(128, 0, 0x00010001, "ping".getBytes()));
        for (byte[] ip : List.of(udp4, syn, data4, echo)) {
            f.add(eth(EtherTypes.IPV4, ip));
        }
        for (byte[] ip : List.of(tcp6, udp6, echo6)) {
            f.add(eth(EtherTypes.IPV6, ip));
        }
        f.add(eth(EtherTypes.ARP, concat(u16(1), u16(0x0800), new byte[] {6, 4}, u16(1), MAC_A, addr(A4), new byte[6], addr(B4))));
        // VLAN stacks
        f.add(new Frame(LinkType.ETHERNET, ethernetTagged(new int[][] {{EtherTypes.VLAN, 10}}, EtherTypes.IPV4, udp4), 0));
        f.add(new Frame(LinkType.ETHERNET, ethernetTagged(new int[][] {{EtherTypes.QINQ_8021AD, 100}, {EtherTypes.VLAN, 200}}, EtherTypes.IPV6, tcp6), 0));
        f.add(new Frame(LinkType.ETHERNET, ethernetTagged(new int[][] {{EtherTypes.QINQ_9100, 7}, {EtherTypes.VLAN, 8}, {EtherTypes.VLAN, 9}}, EtherTypes.IPV4, data4), 0));
        // ICMP errors quoting headers of various lengths
        for (int quote : new int[] {8, 12, 16, 19, 20, 28, 40}) {
            byte[] inner = Arrays.copyOf(data4, Math.min(data4.length, 20 + quote));
            f.add(eth(EtherTypes.IPV4, ipv4(C4, B4, IpProtocols.ICMP, icmpV4(11, 0, 0, inner))));
            byte[] innerUdp = Arrays.copyOf(udp4, Math.min(udp4.length, 20 + quote));
            f.add(eth(EtherTypes.IPV4, ipv4(C4, A4, IpProtocols.ICMP, icmpV4(3, 3, 0, innerUdp))));
            byte[] inner6 = Arrays.copyOf(tcp6, Math.min(tcp6.length, 40 + quote));
            f.add(eth(EtherTypes.IPV6, ipv6(C6, A6, IpProtocols.ICMPV6, icmp(1, 4, 0, inner6))));
        }
        // tunnels
        f.add(eth(EtherTypes.IPV4, ipv4(A4, B4, IpProtocols.GRE, gre(0, EtherTypes.IPV4, new byte[0], udp4))));
        f.add(eth(EtherTypes.IPV4, ipv4(A4, B4, IpProtocols.GRE, gre(0x3000, EtherTypes.IPV6, concat(u32(5), u32(9)), tcp6))));
        f.add(eth(EtherTypes.IPV4, ipv4(A4, B4, IpProtocols.GRE, gre(0xa000, EtherTypes.TRANSPARENT_ETHERNET,
                concat(u32(0), u32(1)), ethernet(EtherTypes.IPV4, data4)))));
        f.add(eth(EtherTypes.IPV4, ipv4(A4, B4, IpProtocols.IPIP, udp4)));
        f.add(eth(EtherTypes.IPV4, ipv4(A4, B4, IpProtocols.IPV6, udp6)));
        f.add(eth(EtherTypes.IPV6, ipv6(A6, B6, IpProtocols.IPIP, syn, -1, 0)));
        f.add(eth(EtherTypes.IPV6, ipv6(A6, B6, IpProtocols.IPV6, tcp6, -1, 0)));
        f.add(eth(EtherTypes.IPV4, ipv4(A4, B4, IpProtocols.UDP, udp(33333, 4789,
                concat(u32(0x08000000L), u32(0x00000500L), ethernet(EtherTypes.IPV4, data4))))));
        f.add(eth(EtherTypes.IPV4, ipv4(A4, B4, IpProtocols.UDP, udp(33334, 6081,
                concat(new byte[] {0x01, 0}, u16(EtherTypes.TRANSPARENT_ETHERNET), u32(0x00000700L),
                        u16(0x0101), new byte[] {1, 0}, ethernet(EtherTypes.IPV6, udp6))))));
        f.add(eth(EtherTypes.IPV4, ipv4(A4, B4, IpProtocols.UDP, udp(2152, 2152,
                concat(new byte[] {0x30, (byte) 0xff}, u16(udp4.length), u32(42), udp4)))));
        f.add(eth(EtherTypes.PPPOE_SESSION, concat(new byte[] {0x11, 0}, u16(1), u16(udp4.length + 2), u16(0x0021), udp4)));
        f.add(eth(EtherTypes.PPPOE_SESSION, concat(new byte[] {0x11, 0}, u16(1), u16(tcp6.length + 2), u16(0x0057), tcp6)));
        f.add(eth(EtherTypes.MPLS_UNICAST, concat(u32(16 << 12 | 0x100 | 64), udp4)));
        f.add(eth(EtherTypes.MPLS_UNICAST, concat(u32(16 << 12 | 64), u32(17 << 12 | 0x100 | 64), tcp6)));
        // IPv6 extension chains
        byte[] chainPayload = concat(ipv6Extension(IpProtocols.DSTOPTS, 1), ipv6Extension(IpProtocols.ROUTING, 2),
                ipv6Extension(IpProtocols.UDP, 1), udp(7, 9, "ext".getBytes()));
        f.add(eth(EtherTypes.IPV6, ipv6(A6, B6, IpProtocols.HOPOPTS, chainPayload, 32, IpProtocols.UDP)));
        byte[] atomic = concat(ipv6Fragment(IpProtocols.TCP, 0, false, 99), tcp(1, 2, 3, 4, 0x010, new byte[0], new byte[0]));
        f.add(eth(EtherTypes.IPV6, ipv6(A6, B6, IpProtocols.FRAGMENT, atomic, 8, IpProtocols.TCP)));
        // fragments: IPv4 in order and out of order, IPv6
        byte[] big = udp(1234, 5678, new byte[100]);
        byte[] bigWhole = ipv4(A4, B4, IpProtocols.UDP, big); // to get the UDP checksum right
        byte[] bigUdp = Arrays.copyOfRange(bigWhole, 20, bigWhole.length);
        byte[] first = Arrays.copyOfRange(bigUdp, 0, 56);
        byte[] second = Arrays.copyOfRange(bigUdp, 56, bigUdp.length);
        f.add(eth(EtherTypes.IPV4, ipv4(A4, B4, IpProtocols.UDP, 0x777, 0x2000, 64, new byte[0], first)));
        f.add(eth(EtherTypes.IPV4, ipv4(A4, B4, IpProtocols.UDP, 0x777, 7, 64, new byte[0], second)));
        f.add(eth(EtherTypes.IPV4, ipv4(A4, C4, IpProtocols.UDP, 0x778, 7, 64, new byte[0], second)));
        f.add(eth(EtherTypes.IPV4, ipv4(A4, C4, IpProtocols.UDP, 0x778, 0x2000, 64, new byte[0], first)));
        byte[] big6 = ipv6(A6, B6, IpProtocols.UDP, udp(1, 2, new byte[64]));
        byte[] big6Udp = Arrays.copyOfRange(big6, 40, big6.length);
        f.add(eth(EtherTypes.IPV6, ipv6(A6, B6, IpProtocols.FRAGMENT,
                concat(ipv6Fragment(IpProtocols.UDP, 0, true, 5), Arrays.copyOfRange(big6Udp, 0, 32)), -1, 0)));
        f.add(eth(EtherTypes.IPV6, ipv6(A6, B6, IpProtocols.FRAGMENT,
                concat(ipv6Fragment(IpProtocols.UDP, 32, false, 5), Arrays.copyOfRange(big6Udp, 32, big6Udp.length)), -1, 0)));
        // options, zero and bad checksums, SNAP
        f.add(eth(EtherTypes.IPV4, ipv4(A4, B4, IpProtocols.UDP, 1, 0, 1, new byte[] {7, 7, 4, 0, 0, 0, 0, 0}, udp(1, 2, new byte[3]))));
        byte[] zero4 = ipv4(A4, B4, IpProtocols.UDP, udp(9, 9, new byte[2]));
        zero4[26] = 0;
        zero4[27] = 0;
        f.add(eth(EtherTypes.IPV4, zero4));
        byte[] zero6 = ipv6(A6, B6, IpProtocols.UDP, udp(9, 9, new byte[2]), -1, 0);
        f.add(eth(EtherTypes.IPV6, zero6));
        byte[] badTcp = data4.clone();
        badTcp[36] ^= 0x55;
        f.add(eth(EtherTypes.IPV4, badTcp));
        f.add(new Frame(LinkType.ETHERNET, concat(MAC_B, MAC_A, u16(8 + udp4.length),
                new byte[] {(byte) 0xaa, (byte) 0xaa, 3, 0, 0, 0}, u16(EtherTypes.IPV4), udp4), 0));
        // other link types
        f.add(new Frame(LinkType.RAW, udp4, 0));
        f.add(new Frame(LinkType.RAW, tcp6, 0));
        f.add(new Frame(LinkType.NULL, concat(new byte[] {2, 0, 0, 0}, data4), 0));
        f.add(new Frame(LinkType.NULL, concat(new byte[] {0, 0, 0, 2}, udp4), 0));
        f.add(new Frame(LinkType.NULL, concat(new byte[] {30, 0, 0, 0}, tcp6), 0));
        f.add(new Frame(LinkType.NULL, concat(new byte[] {24, 0, 0, 0}, udp6), 0));
        f.add(new Frame(LinkType.LOOP, concat(new byte[] {0, 0, 0, 2}, syn), 0));
        f.add(new Frame(LinkType.LINUX_SLL, concat(u16(0), u16(1), u16(6), MAC_A, new byte[2], u16(EtherTypes.IPV4), data4), 0));
        f.add(new Frame(LinkType.LINUX_SLL, concat(u16(4), u16(1), u16(6), MAC_A, new byte[2], u16(EtherTypes.VLAN),
                u16(5), u16(EtherTypes.IPV6), udp6), 0));
        f.add(new Frame(LinkType.LINUX_SLL2, concat(u16(EtherTypes.IPV6), u16(0), u32(3), u16(1), new byte[] {0, 6},
                MAC_A, new byte[2], tcp6), 0));
        f.add(new Frame(LinkType.LINUX_SLL2, concat(u16(EtherTypes.IPV4), u16(0), u32(3), u16(772), new byte[] {0, 0},
                new byte[8], echo), 0));
        return f;
    }

    private static Frame eth(int type, byte[] payload) {
        return new Frame(LinkType.ETHERNET, ethernet(type, payload), 0);
    }

    /** The base frames, then {@code perFrame} seeded mutations of each. */
    public static List<Frame> mutated(long seed, int perFrame) {
        Random random = new Random(seed);
        List<Frame> out = new ArrayList<>();
        for (Frame f : base()) {
            byte[] d = f.data();
            out.add(new Frame(f.linkType(), d, d.length));
            for (int i = 0; i < perFrame; i++) {
                byte[] m = d.clone();
                int kind = random.nextInt(4);
                if (kind == 0 && d.length > 1) {
                    int cut = random.nextInt(d.length);
                    out.add(new Frame(f.linkType(), Arrays.copyOf(m, cut), d.length)); // snaplen cut
                    continue;
                }
                int flips = 1 + random.nextInt(kind == 3 ? 3 : 1);
                for (int k = 0; k < flips; k++) {
                    int at = random.nextInt(Math.min(m.length, 96));
                    m[at] = (byte) (random.nextInt(3) == 0 ? 0 : random.nextInt(256));
                }
                if (kind == 2 && m.length > 2) {
                    m = Arrays.copyOf(m, m.length - 1 - random.nextInt(Math.min(m.length - 1, 16))); // frame really shorter
                }
                out.add(new Frame(f.linkType(), m, m.length));
            }
        }
        return out;
    }
}
