package io.netbypass.packet;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Random;

import org.junit.jupiter.api.Test;

import io.netbypass.testing.Frames;
import io.netbypass.testing.SyntheticCorpus;

import static io.netbypass.testing.Frames.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PacketParserTest {
    private final ParsedPacket p = new ParsedPacket();

    private ParseStatus parse(byte[] frame, int linkType) {
        return PacketParser.parse(MemorySegment.ofArray(frame), 0, frame.length, linkType, p);
    }

    /** Parses {@code frame} inside a larger segment so that reading past the frame would not fault by itself. */
    private ParseStatus parseEmbedded(byte[] frame, int length, int linkType) {
        byte[] big = new byte[frame.length + 64];
        Arrays.fill(big, (byte) 0x5a);
        System.arraycopy(frame, 0, big, 16, frame.length);
        return PacketParser.parse(MemorySegment.ofArray(big), 16, length, linkType, p);
    }

    @Test
    void ethernetIpv4Udp() {
        byte[] f = ethernet(EtherTypes.IPV4, ipv4("198.18.0.1", "198.18.0.2", IpProtocols.UDP, udp(1000, 53, new byte[12])));
        assertEquals(ParseStatus.OK, parse(f, LinkType.ETHERNET));
        assertEquals(Layer.TRANSPORT, p.layer());
        assertEquals(4, p.ipVersion());
        assertEquals(14, p.l3Offset());
        assertEquals(34, p.l4Offset());
        assertEquals(IpProtocols.UDP, p.ipProtocol());
        assertEquals(1000, p.sourcePort());
        assertEquals(53, p.destinationPort());
        assertEquals(42, p.payloadOffset());
        assertEquals(12, p.payloadLength());
    }

    @Test
    void vlanStackIpv6TcpWithExtensions() {
        byte[] ip6 = ipv6("2001:db8::1", "2001:db8::2", IpProtocols.HOPOPTS, concat(ipv6Extension(IpProtocols.DSTOPTS, 1),
                ipv6Extension(IpProtocols.TCP, 2), tcp(5, 6, 7, 8, 0x012, new byte[4], new byte[3])), 24, IpProtocols.TCP);
        byte[] f = ethernetTagged(new int[][] {{EtherTypes.QINQ_8021AD, 100}, {EtherTypes.VLAN, 200}}, EtherTypes.IPV6, ip6);
        assertEquals(ParseStatus.OK, parse(f, LinkType.ETHERNET));
        assertEquals(2, p.vlanCount());
        assertEquals(100, p.vlanId(0));
        assertEquals(200, p.vlanId(1));
        assertEquals(EtherTypes.QINQ_8021AD, p.vlanTpid(0));
        assertEquals(2, p.extensionHeaders());
        assertEquals(IpProtocols.TCP, p.ipProtocol());
        assertEquals(0x012, p.tcpFlags());
        assertEquals(3, p.payloadLength());
    }

    @Test
    void fragmentsReportOffsetsAndSkipTheTransportHeader() {
        byte[] first = ethernet(EtherTypes.IPV4, ipv4("198.18.0.1", "198.18.0.2", IpProtocols.UDP, 9, 0x2000, 64, new byte[0], udp(1, 2, new byte[20])));
        assertEquals(ParseStatus.OK, parse(first, LinkType.ETHERNET));
        assertTrue(p.isFragment());
        assertTrue(p.moreFragments());
        assertEquals(1, p.sourcePort());
        byte[] later = ethernet(EtherTypes.IPV4, ipv4("198.18.0.1", "198.18.0.2", IpProtocols.UDP, 9, 3, 64, new byte[0], new byte[16]));
        assertEquals(ParseStatus.OK, parse(later, LinkType.ETHERNET));
        assertEquals(24, p.fragmentOffset());
        assertEquals(Layer.NETWORK, p.layer());
        assertEquals(ParsedPacket.NONE, p.sourcePort());
    }

    @Test
    void everyLinkTypeReachesTheTransport() {
        byte[] ip = ipv4("198.18.0.1", "198.18.0.2", IpProtocols.TCP, tcp(1, 2, 3, 4, 0x10, new byte[0], new byte[0]));
        assertEquals(ParseStatus.OK, parse(ip, LinkType.RAW));
        assertEquals(ParseStatus.OK, parse(concat(new byte[] {2, 0, 0, 0}, ip), LinkType.NULL));
        assertEquals(ParseStatus.OK, parse(concat(new byte[] {0, 0, 0, 2}, ip), LinkType.NULL));
        assertEquals(ParseStatus.OK, parse(concat(new byte[] {0, 0, 0, 2}, ip), LinkType.LOOP));
        assertEquals(ParseStatus.OK, parse(concat(new byte[14], u16(EtherTypes.IPV4), ip), LinkType.LINUX_SLL));
        assertEquals(ParseStatus.OK, parse(concat(u16(EtherTypes.IPV4), new byte[18], ip), LinkType.LINUX_SLL2));
        assertEquals(Layer.TRANSPORT, p.layer());
        assertEquals(ParseStatus.UNSUPPORTED, parse(ip, 147));
    }

    @Test
    void everyTruncationStopsCleanly() {
        for (SyntheticCorpus.Frame f : SyntheticCorpus.base()) {
            for (int cut = 0; cut < f.data().length; cut++) {
                ParseStatus s = parseEmbedded(f.data(), cut, f.linkType());
                assertTrue(p.l3End() <= cut, "l3End beyond the frame");
                if (p.payloadOffset() != ParsedPacket.NONE) {
                    assertTrue(p.payloadOffset() <= cut && p.payloadOffset() + p.payloadLength() <= cut);
                }
                assertTrue(s != null);
            }
        }
    }

    @Test
    void truncatedHeadersSayTruncated() {
        byte[] f = ethernet(EtherTypes.IPV4, ipv4("198.18.0.1", "198.18.0.2", IpProtocols.TCP, tcp(1, 2, 3, 4, 0x10, new byte[8], new byte[0])));
        assertEquals(ParseStatus.TRUNCATED, parseEmbedded(f, 10, LinkType.ETHERNET));
        assertEquals(Layer.NONE, p.layer());
        assertEquals(ParseStatus.TRUNCATED, parseEmbedded(f, 30, LinkType.ETHERNET));
        assertEquals(Layer.LINK, p.layer());
        assertEquals(ParseStatus.TRUNCATED, parseEmbedded(f, 50, LinkType.ETHERNET));
        assertEquals(Layer.NETWORK, p.layer());
    }

    @Test
    void lyingLengthsNeverReachPastTheFrame() {
        byte[] udp = ethernet(EtherTypes.IPV4, ipv4("198.18.0.1", "198.18.0.2", IpProtocols.UDP, udp(1, 2, new byte[4])));
        byte[] bigTotal = udp.clone();
        bigTotal[16] = (byte) 0xff; // IPv4 total length 0xff..
        assertEquals(ParseStatus.TRUNCATED, parseEmbedded(bigTotal, bigTotal.length, LinkType.ETHERNET));
        assertEquals(bigTotal.length, p.l3End());
        byte[] smallTotal = udp.clone();
        smallTotal[16] = 0;
        smallTotal[17] = 10; // total length below the header
        assertEquals(ParseStatus.BAD_LENGTH, parse(smallTotal, LinkType.ETHERNET));
        byte[] ihl = udp.clone();
        ihl[14] = 0x43;
        assertEquals(ParseStatus.BAD_LENGTH, parse(ihl, LinkType.ETHERNET));
        byte[] bigIhl = udp.clone();
        bigIhl[14] = 0x4f; // 60-byte header in a 32-byte datagram
        assertEquals(ParseStatus.BAD_LENGTH, parse(bigIhl, LinkType.ETHERNET));
        byte[] udpLength = udp.clone();
        udpLength[38] = 0x7f;
        assertEquals(ParseStatus.BAD_LENGTH, parse(udpLength, LinkType.ETHERNET));
        byte[] tcp = ethernet(EtherTypes.IPV4, ipv4("198.18.0.1", "198.18.0.2", IpProtocols.TCP, tcp(1, 2, 3, 4, 0x10, new byte[0], new byte[0])));
        tcp[46] = (byte) 0xf0; // data offset 60 in a 20-byte segment
        assertEquals(ParseStatus.BAD_LENGTH, parse(tcp, LinkType.ETHERNET));
        tcp[46] = 0x30; // data offset 12
        assertEquals(ParseStatus.BAD_LENGTH, parse(tcp, LinkType.ETHERNET));
        byte[] v6 = ethernet(EtherTypes.IPV6, ipv6("2001:db8::1", "2001:db8::2", IpProtocols.HOPOPTS,
                concat(ipv6Extension(IpProtocols.UDP, 1), udp(1, 2, new byte[0])), 8, IpProtocols.UDP));
        v6[55] = (byte) 0xff; // extension header length of 2 KiB
        assertEquals(ParseStatus.BAD_LENGTH, parse(v6, LinkType.ETHERNET));
    }

    @Test
    void badVersionsAreNamed() {
        byte[] f = ethernet(EtherTypes.IPV4, ipv4("198.18.0.1", "198.18.0.2", IpProtocols.UDP, udp(1, 2, new byte[4])));
        f[14] = 0x55;
        assertEquals(ParseStatus.BAD_VERSION, parse(f, LinkType.ETHERNET));
        byte[] g = ethernet(EtherTypes.IPV6, ipv6("2001:db8::1", "2001:db8::2", IpProtocols.UDP, udp(1, 2, new byte[4])));
        g[14] = 0x45;
        assertEquals(ParseStatus.BAD_VERSION, parse(g, LinkType.ETHERNET));
        assertEquals(ParseStatus.BAD_VERSION, parse(new byte[] {0x20, 0, 0, 0}, LinkType.RAW));
    }

    @Test
    void longExtensionChainsAreWalkedToTheTransportHeader() {
        // Linux delivers a datagram behind a dozen Destination Options headers: so must we parse it
        // (a count bound of 8 let such DNS packets slip past 'drop udp dst port 53').
        for (int headers : new int[] {8, 9, 12, 40, 150}) {
            byte[] chain = new byte[0];
            for (int i = 0; i < headers; i++) {
                chain = concat(chain, ipv6Extension(i + 1 < headers ? IpProtocols.DSTOPTS : IpProtocols.UDP, 1));
            }
            byte[] f = ethernet(EtherTypes.IPV6, ipv6("2001:db8::1", "2001:db8::2", IpProtocols.DSTOPTS,
                    concat(chain, udp(1234, 53, new byte[12])), 8 * headers, IpProtocols.UDP));
            assertEquals(ParseStatus.OK, parse(f, LinkType.ETHERNET), headers + " headers");
            assertEquals(headers, p.extensionHeaders());
            assertEquals(IpProtocols.UDP, p.ipProtocol());
            assertEquals(53, p.destinationPort());
            assertEquals(Layer.TRANSPORT, p.layer());
        }
    }

    @Test
    void anEndlessChainEndsWithTheDatagramAndVlanStacksAreBounded() {
        // Every header names another: the walk ends where the datagram does, as a bad length.
        byte[] chain = new byte[0];
        for (int i = 0; i < 40; i++) {
            chain = concat(chain, ipv6Extension(IpProtocols.DSTOPTS, 1));
        }
        byte[] f = ethernet(EtherTypes.IPV6, ipv6("2001:db8::1", "2001:db8::2", IpProtocols.DSTOPTS, chain, -1, 0));
        assertEquals(ParseStatus.BAD_LENGTH, parse(f, LinkType.ETHERNET));
        assertEquals(40, p.extensionHeaders());
        assertEquals(ParsedPacket.NONE, p.ipProtocol());
        // Cut short by the capture instead: truncated.
        byte[] g = ethernet(EtherTypes.IPV6, ipv6("2001:db8::1", "2001:db8::2", IpProtocols.DSTOPTS, concat(chain, new byte[64]), -1, 0));
        assertEquals(ParseStatus.TRUNCATED, parse(Arrays.copyOf(g, g.length - 64 - 8), LinkType.ETHERNET));
        int[][] tags = new int[10][];
        for (int i = 0; i < tags.length; i++) {
            tags[i] = new int[] {EtherTypes.VLAN, i};
        }
        assertEquals(ParseStatus.TOO_DEEP, parse(ethernetTagged(tags, EtherTypes.IPV4, new byte[20]), LinkType.ETHERNET));
        assertEquals(VlanDescriptor.MAX_TAGS, p.vlanCount());
    }

    @Test
    void randomGarbageNeverThrowsOrOverreads() {
        Random random = new Random(42);
        int[] linkTypes = {LinkType.ETHERNET, LinkType.RAW, LinkType.NULL, LinkType.LOOP, LinkType.LINUX_SLL, LinkType.LINUX_SLL2};
        for (int i = 0; i < 200_000; i++) {
            byte[] frame = new byte[random.nextInt(128)];
            random.nextBytes(frame);
            if (frame.length > 14 && random.nextBoolean()) {
                frame[12] = (byte) (random.nextBoolean() ? 0x08 : 0x86);
                frame[13] = (byte) (frame[12] == 0x08 ? 0x00 : 0xdd);
                frame[14] = (byte) (frame[12] == 0x08 ? 0x40 | (frame[14] & 0x0f) : 0x60);
            }
            ParseStatus s = parseEmbedded(frame, frame.length, linkTypes[random.nextInt(linkTypes.length)]);
            assertTrue(p.l3End() <= frame.length);
            assertFalse(s == null);
        }
    }

    @Test
    void mutatedCorpusNeverThrows() {
        for (SyntheticCorpus.Frame f : SyntheticCorpus.mutated(5, 200)) {
            parseEmbedded(f.data(), f.data().length, f.linkType());
            assertTrue(p.l3End() <= f.data().length);
        }
    }

    @Test
    void sctpPortsAndAuthenticationHeaderOffsets() {
        byte[] sctp = concat(u16(5000), u16(36412), u32(0xdeadbeefL), u32(0), new byte[4]);
        byte[] f = ethernet(EtherTypes.IPV4, ipv4("198.18.0.1", "198.18.0.2", IpProtocols.SCTP, sctp));
        assertEquals(ParseStatus.OK, parse(f, LinkType.ETHERNET));
        assertEquals(Layer.TRANSPORT, p.layer());
        assertEquals(5000, p.sourcePort());
        assertEquals(36412, p.destinationPort());
        assertEquals(ParsedPacket.NONE, p.authHeaderOffset());
        byte[] ah = concat(new byte[] {(byte) IpProtocols.UDP, 4, 0, 0}, u32(0x1234L), u32(1), new byte[12]);
        byte[] v4 = ethernet(EtherTypes.IPV4, ipv4("198.18.0.1", "198.18.0.2", IpProtocols.AH, ah));
        parse(v4, LinkType.ETHERNET);
        assertEquals(34, p.authHeaderOffset());
        byte[] v6 = ethernet(EtherTypes.IPV6, ipv6("2001:db8::1", "2001:db8::2", IpProtocols.AH,
                concat(ah, udp(1, 2, new byte[0])), 24, IpProtocols.UDP));
        assertEquals(ParseStatus.OK, parse(v6, LinkType.ETHERNET));
        assertEquals(54, p.authHeaderOffset());
        assertEquals(IpProtocols.UDP, p.ipProtocol());
        assertEquals(78, p.l4Offset());
        byte[] shortSctp = ethernet(EtherTypes.IPV4, ipv4("198.18.0.1", "198.18.0.2", IpProtocols.SCTP, new byte[8]));
        assertEquals(ParseStatus.BAD_LENGTH, parse(shortSctp, LinkType.ETHERNET));
    }
}
