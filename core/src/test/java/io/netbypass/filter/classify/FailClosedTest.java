package io.netbypass.filter.classify;

import io.netbypass.capture.CaptureRecord;
import io.netbypass.capture.PcapWriter;
import io.netbypass.filter.classify.CompiledClassifier;
import io.netbypass.filter.classify.ReferenceClassifier;
import io.netbypass.filter.engine.FilterProgram;
import io.netbypass.filter.engine.OfflineFilter;
import io.netbypass.filter.engine.Verdict;
import io.netbypass.filter.rules.RuleParser;
import io.netbypass.filter.rules.RuleSet;
import io.netbypass.filter.rules.RuleSyntaxException;
import io.netbypass.packet.DnsQuery;
import io.netbypass.packet.EtherTypes;
import io.netbypass.packet.IpProtocols;
import io.netbypass.packet.LinkType;
import io.netbypass.packet.PacketParser;
import io.netbypass.packet.ParseStatus;
import io.netbypass.packet.ParsedPacket;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static io.netbypass.testing.Frames.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A packet the parser could not take to its transport header must not slip past a rule because
 * of it. The adversarial pass sent IPv6 UDP to port 53 behind 9 and 12 Destination Options
 * headers: the parser stopped at 8, 'udp dst port 53' was false, and Linux delivered all of them.
 */
class FailClosedTest {
    @TempDir
    Path dir;

    private final ParsedPacket p = new ParsedPacket();

    /** IPv6 UDP to port 53 behind {@code headers} Destination Options headers of 8 bytes. */
    static byte[] dnsBehindChain(int headers, byte[] payload) {
        byte[] chain = new byte[0];
        for (int i = 0; i < headers; i++) {
            chain = concat(chain, ipv6Extension(i + 1 < headers ? IpProtocols.DSTOPTS : IpProtocols.UDP, 1));
        }
        return ethernet(EtherTypes.IPV6, ipv6("2001:db8::66", "2001:db8::53", headers == 0 ? IpProtocols.UDP : IpProtocols.DSTOPTS,
                concat(chain, udp(40000, 53, payload)), 8 * headers, IpProtocols.UDP));
    }

    /** The same, with the last header's length running past the datagram: the chain breaks. */
    static byte[] brokenChain(int headers) {
        byte[] f = dnsBehindChain(headers, new byte[] {1, 2, 3, 4});
        f[14 + 40 + 8 * (headers - 1) + 1] = 60; // 61 x 8 bytes: past the end
        return f;
    }

    private int decide(FilterProgram program, byte[] f) {
        PacketParser.parse(MemorySegment.ofArray(f), 0, f.length, LinkType.ETHERNET, p);
        return program.decide(p, f.length, 0);
    }

    @Test
    void theShippedRulesDropTheFloodBehindLongExtensionChains() throws Exception {
        FilterProgram shipped = FilterProgram.shipped("examples/dns-flood.rules");
        CompiledClassifier which = CompiledClassifier.compile(shipped.rules());
        byte[] junk = {0x13, 0x37, 0, 0, 0, 0};
        for (int headers : new int[] {0, 1, 8, 9, 12, 40}) {
            byte[] f = dnsBehindChain(headers, junk);
            assertEquals(Verdict.DROP, decide(shipped, f), headers + " headers");
            assertEquals("dns-flood", shipped.name(which.classify(p, f.length)), headers + " headers");
            // And a valid query for our zone behind the same chain still reaches the kernel.
            assertEquals(Verdict.PASS, decide(shipped, dnsBehindChain(headers, DnsQuery.query(7, "www.example.com", 1))));
        }
        for (int headers : new int[] {1, 9, 12}) {
            byte[] f = brokenChain(headers);
            assertEquals(Verdict.DROP, decide(shipped, f), "broken chain of " + headers);
            assertEquals("malformed", shipped.name(which.classify(p, f.length)));
            assertTrue(p.status().malformed());
        }
    }

    @Test
    void offlineTheSameFramesAreDroppedAndOnlyBrokenOnesCountAsMalformed() throws Exception {
        Path pcap = dir.resolve("chains.pcap");
        List<byte[]> frames = new ArrayList<>();
        for (int headers : new int[] {9, 12}) {
            for (int i = 0; i < 50; i++) {
                frames.add(dnsBehindChain(headers, new byte[] {(byte) i, 1, 2, 3}));
            }
            frames.add(brokenChain(headers));
        }
        frames.add(ethernet(0x88cc, new byte[40])); // LLDP: not decoded, not malformed
        try (PcapWriter w = new PcapWriter(pcap, LinkType.ETHERNET, 65535, false, ByteOrder.LITTLE_ENDIAN)) {
            for (byte[] f : frames) {
                w.write(new CaptureRecord().set(MemorySegment.ofArray(f), 0, f.length, f.length, 0, 0, LinkType.ETHERNET));
            }
        }
        List<Integer> verdicts = new ArrayList<>();
        OfflineFilter.Result r = OfflineFilter.run(pcap, FilterProgram.shipped("examples/dns-flood.rules"), null, null,
                (packet, verdict) -> verdicts.add(verdict));
        assertEquals(102, r.counters().dropped());
        assertEquals(Verdict.PASS, verdicts.getLast(), "LLDP goes on to the kernel");
        assertEquals(2, r.counters().malformed(), "the two broken chains, not LLDP");
    }

    @Test
    void failClosedRulesTakeMalformedPacketsWhoseReadableFieldsPass() throws Exception {
        FilterProgram closed = FilterProgram.parse("t", "drop udp dst port 53 fail-closed name dns\ndefault pass\n", null);
        FilterProgram open = FilterProgram.parse("t", "drop udp dst port 53 name dns\ndefault pass\n", null);
        byte[] broken = brokenChain(9);
        assertEquals(Verdict.DROP, decide(closed, broken), "protocol unknown: 'udp' and the port hold");
        assertEquals(Verdict.PASS, decide(open, broken), "without fail-closed an unknown field is false");
        // A TCP header with a bad length: the protocol is known (TCP), so 'udp' is false either way.
        byte[] tcp = ethernet(EtherTypes.IPV4, ipv4("198.18.0.1", "198.18.0.53", IpProtocols.TCP,
                tcp(1000, 53, 1, 0, 0x02, new byte[0], new byte[0])));
        tcp[14 + 20 + 12] = 0x30; // data offset 12 bytes: below the minimum
        assertEquals(Verdict.PASS, decide(closed, tcp));
        assertEquals(ParseStatus.BAD_LENGTH, p.status());
        // A UDP header cut off: protocol UDP known, the port not: fail-closed holds, plain does not.
        byte[] cut = ethernet(EtherTypes.IPV4, ipv4("198.18.0.1", "198.18.0.53", IpProtocols.UDP, udp(1000, 53, new byte[8])));
        byte[] cutShort = Arrays.copyOf(cut, 14 + 20 + 4);
        assertEquals(Verdict.DROP, decide(closed, cutShort));
        assertEquals(Verdict.PASS, decide(open, cutShort));
        // Negated tests on unknown fields hold too; known ones still decide.
        FilterProgram negated = FilterProgram.parse("t", "drop ip6 not dst port 53 not dns fail-closed\ndefault pass\n", null);
        assertEquals(Verdict.DROP, decide(negated, broken));
        FilterProgram v4only = FilterProgram.parse("t", "drop ip udp fail-closed\ndefault pass\n", null);
        assertEquals(Verdict.PASS, decide(v4only, broken), "the IP version was read: IPv6 is not 'ip'");
        // Well-formed packets are judged as always: missing fields are absent, not unknown.
        byte[] icmp = ethernet(EtherTypes.IPV4, ipv4("198.18.0.1", "198.18.0.53", IpProtocols.ICMP, icmpV4(8, 0, 0, new byte[4])));
        assertEquals(Verdict.PASS, decide(closed, icmp));
    }

    @Test
    void malformedTestsByReasonAndTheirSpelling() throws Exception {
        RuleSet rules = RuleParser.parse("t", "drop malformed too-deep name deep\ndrop malformed truncated,bad-length name cut\n"
                + "pass not malformed name fine\ndrop udp fail-closed name rest\n", dir);
        assertEquals("drop malformed too-deep name deep", rules.rule(0).toString());
        assertEquals("drop malformed truncated,bad-length name cut", rules.rule(1).toString());
        assertEquals("drop proto 17 fail-closed name rest", rules.rule(3).toString());
        int[][] tags = new int[6][];
        for (int i = 0; i < tags.length; i++) {
            tags[i] = new int[] {EtherTypes.VLAN, i};
        }
        byte[] deep = ethernetTagged(tags, EtherTypes.IPV4, ipv4("198.18.0.1", "198.18.0.2", IpProtocols.UDP, udp(1, 53, new byte[4])));
        byte[] version = ethernet(EtherTypes.IPV4, ipv4("198.18.0.1", "198.18.0.2", IpProtocols.UDP, udp(1, 53, new byte[4])));
        version[14] = 0x65;
        Object[][] cases = {{deep, 0}, {brokenChain(3), 1}, {Arrays.copyOf(version, 30), 1}, {version, 3},
                {dnsBehindChain(12, new byte[4]), 2}};
        CompiledClassifier compiled = CompiledClassifier.compile(rules);
        ReferenceClassifier reference = new ReferenceClassifier(rules);
        for (Object[] c : cases) {
            byte[] f = (byte[]) c[0];
            PacketParser.parse(MemorySegment.ofArray(f), 0, f.length, LinkType.ETHERNET, p);
            assertEquals(c[1], reference.classify(p, f.length), p.status().toString());
            assertEquals(c[1], compiled.classify(p, f.length), p.status().toString());
        }
    }

    @Test
    void failClosedIsForRulesThatDropAndReasonsAreChecked() {
        for (String[] bad : new String[][] {
                {"pass udp fail-closed\n", "t:1:10: 'fail-closed' makes a rule take packets it cannot judge"},
                {"tx udp fail-closed\n", "t:1:8: 'fail-closed' makes a rule"},
                {"drop udp fail-closed fail-closed\n", "t:1:22: 'fail-closed' is already given"},
                {"drop malformed truncated,nonsense\n", "t:1:16: 'nonsense' is not a malformed reason"},
                {"drop malformed unsupported\n", "t:1:16: unknown test 'unsupported'"}}) {
            RuleSyntaxException e = assertThrows(RuleSyntaxException.class, () -> RuleParser.parse("t", bad[0], dir), bad[0]);
            assertTrue(e.getMessage().startsWith(bad[1]), e.getMessage());
        }
    }
}
