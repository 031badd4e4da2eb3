package io.netbypass.filter.classify;

import io.netbypass.packet.EtherTypes;
import io.netbypass.packet.IpProtocols;
import io.netbypass.packet.DnsQuery;
import io.netbypass.testing.SyntheticCorpus;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static io.netbypass.testing.Frames.*;

/** Ethernet frames drawn from a small vocabulary, so random rules often hit them; some cut short or damaged. */
public final class RandomPackets {
    public record Packet(byte[] data, int wireLength) {
    }

    static final String[] V4 = {"198.18.0.1", "198.18.0.2", "198.18.0.53", "198.19.1.1", "198.19.1.2", "10.0.0.1"};
    static final String[] V6 = {"2001:db8::1", "2001:db8::53", "2001:db8:1::2", "fe80::1"};
    static final int[] PORTS = {53, 80, 443, 1000, 1024, 1100, 5353, 40000};
    static final String[] NAMES = {"www.example.com", "Example.COM", "a.b.example.com", "example.org", "badexample.com", "com"};
    static final int[] TTLS = {1, 4, 5, 64, 255};
    static final int[] VLANS = {1, 100, 200, 205};

    private final Random r;

    public RandomPackets(long seed) {
        r = new Random(seed);
    }

    private <T> T pick(T[] a) {
        return a[r.nextInt(a.length)];
    }

    private int pick(int[] a) {
        return a[r.nextInt(a.length)];
    }

    public Packet next() {
        byte[] frame;
        int kind = r.nextInt(20);
        if (kind == 0) {
            frame = ethernet(EtherTypes.ARP, new byte[28]);
        } else {
            boolean v6 = r.nextInt(3) == 0;
            int proto;
            byte[] l4;
            int pk = r.nextInt(10);
            if (pk < 4) {
                proto = IpProtocols.UDP;
                byte[] payload = r.nextInt(2) == 0 ? DnsQuery.query(r.nextInt(65536), pick(NAMES), 1) : randomBytes(r.nextInt(40));
                if (r.nextInt(8) == 0 && payload.length > 3) {
                    payload[2] |= (byte) 0x80; // a response, not a query
                }
                l4 = udp(pick(PORTS), r.nextInt(3) == 0 ? 53 : pick(PORTS), payload);
            } else if (pk < 7) {
                proto = IpProtocols.TCP;
                l4 = tcp(pick(PORTS), pick(PORTS), r.nextInt(), 0, r.nextInt(256), new byte[0], randomBytes(r.nextInt(20)));
            } else if (pk == 7) {
                proto = v6 ? IpProtocols.ICMPV6 : IpProtocols.ICMP;
                int[] types = v6 ? new int[] {128, 129, 135} : new int[] {0, 8, 3};
                l4 = v6 ? icmp(pick(types), r.nextInt(2), 0, randomBytes(r.nextInt(8)))
                        : icmpV4(pick(types), r.nextInt(2), 0, randomBytes(r.nextInt(8)));
            } else if (pk == 8) {
                proto = IpProtocols.GRE;
                l4 = randomBytes(8);
            } else {
                proto = IpProtocols.SCTP;
                l4 = randomBytes(16);
            }
            byte[] ip;
            int frag = r.nextInt(8);
            if (v6) {
                String src = pick(V6);
                String dst = pick(V6);
                if (frag == 0) {
                    ip = ipv6(src, dst, IpProtocols.FRAGMENT, concat(ipv6Fragment(proto, 0, true, 7), l4), 8, proto);
                } else if (frag == 1) {
                    ip = ipv6(src, dst, IpProtocols.FRAGMENT, concat(ipv6Fragment(proto, 64, false, 7), l4), -1, proto);
                } else if (frag == 2 && r.nextBoolean()) {
                    // A long extension chain (Linux delivers it; the parser must walk it).
                    int headers = 1 + r.nextInt(14);
                    byte[] chain = new byte[0];
                    for (int h = 0; h < headers; h++) {
                        chain = concat(chain, ipv6Extension(h + 1 < headers ? IpProtocols.DSTOPTS : proto, 1 + r.nextInt(2)));
                    }
                    ip = ipv6(src, dst, IpProtocols.DSTOPTS, concat(chain, l4), chain.length, proto);
                } else {
                    ip = ipv6(src, dst, proto, l4);
                }
                ip[7] = (byte) pick(TTLS);
            } else {
                int ff = frag == 0 ? 0x2000 : frag == 1 ? 8 : 0x4000;
                ip = ipv4(pick(V4), pick(V4), proto, 7, ff, pick(TTLS), new byte[0], l4);
            }
            int type = v6 ? EtherTypes.IPV6 : EtherTypes.IPV4;
            int tags = r.nextInt(6);
            frame = tags == 0 ? ethernetTagged(new int[][] {{EtherTypes.VLAN, pick(VLANS)}}, type, ip)
                    : tags == 1 ? ethernetTagged(new int[][] {{EtherTypes.QINQ_8021AD, pick(VLANS)}, {EtherTypes.VLAN, 7}}, type, ip)
                    : ethernet(type, ip);
        }
        if (r.nextInt(4) == 0) {
            frame[0] = (byte) 0xff;
            Arrays.fill(frame, 0, 6, (byte) 0xff);
        }
        if (r.nextInt(5) == 0) {
            System.arraycopy(new byte[] {2, 0, 0, 0, 0, 1}, 0, frame, 6, 6);
        }
        int wire = frame.length;
        int damage = r.nextInt(12);
        if (damage == 0) {
            frame = Arrays.copyOf(frame, r.nextInt(frame.length + 1)); // captured short
        } else if (damage == 1) {
            frame[r.nextInt(Math.min(frame.length, 80))] = (byte) r.nextInt(256);
        }
        return new Packet(frame, wire);
    }

    private byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    /** The synthetic corpus (every encapsulation and link type, damaged copies too). */
    public static List<SyntheticCorpus.Frame> corpus() {
        return new ArrayList<>(SyntheticCorpus.mutated(9, 20));
    }
}
