package io.netbypass.scaling.ntuple;

import java.util.List;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NtupleParserTest {
    /**
     * Rules in ethtool's syntax covering every flow type, every field, both mask spellings, every
     * action form, {@code context} and {@code loc}. (ethtool 6.1's manual has a synopsis but no
     * example lines; these include the examples from the kernel's ethtool commit messages.)
     */
    static final List<String> EXAMPLES = List.of(
            "flow-type tcp4 src-ip 192.168.1.1 m 0.0.0.255 dst-port 80 action 3 loc 5",
            "flow-type udp4 dst-port 53 action 4",
            "flow-type udp4 src-ip 192.168.0.1 dst-ip 192.168.0.2 src-port 5000 dst-port 5001 action 2 loc 33",
            "flow-type udp4 dst-ip 198.18.0.1 dst-port 0x35 dst-port-mask 0 action 1",
            "flow-type sctp4 src-port 5000 dst-port 36412 tos 0x10 action 1",
            "flow-type ah4 src-ip 10.0.0.1 spi 0x1234 action 2",
            "flow-type esp4 action -1",
            "flow-type ip4 src-ip 198.18.0.0 m 0.1.255.255 l4proto 6 src-port 80 dst-port 1024 m 0x3ff action -2",
            "flow-type ip4 l4proto 1 tos 0 m 0xfc action -1 loc 1",
            "flow-type tcp6 src-ip ::ffff:1.2.3.4 dst-port 443 m 0x0 action 5 loc 0",
            "flow-type tcp6 dst-port 22 action -1",
            "flow-type udp6 src-ip 2001:db8::1 m ::ffff dst-port 53 tclass 4 m 0x3 action -1 vlan 0x123 m 0xf000 "
                    + "user-def 0x1122 dst-mac 00:11:22:33:44:55 m 00:00:00:00:00:ff context 2",
            "flow-type sctp6 dst-ip 2001:db8:0:1::7 src-port 1 action 0",
            "flow-type ah6 spi 0x80000001 action -1",
            "flow-type esp6 dst-ip fe80::1 spi 4096 m 0xff action 0",
            "flow-type ip6 l4data 0xdeadbeef l4proto 17 vf 2 queue 7",
            "flow-type ip6 src-ip 2001:db8:: m ::ffff:ffff:ffff:ffff:ffff:ffff dst-ip ff02::1 tclass 0xb8 l4proto 58 action 1",
            "flow-type ether src 0:1:2:3:4:5 m ff:ff:ff:0:0:0 proto 0x800 action 1",
            "flow-type ether proto 0x8100 vlan 0x600 m 0x1FFF action 3 loc 16",
            "flow-type ether dst 00:11:22:33:44:55 vlan-etype 0x88a8 action 2",
            "flow-type tcp4 vlan 0 m 0xffff action 1",
            "flow-type udp4 src-ip 1.2.3.4 src-ip-mask 0.0.0.255 user-def 0xffffffffffffffff m 0xff00 action 0x10000000000",
            "flow-type tcp4 dst-port 443 context 1 action 2 loc 100",
            "flow-type ip4 spi 7 action 3",
            "flow-type udp4 src-port 0 queue 3",
            "flow-type ether dst 33:33:00:00:00:fb action 0xfffffffffffffffe user-def 0x320000 m 0xffffffffff000fff",
            "flow-type ip6 dst-ip 2001:db8::1 context 1",
            "flow-type ip4 dst-ip 1.1.1.1 context 1",
            "flow-type udp4 vlan 0x0010 action -1 loc 0",
            "flow-type udp4 action 0 loc 32",
            "flow-type udp4 dst-ip 233.1.0.1 dst-port 12001 action 0",
            "flow-type tcp4 dst-port 8880 m 0x00ff action 10",
            "flow-type tcp4 src-ip 192.168.0.55 m 0.0.0.255 action -1");

    @Test
    void everyExampleRoundTripsThroughTheCanonicalCommand() {
        for (String example : EXAMPLES) {
            RxFlowSpec first = NtupleParser.parse(example);
            String canonical = NtupleFormatter.toCommand(first);
            RxFlowSpec second = NtupleParser.parse(canonical);
            assertEquals(first, second, example + "\n -> " + canonical);
            assertEquals(canonical, NtupleFormatter.toCommand(second), "canonical form is a fixed point");
            assertEquals(NtupleFormatter.block(first), NtupleFormatter.block(second));
        }
    }

    @Test
    void printsAsEthtoolDoesForAMaskedTcpRule() {
        RxFlowSpec r = NtupleParser.parse("flow-type tcp4 src-ip 192.168.1.1 m 0.0.0.255 dst-port 80 action 3 loc 5");
        assertEquals("""
                Filter: 5
                \tRule Type: TCP over IPv4
                \tSrc IP addr: 192.168.1.1 mask: 0.0.0.255
                \tDest IP addr: 0.0.0.0 mask: 255.255.255.255
                \tTOS: 0x0 mask: 0xff
                \tSrc port: 0 mask: 0xffff
                \tDest port: 80 mask: 0x0
                \tAction: Direct to queue 3

                """, NtupleFormatter.block(r));
    }

    @Test
    void printsAsEthtoolDoesForIpv6WithEveryExtension() {
        RxFlowSpec r = NtupleParser.parse("flow-type udp6 src-ip 2001:db8::1 m ::ffff dst-port 53 tclass 4 m 0x3 action -1 "
                + "vlan 0x123 m 0xf000 user-def 0x1122 dst-mac 00:11:22:33:44:55 m 00:00:00:00:00:ff context 2");
        r.setLocation(15);
        assertEquals("""
                Filter: 15
                \tRule Type: UDP over IPv6
                \tSrc IP addr: 2001:db8::1 mask: ::ffff
                \tDest IP addr: :: mask: ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff
                \tTraffic Class: 0x4 mask: 0x3
                \tSrc port: 0 mask: 0xffff
                \tDest port: 53 mask: 0x0
                \tVLAN EtherType: 0x0 mask: 0xffff
                \tVLAN: 0x123 mask: 0xf000
                \tUser-defined: 0x1122 mask: 0x0
                \tDest MAC addr: 00:11:22:33:44:55 mask: FF:FF:FF:FF:FF:00
                \tRSS Context ID: 2
                \tAction: Drop

                """, NtupleFormatter.block(r));
    }

    @Test
    void printsRawTypesEthernetAndTheOtherActions() {
        RxFlowSpec ip6 = NtupleParser.parse("flow-type ip6 l4data 0xdeadbeef l4proto 17 vf 2 queue 7 loc 3");
        String b = NtupleFormatter.block(ip6);
        assertTrue(b.contains("\tRule Type: Raw IPv6\n"), b);
        assertTrue(b.contains("\tProtocol: 17 mask: 0x0\n"), b);
        assertTrue(b.contains("\tL4 bytes: 0xdeadbeef mask: 0x0\n"), b);
        assertTrue(b.contains("\tAction: Direct to VF 2 queue 7\n"), b);
        assertEquals(0x3_0000_0007L, ip6.ringCookie());

        RxFlowSpec ports = NtupleParser.parse("flow-type ip4 src-port 80 action 1");
        assertTrue(NtupleFormatter.block(ports).contains("\tL4 bytes: 0x500000 mask: 0xffff\n"));

        RxFlowSpec eth = NtupleParser.parse("flow-type ether src 0:1:2:3:4:5 m ff:ff:ff:0:0:0 proto 0x800 action -2 loc 9");
        assertEquals("""
                Filter: 9
                \tFlow Type: Raw Ethernet
                \tSrc MAC addr: 00:01:02:03:04:05 mask: FF:FF:FF:00:00:00
                \tDest MAC addr: 00:00:00:00:00:00 mask: FF:FF:FF:FF:FF:FF
                \tEthertype: 0x800 mask: 0x0
                \tAction: Wake-on-LAN

                """, NtupleFormatter.block(eth));

        RxFlowSpec spi = NtupleParser.parse("flow-type ah6 spi 0x80000001 action -1 loc 1");
        assertTrue(NtupleFormatter.block(spi).contains("\tSPI: -2147483647 mask: 0x0\n"), "ethtool prints the SPI with %d");
        assertTrue(NtupleFormatter.block(spi).contains("\tRule Type: IPSEC AH over IPv6\n"));
        assertEquals("2 RX rings available\nTotal 1 rules\n\n", NtupleFormatter.header(2, 1));
    }

    @Test
    void masksMeanIgnoreOnTheCommandLineAndCompareInTheKernel() {
        RxFlowSpec r = NtupleParser.parse("flow-type udp4 dst-port 53 m 0xff src-ip 10.1.2.3 m 0.0.255.255 action 1");
        int dstPort = RxFlowSpecDescriptor.HEADER_OFFSET + RxFlowSpecDescriptor.IP4_DST_PORT;
        assertEquals(53, r.be16(dstPort));
        assertEquals(0xff00, r.be16(dstPort + RxFlowSpecDescriptor.MASK_DISTANCE), "stored mask is the inverse");
        int src = RxFlowSpecDescriptor.HEADER_OFFSET + RxFlowSpecDescriptor.IP4_SRC;
        assertEquals(0xffff0000, r.be32(src + RxFlowSpecDescriptor.MASK_DISTANCE));
        int srcPort = RxFlowSpecDescriptor.HEADER_OFFSET + RxFlowSpecDescriptor.IP4_SRC_PORT;
        assertEquals(0, r.be16(srcPort + RxFlowSpecDescriptor.MASK_DISTANCE), "absent field: ignored");
        assertEquals(RxFlowSpecDescriptor.LOCATION_ANY, r.location());
        assertEquals(FlowType.UDP4.code(), r.flowTypeCode(), "no extension flags");
        RxFlowSpec ext = NtupleParser.parse("flow-type udp4 vlan 5 dst-mac 0:0:0:0:0:1 context 3 action 0");
        assertEquals(FlowType.UDP4.code() | FlowType.FLOW_EXT | FlowType.FLOW_MAC_EXT | FlowType.FLOW_RSS, ext.flowTypeCode());
        assertEquals(3, ext.rssContext());
    }

    @Test
    void numbersFollowStrtoull() {
        assertEquals(53, NtupleParser.parse("flow-type udp4 dst-port 0x35").be16(
                RxFlowSpecDescriptor.HEADER_OFFSET + RxFlowSpecDescriptor.IP4_DST_PORT));
        assertEquals(8, NtupleParser.parse("flow-type udp4 dst-port 010").be16(
                RxFlowSpecDescriptor.HEADER_OFFSET + RxFlowSpecDescriptor.IP4_DST_PORT), "leading 0 is octal");
        assertEquals(-3L, NtupleParser.parse("flow-type udp4 action -3").ringCookie(), "64-bit fields take negatives");
        assertEquals(0x1_0000_0000L, NtupleParser.parse("flow-type udp4 vf 0 queue 0").ringCookie());
        assertEquals(0x100_0000_0000L, NtupleParser.parse("flow-type udp4 vf 255").ringCookie(), "vf 255 spills, as ethtool");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "flow-type udp4 dst-port 99999|Invalid dst-port value[99999]",
        "flow-type tcp5 dst-port 1|Add rule, invalid syntax",
        "dst-port 1|Add rule, invalid syntax",
        "flow-type|Add rule, invalid syntax",
        "flow-type tcp4 tclass 1|Add rule, unrecognized option[tclass]",
        "flow-type tcp6 tos 1|Add rule, unrecognized option[tos]",
        "flow-type tcp4 spi 1|Add rule, unrecognized option[spi]",
        "flow-type ether dst-mac 0:1:2:3:4:5|Add rule, unrecognized option[dst-mac]",
        "flow-type udp4 m 5|Add rule, unrecognized option[m]",
        "flow-type tcp4 src-ip 1.2.3.4 src-ip 1.2.3.5|Invalid src-ip value[1.2.3.5]",
        "flow-type tcp4 action 1 action 2|Invalid action value[2]",
        "flow-type ip4 src-port 1 spi 2|Invalid spi value[2]",
        "flow-type ip4 src-port 1 dst-port 2 l4data 3|Invalid l4data value[3]",
        "flow-type ip4 l4data 3 dst-port 2|Invalid dst-port value[2]",
        "flow-type tcp4 src-ip 1.2.3|Invalid src-ip value[1.2.3]",
        "flow-type tcp4 src-ip 01.2.3.4|Invalid src-ip value[01.2.3.4]",
        "flow-type tcp6 src-ip 1.2.3.4|Invalid src-ip value[1.2.3.4]",
        "flow-type tcp6 dst-ip 1::2::3|Invalid dst-ip value[1::2::3]",
        "flow-type tcp4 src-ip 1.2.3.4 m x|Invalid src-ip mask[x]",
        "flow-type tcp4 loc 1 m 2|Invalid loc mask[2]",
        "flow-type tcp4 tos -1|Invalid tos value[-1]",
        "flow-type tcp4 dst-port 08|Invalid dst-port value[08]",
        "flow-type tcp4 dst-port 80 m|Add rule, invalid syntax",
        "flow-type ether src 00-11-22-33-44-55|Invalid src value[00-11-22-33-44-55]",
        "flow-type tcp4 context|'context' missing value",
        "flow-type tcp4 context x|Invalid context value[x]",
        "flow-type tcp4 context 0xffffffff|Bad context value ffffffff",
        "flow-type tcp4 action 1 queue 2|action and queue are not compatible",
        "flow-type tcp4 action 1 vf 2|action and vf are not compatible",
        "flow-type tcp4 src-ip|'src-ip' missing value",
    })
    void badRulesAreRejectedWithEthtoolsMessage(String testCase) {
        String[] parts = testCase.split("\\|");
        NtupleSyntaxException e = assertThrows(NtupleSyntaxException.class, () -> NtupleParser.parse(parts[0]));
        assertEquals(parts[1], e.getMessage());
    }

    @Test
    void macsAcceptOneOrTwoDigitsAndIgnoreTrailingJunkLikeEthtool() {
        RxFlowSpec r = NtupleParser.parse("flow-type ether src 0:1:2:3:4:5:junk action 1");
        assertEquals("flow-type ether src 00:01:02:03:04:05 action 1", NtupleFormatter.toCommand(r));
    }

    @Test
    void scriptsApplyInOrderAndAllOrNothing() {
        NtupleTable table = new NtupleTable(64, 4);
        List<NtupleScript.Command> ok = NtupleScript.parse(List.of(
                "# drop DNS amplification, keep the resolver",
                "ethtool -N eth0 flow-type udp4 src-port 53 action -1",
                "flow-type udp4 src-ip 198.18.0.53 src-port 53 action 1   # our resolver",
                "flow-type tcp4 dst-port 22 action 0 loc 0",
                "delete 63"));
        int[] locs = NtupleScript.apply(ok, table);
        assertEquals(63, locs[0]);
        assertEquals(62, locs[1]);
        assertEquals(0, locs[2]);
        assertEquals(2, table.count());
        List<NtupleScript.Command> bad = NtupleScript.parse(List.of(
                "flow-type udp4 dst-port 1 action 1",
                "flow-type udp4 dst-port 2 action 9"));
        NtupleRuleException e = assertThrows(NtupleRuleException.class, () -> NtupleScript.apply(bad, table));
        assertEquals("line 2: queue 9 is outside the device's RX rings (0..3)", e.getMessage());
        assertEquals(2, table.count(), "nothing of a failed script is applied");
        NtupleSyntaxException s = assertThrows(NtupleSyntaxException.class,
                () -> NtupleScript.parse(List.of("", "flow-type udp4 dst-port x")));
        assertEquals("line 2: Invalid dst-port value[x]", s.getMessage());
    }
}
