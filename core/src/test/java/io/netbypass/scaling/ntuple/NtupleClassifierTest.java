package io.netbypass.scaling.ntuple;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import io.netbypass.packet.EtherTypes;
import io.netbypass.packet.IpProtocols;
import io.netbypass.packet.LinkType;
import io.netbypass.packet.PacketParser;
import io.netbypass.packet.ParsedPacket;

import static io.netbypass.testing.Frames.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class NtupleClassifierTest {
    private final ParsedPacket parsed = new ParsedPacket();
    private final NtupleKey key = new NtupleKey();

    private NtupleKey key(byte[] frame) {
        PacketParser.parse(MemorySegment.ofArray(frame), 0, frame.length, LinkType.ETHERNET, parsed);
        return key.extract(parsed);
    }

    private static byte[] udp4(String src, String dst, int sport, int dport) {
        return ethernet(EtherTypes.IPV4, ipv4(src, dst, IpProtocols.UDP, udp(sport, dport, new byte[8])));
    }

    private static byte[] tcp4(String src, String dst, int sport, int dport) {
        return ethernet(EtherTypes.IPV4, ipv4(src, dst, IpProtocols.TCP, tcp(sport, dport, 1, 0, 0x02, new byte[0], new byte[0])));
    }

    /** Location of the matching rule, or -1. */
    private static int match(NtupleClassifier c, NtupleKey k) {
        int r = c.classify(k);
        int linear = c.classifyLinear(k);
        assertEquals(linear, r, "tuple-space search and the linear walk disagree");
        return r < 0 ? -1 : c.location(r);
    }

    private static NtupleTable table(String... rules) {
        NtupleTable t = new NtupleTable(128, 8);
        for (String r : rules) {
            t.insert(NtupleParser.parse(r));
        }
        return t;
    }

    @Test
    void lowestLocationWinsAmongOverlappingRulesAndMasks() {
        NtupleTable t = table(
                "flow-type udp4 dst-port 53 action 1 loc 20",
                "flow-type udp4 src-ip 198.18.0.0 m 0.0.255.255 action -1 loc 10",
                "flow-type udp4 src-ip 198.18.7.7 dst-port 53 action 2 loc 30",
                "flow-type ip4 src-ip 198.18.0.0 m 0.1.255.255 action 3 loc 40",
                "flow-type udp4 dst-port 0 m 0xffff action 4 loc 50");
        NtupleClassifier c = NtupleClassifier.compile(t);
        assertEquals(10, match(c, key(udp4("198.18.7.7", "198.18.0.2", 1000, 53))), "the /16 drop at 10 beats the rest");
        assertEquals(20, match(c, key(udp4("198.19.7.7", "198.18.0.2", 1000, 53))), "outside the /16: port rule at 20");
        assertEquals(40, match(c, key(tcp4("198.19.7.7", "198.18.0.2", 1000, 53))), "TCP: only the ip4 /15 rule");
        assertEquals(50, match(c, key(udp4("10.0.0.1", "198.18.0.2", 1000, 80))), "catch-all UDP");
        assertEquals(-1, match(c, key(tcp4("10.0.0.1", "198.18.0.2", 1000, 80))));
        int drop = c.classify(key(udp4("198.18.7.7", "198.18.0.2", 1000, 53)));
        assertEquals(NtupleClassifier.ACTION_DROP, c.action(drop));
        int port = c.classify(key(udp4("198.19.7.7", "198.18.0.2", 1000, 53)));
        assertEquals(NtupleClassifier.ACTION_QUEUE, c.action(port));
        assertEquals(1, c.queue(port));
    }

    @Test
    void rulesWithoutLocTakeTheHighestFreeSlotSoNewerRulesWin() {
        NtupleTable t = new NtupleTable(16, 4);
        assertEquals(15, t.insert(NtupleParser.parse("flow-type udp4 dst-port 53 action 1")));
        assertEquals(14, t.insert(NtupleParser.parse("flow-type udp4 dst-port 53 action 2")));
        NtupleClassifier c = NtupleClassifier.compile(t);
        int r = c.classify(key(udp4("1.1.1.1", "2.2.2.2", 9, 53)));
        assertEquals(14, c.location(r));
        assertEquals(2, c.queue(r), "the newer, identical rule shadows the older");
        assertEquals(14, t.insert(NtupleParser.parse("flow-type udp4 dst-port 53 action 3 loc 14")), "loc replaces");
        assertEquals(2, t.count());
        t.delete(14);
        c = NtupleClassifier.compile(t);
        assertEquals(1, c.queue(c.classify(key(udp4("1.1.1.1", "2.2.2.2", 9, 53)))));
        assertThrows(NtupleRuleException.class, () -> t.delete(14));
        assertEquals(14, t.insert(NtupleParser.parse("flow-type udp4 action 0")), "deleted slot is free again");
        for (int i = 0; i < 14; i++) {
            t.insert(NtupleParser.parse("flow-type tcp4 action 0"));
        }
        assertEquals("rmgr: Cannot find appropriate slot to insert rule",
                assertThrows(NtupleRuleException.class, () -> t.insert(NtupleParser.parse("flow-type tcp4 action 0"))).getMessage());
    }

    @Test
    void theDeviceRefusesWhatItCannotHonour() {
        NtupleTable t = new NtupleTable(64, 4);
        assertThrows(NtupleRuleException.class, () -> t.insert(NtupleParser.parse("flow-type udp4 action 4")));
        assertThrows(NtupleRuleException.class, () -> t.insert(NtupleParser.parse("flow-type udp4 action 1 loc 64")));
        assertThrows(NtupleRuleException.class, () -> t.insert(NtupleParser.parse("flow-type udp4 vf 1 queue 1")));
        assertThrows(NtupleRuleException.class, () -> t.insert(NtupleParser.parse("flow-type udp4 user-def 7 action 1")));
        assertThrows(NtupleRuleException.class, () -> t.insert(NtupleParser.parse("flow-type udp4 context 2 action 1")));
        t.setContexts(ctx -> ctx <= 2);
        t.insert(NtupleParser.parse("flow-type udp4 context 2 action 1"));
        t.insert(NtupleParser.parse("flow-type udp4 user-def 7 m 0xffffffffffffffff action 1"));
        assertEquals(2, t.count());
    }

    @Test
    void eachFlowTypeMatchesItsPackets() {
        NtupleTable t = table(
                "flow-type tcp4 dst-port 80 action 1 loc 1",
                "flow-type sctp4 dst-port 36412 action 2 loc 2",
                "flow-type esp4 spi 0x1001 action 3 loc 3",
                "flow-type ah4 spi 0x2002 action 4 loc 4",
                "flow-type ah6 spi 0x3003 action 5 loc 5",
                "flow-type udp6 src-ip 2001:db8::/0 m ::ffff:ffff:ffff:ffff dst-port 53 action 6 loc 6"
                        .replace("2001:db8::/0", "2001:db8::"),
                "flow-type ip6 l4proto 58 action 7 loc 7",
                "flow-type ip4 tos 0xb8 m 0x3 action 0 loc 8",
                "flow-type ether proto 0x0806 action -1 loc 9",
                "flow-type udp4 vlan 100 m 0xf000 action 1 loc 10",
                "flow-type udp4 dst-mac 02:00:00:00:00:02 action 2 loc 11",
                "flow-type ether src 02:00:00:00:00:01 action 3 loc 12");
        NtupleClassifier c = NtupleClassifier.compile(t);
        assertEquals(1, match(c, key(tcp4("1.1.1.1", "2.2.2.2", 999, 80))));
        byte[] sctp = concat(u16(1), u16(36412), new byte[8]);
        assertEquals(2, match(c, key(ethernet(EtherTypes.IPV4, ipv4("1.1.1.1", "2.2.2.2", IpProtocols.SCTP, sctp)))));
        byte[] esp = concat(u32(0x1001), u32(1), new byte[16]);
        assertEquals(3, match(c, key(ethernet(EtherTypes.IPV4, ipv4("1.1.1.1", "2.2.2.2", IpProtocols.ESP, esp)))));
        byte[] ah = concat(new byte[] {(byte) IpProtocols.UDP, 4, 0, 0}, u32(0x2002), u32(1), new byte[12]);
        assertEquals(4, match(c, key(ethernet(EtherTypes.IPV4, ipv4("1.1.1.1", "2.2.2.2", IpProtocols.AH, concat(ah, udp(1, 2, new byte[0])))))));
        byte[] ah6 = concat(new byte[] {(byte) IpProtocols.UDP, 4, 0, 0}, u32(0x3003), u32(1), new byte[12]);
        assertEquals(5, match(c, key(ethernet(EtherTypes.IPV6,
                ipv6("2001:db8::1", "2001:db8::2", IpProtocols.AH, concat(ah6, udp(1, 2, new byte[0])), 24, IpProtocols.UDP)))));
        assertEquals(6, match(c, key(ethernet(EtherTypes.IPV6, ipv6("2001:db8::1234", "2001:db8::2", IpProtocols.UDP, udp(1, 53, new byte[0]))))));
        assertEquals(12, match(c, key(ethernet(EtherTypes.IPV6, ipv6("2001:db9::1", "2001:db8::2", IpProtocols.UDP, udp(1, 53, new byte[0]))))),
                "outside the /64 prefix: only the catch-all on the source MAC");
        assertEquals(7, match(c, key(ethernet(EtherTypes.IPV6, ipv6("2001:db8::1", "2001:db8::2", IpProtocols.ICMPV6, icmp(128, 0, 0, new byte[4]))))));
        byte[] tos = ipv4("1.1.1.1", "2.2.2.2", IpProtocols.ICMP, icmpV4(8, 0, 0, new byte[4]));
        tos[1] = (byte) 0xba; // DSCP EF with ECN bits set: the mask ignores ECN
        assertEquals(8, match(c, key(ethernet(EtherTypes.IPV4, tos))));
        assertEquals(9, match(c, key(ethernet(EtherTypes.ARP, new byte[28]))));
        byte[] tagged = ethernetTagged(new int[][] {{0x8100, 100}}, EtherTypes.IPV4, ipv4("1.1.1.1", "2.2.2.2", IpProtocols.UDP, udp(1, 9, new byte[0])));
        assertEquals(10, match(c, key(tagged)));
        byte[] toB = udp4("1.1.1.1", "2.2.2.2", 7, 9); // Frames.ethernet: MAC_A -> MAC_B
        assertEquals(11, match(c, key(toB)), "dst-mac 02:00:00:00:00:02");
        NtupleClassifier etherOnly = NtupleClassifier.compile(table("flow-type ether src 02:00:00:00:00:01 action 3 loc 12"));
        assertEquals(12, match(etherOnly, key(toB)));
    }

    @Test
    void fragmentsMatchNoPortRulesButDoMatchAddressRules() {
        NtupleClassifier c = NtupleClassifier.compile(table(
                "flow-type udp4 dst-port 53 action 1 loc 1",
                "flow-type ip4 dst-ip 198.18.0.2 action 2 loc 2"));
        byte[] first = ethernet(EtherTypes.IPV4, ipv4("1.1.1.1", "198.18.0.2", IpProtocols.UDP, 9, 0x2000, 64, new byte[0],
                udp(1000, 53, new byte[16])));
        assertEquals(2, match(c, key(first)));
        byte[] whole = udp4("1.1.1.1", "198.18.0.2", 1000, 53);
        assertEquals(1, match(c, key(whole)));
    }

    @Test
    void truncatedAndGarbageFramesNeverMatchPortRulesAndNeverThrow() {
        NtupleClassifier c = NtupleClassifier.compile(table("flow-type udp4 dst-port 53 action 1 loc 1",
                "flow-type ether proto 0x800 action 2 loc 2"));
        byte[] whole = udp4("1.1.1.1", "198.18.0.2", 1000, 53);
        for (int cut = 0; cut < whole.length; cut++) {
            PacketParser.parse(MemorySegment.ofArray(whole), 0, cut, LinkType.ETHERNET, parsed);
            int loc = match(c, key.extract(parsed));
            int expected = cut < 14 ? -1 : cut < 14 + 20 + 4 ? 2 : 1;
            assertEquals(expected, loc, "cut at " + cut + ": ports count only once their 4 bytes are there");
        }
        SplittableRandom r = new SplittableRandom(9);
        byte[] junk = new byte[80];
        for (int n = 0; n < 20_000; n++) {
            for (int i = 0; i < junk.length; i++) {
                junk[i] = (byte) r.nextInt(256);
            }
            junk[12] = 0x08;
            junk[13] = 0x00;
            PacketParser.parse(MemorySegment.ofArray(junk), 0, r.nextInt(junk.length + 1), LinkType.ETHERNET, parsed);
            match(c, key.extract(parsed));
        }
    }

    /** A thousand random rules with overlapping masks: the tuple-space search agrees with the linear walk on every packet. */
    @Test
    void tupleSpaceSearchAgreesWithTheLinearWalk() {
        SplittableRandom r = new SplittableRandom(42);
        NtupleTable t = new NtupleTable(2048, 16);
        String[] types = {"udp4", "tcp4", "ip4"};
        for (int i = 0; i < 1000; i++) {
            String type = types[r.nextInt(types.length)];
            StringBuilder rule = new StringBuilder("flow-type " + type);
            if (r.nextInt(8) != 0) {
                rule.append(" src-ip 198.18.").append(r.nextInt(4)).append('.').append(r.nextInt(8));
                rule.append(r.nextBoolean() ? " m 0.0.0.255" : r.nextBoolean() ? " m 0.0.255.255" : "");
            }
            if (r.nextInt(3) == 0) {
                rule.append(" dst-ip 198.19.0.").append(r.nextInt(4));
            }
            if (!type.equals("ip4") && r.nextBoolean()) {
                rule.append(" dst-port ").append(r.nextInt(8)).append(r.nextBoolean() ? " m 0x3" : "");
            }
            if (type.equals("ip4") && r.nextBoolean()) {
                rule.append(" l4proto ").append(r.nextBoolean() ? 6 : 17);
            }
            if (!rule.toString().contains("-ip") && !rule.toString().contains("port")) {
                rule.append(" dst-port 7");
            }
            rule.append(" action ").append(r.nextInt(17) - 1);
            if (r.nextBoolean()) {
                rule.append(" loc ").append(r.nextInt(2048));
            }
            t.insert(NtupleParser.parse(rule.toString()));
        }
        NtupleClassifier c = NtupleClassifier.compile(t);
        List<byte[]> frames = new ArrayList<>();
        for (int n = 0; n < 20_000; n++) {
            boolean outside = r.nextInt(4) == 0;
            String src = (outside ? "10.0." : "198.18.") + r.nextInt(5) + "." + r.nextInt(10);
            String dst = (outside ? "10.1.0." : "198.19.0.") + r.nextInt(5);
            frames.add(r.nextBoolean() ? udp4(src, dst, r.nextInt(10), r.nextInt(10)) : tcp4(src, dst, r.nextInt(10), r.nextInt(10)));
        }
        int matched = 0;
        for (byte[] f : frames) {
            if (match(c, key(f)) >= 0) {
                matched++;
            }
        }
        org.junit.jupiter.api.Assertions.assertTrue(matched > 10_000 && matched < 20_000, "a mix of hits and misses: " + matched);
    }
}
