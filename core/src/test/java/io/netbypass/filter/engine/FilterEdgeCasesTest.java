package io.netbypass.filter.engine;

import io.netbypass.capture.CaptureRecord;
import io.netbypass.capture.PcapWriter;
import io.netbypass.filter.classify.CompiledClassifier;
import io.netbypass.filter.classify.ReferenceClassifier;
import io.netbypass.filter.engine.FilterProgram;
import io.netbypass.filter.engine.OfflineFilter;
import io.netbypass.filter.engine.RateLimiter;
import io.netbypass.filter.engine.Verdict;
import io.netbypass.filter.rules.RuleParser;
import io.netbypass.filter.rules.RuleSet;
import io.netbypass.filter.rules.RuleSyntaxException;
import io.netbypass.packet.DnsQuery;
import io.netbypass.packet.IpProtocols;
import io.netbypass.packet.LinkType;
import io.netbypass.packet.PacketParser;
import io.netbypass.packet.ParsedPacket;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static io.netbypass.testing.Frames.*;
import static org.junit.jupiter.api.Assertions.*;

/** Inputs found in review: each once broke the filter or let a packet past it. */
class FilterEdgeCasesTest {
    @TempDir
    Path dir;

    @Test
    void hugeBurstsLongUptimesAndTimesBeforeTheFirstPacket() {
        RateLimiter r = new RateLimiter(1, 10_000_000, 0);
        for (int i = 0; i < 1000; i++) {
            assertTrue(r.conform(0), "a 10M burst at 1/s passes its first packets");
        }
        long late = (1L << 53) + 1_000_000_000L; // 104 days in
        RateLimiter keyed = new RateLimiter(1000, 10, 65536);
        for (long key = 1; key <= 100; key++) {
            assertTrue(keyed.conform(key, late), "a new source after 104 days starts with a full burst");
        }
        RateLimiter offline = new RateLimiter(10, 1, 1024);
        assertTrue(offline.conform(7, -5_000_000_000L), "a timestamp before the first packet's is a time like any other");
        assertFalse(offline.conform(7, -5_000_000_000L));
        assertTrue(offline.conform(7, -4_900_000_000L));
    }

    @Test
    void ipv6SourcesNeverShareABucket() throws Exception {
        FilterProgram p = FilterProgram.parse("t", "ratelimit 1/s burst 1 per src udp\n", null);
        ParsedPacket parsed = new ParsedPacket();
        // high*31+low would make these two collide; every address must have its own bucket.
        for (String src : List.of("2001:db8::20", "2001:db8:0:1::1", "2001:db8::1", "2001:db8::2")) {
            byte[] f = ethernet(0x86dd, ipv6(src, "2001:db8::53", IpProtocols.UDP, udp(1, 53, new byte[4])));
            PacketParser.parse(MemorySegment.ofArray(f), 0, f.length, LinkType.ETHERNET, parsed);
            assertEquals(Verdict.PASS, p.decide(parsed, f.length, 0), src + "'s first packet");
            assertEquals(Verdict.LIMITED, p.decide(parsed, f.length, 0), src + "'s second packet");
        }
    }

    @Test
    void bytesAfterTheUdpDatagramDoNotHideADnsQuery() throws Exception {
        RuleSet rules = RuleParser.parse("t", "drop udp dst port 53 dns qname evil.com\npass payload 29 0xffffffff\n", dir);
        byte[] dns = DnsQuery.query(7, "evil.com", 1);
        byte[] udp = udp(4000, 53, dns);
        byte[] padded = new byte[udp.length + 4];
        System.arraycopy(udp, 0, padded, 0, udp.length);
        java.util.Arrays.fill(padded, udp.length, padded.length, (byte) 0xff); // trailer inside the IP datagram
        byte[] f = ethernet(0x0800, ipv4("198.18.0.1", "198.18.0.53", IpProtocols.UDP, 1, 0, 64, new byte[0], padded));
        f[14 + 20 + 4] = (byte) (udp.length >>> 8); // the UDP length stays that of the real datagram
        f[14 + 20 + 5] = (byte) udp.length;
        ParsedPacket p = new ParsedPacket();
        PacketParser.parse(MemorySegment.ofArray(f), 0, f.length, LinkType.ETHERNET, p);
        assertEquals(dns.length, p.payloadLength(), "the payload ends where UDP says, as the kernel trims it");
        assertEquals(0, new ReferenceClassifier(rules).classify(p, f.length));
        assertEquals(0, CompiledClassifier.compile(rules).classify(p, f.length));
    }

    @Test
    void wireLengthsBeyondAnIntOrBelowZeroAreHugeNotACrash() throws Exception {
        byte[] frame = ethernet(0x0800, ipv4("198.18.0.1", "198.18.0.2", IpProtocols.UDP, udp(1, 2, new byte[4])));
        Path pcap = dir.resolve("lying.pcap");
        try (PcapWriter w = new PcapWriter(pcap, LinkType.ETHERNET, 65535, false, ByteOrder.LITTLE_ENDIAN)) {
            w.write(new CaptureRecord().set(MemorySegment.ofArray(frame), 0, frame.length, frame.length, 0, 0, LinkType.ETHERNET));
        }
        byte[] bytes = Files.readAllBytes(pcap);
        bytes[24 + 12 + 3] = (byte) 0x80; // orig_len = 0x80000000 + ...
        Files.write(pcap, bytes);
        List<Integer> verdicts = new ArrayList<>();
        OfflineFilter.run(pcap, FilterProgram.parse("t", "drop len >1500\ndefault pass\n", null), null, null,
                (packet, verdict) -> verdicts.add(verdict));
        assertEquals(List.of(Verdict.DROP), verdicts, "a record claiming over 2 GB on the wire is long");
        RuleSet rules = RuleParser.parse("t", "drop len 65535\n", dir);
        ParsedPacket p = new ParsedPacket();
        PacketParser.parse(MemorySegment.ofArray(frame), 0, frame.length, LinkType.ETHERNET, p);
        for (int wire : new int[] {-1, Integer.MIN_VALUE, 65535, 70_000}) {
            assertEquals(0, new ReferenceClassifier(rules).classify(p, wire), "wire length " + wire);
            assertEquals(0, CompiledClassifier.compile(rules).classify(p, wire), "wire length " + wire);
        }
    }

    @Test
    void oddFileNamesAndNonUtf8FilesAreRuleErrors() throws Exception {
        RuleSyntaxException e = assertThrows(RuleSyntaxException.class, () -> RuleParser.parse("t", "drop src list a\u0000b\n", dir));
        assertEquals("t:1:15: 'a\u0000b' is not a file name", e.getMessage());
        Files.write(dir.resolve("bin.txt"), new byte[] {'1', '0', '.', '0', '.', '0', '.', '0', '\n', (byte) 0xff, '\n'});
        e = assertThrows(RuleSyntaxException.class, () -> RuleParser.parse("t", "drop src list bin.txt\n", dir));
        assertEquals(dir.resolve("bin.txt") + ":2:1: not UTF-8 text", e.getMessage());
        Path rules = dir.resolve("bin.rules");
        Files.write(rules, new byte[] {'d', 'r', 'o', 'p', ' ', (byte) 0xc3});
        e = assertThrows(RuleSyntaxException.class, () -> RuleParser.parse(rules));
        assertEquals(rules + ":1:6: not UTF-8 text", e.getMessage());
    }
}
