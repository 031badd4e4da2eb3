package io.netbypass.filter.classify;

import io.netbypass.filter.classify.CompiledClassifier;
import io.netbypass.filter.classify.ReferenceClassifier;
import io.netbypass.filter.rules.RuleParser;
import io.netbypass.filter.rules.RuleSet;
import io.netbypass.filter.rules.RuleSyntaxException;
import io.netbypass.packet.LinkType;
import io.netbypass.packet.PacketParser;
import io.netbypass.packet.ParsedPacket;
import io.netbypass.testing.SyntheticCorpus;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.*;

/** The compiled classifier must pick the same rule as the plain reference evaluator, for every packet. */
class ClassifierDifferentialTest {
    static final String[] TESTS = {"udp", "tcp", "icmp", "icmp6", "ip", "ip6", "arp", "proto gre", "sctp",
            "src 198.18.0.0/15", "dst net 198.18.0.53", "src host 198.19.1.1", "host 2001:db8::1", "net 2001:db8::/32",
            "dst 2001:db8:1::/48", "src port 53", "dst port 1000-1100", "port 53,80", "dst port >1023", "src port <100",
            "flags S/SA", "flags A", "flags 0x12/0x12", "len <100", "len 60-80", "ttl <5", "hoplimit 64", "ttl 255",
            "frag", "frag first", "frag later", "vlan", "vlan 100,200-210", "icmp type 8", "icmp type 8 code 0",
            "icmp6 type 128-129", "payload 0 0x12", "payload 2 0x0100 mask 0x8100", "payload 0 0x0035", "dns",
            "dns qname www.example.com", "dns suffix example.com", "dns qname example.com", "ether type 0x86dd",
            "ether type ip", "ether src 02:00:00:00:00:01", "ether dst ff:ff:ff:ff:ff:ff", "src list l.txt",
            "dst list l.txt", "host list l.txt", "malformed", "malformed truncated", "malformed bad-length,too-deep"};
    static final String[] ACTIONS = {"drop", "pass", "tx", "ratelimit 10/s", "ratelimit 5/s per src"};

    @TempDir
    Path dir;

    @Test
    void compiledAgreesWithReferenceOnRandomRulesAndPackets() throws Exception {
        Files.writeString(dir.resolve("l.txt"), "198.18.0.0/24\n198.19.1.1\n2001:db8::/64\n10.0.0.0/8\n");
        Random r = new Random(42);
        List<RandomPackets.Packet> packets = new ArrayList<>();
        RandomPackets gen = new RandomPackets(7);
        for (int i = 0; i < 3000; i++) {
            packets.add(gen.next());
        }
        List<SyntheticCorpus.Frame> corpus = RandomPackets.corpus();
        ParsedPacket p = new ParsedPacket();
        int sets = 0;
        long matched = 0;
        long checked = 0;
        while (sets < 300) {
            RuleSet rules;
            CompiledClassifier compiled;
            try {
                rules = RuleParser.parse("r.rules", randomRules(r), dir);
                compiled = CompiledClassifier.compile(rules);
            } catch (RuleSyntaxException e) {
                continue; // a contradiction the parser or the compiler refuses: draw again
            }
            sets++;
            ReferenceClassifier reference = new ReferenceClassifier(rules);
            for (RandomPackets.Packet packet : packets) {
                MemorySegment s = MemorySegment.ofArray(packet.data());
                PacketParser.parse(s, 0, packet.data().length, LinkType.ETHERNET, p);
                int expected = reference.classify(p, packet.wireLength());
                int got = compiled.classify(p, packet.wireLength());
                if (expected != got) {
                    fail("rules:\n" + rulesText(rules) + "packet " + java.util.HexFormat.of().formatHex(packet.data())
                            + "\nreference " + expected + ", compiled " + got);
                }
                checked++;
                matched += expected >= 0 ? 1 : 0;
            }
            for (SyntheticCorpus.Frame f : corpus) {
                MemorySegment s = MemorySegment.ofArray(f.data());
                PacketParser.parse(s, 0, f.data().length, f.linkType(), p);
                int wire = Math.max(f.originalLength(), f.data().length);
                assertEquals(reference.classify(p, wire), compiled.classify(p, wire), () -> "rules:\n" + rulesText(rules)
                        + "corpus frame " + java.util.HexFormat.of().formatHex(f.data()));
                checked++;
            }
        }
        assertTrue(matched > checked / 20, "random rules match a fair share of packets: " + matched + " of " + checked);
    }

    private static String rulesText(RuleSet rules) {
        StringBuilder b = new StringBuilder();
        rules.rules().forEach(x -> b.append(x).append('\n'));
        return b.append("default ").append(rules.defaultAction()).append('\n').toString();
    }

    private static String randomRules(Random r) {
        StringBuilder b = new StringBuilder();
        int n = 1 + r.nextInt(r.nextInt(4) == 0 ? 80 : 8);
        for (int i = 0; i < n; i++) {
            String action = ACTIONS[r.nextInt(ACTIONS.length)];
            b.append(action);
            int tests = r.nextInt(4);
            for (int t = 0; t < tests; t++) {
                b.append(r.nextInt(3) == 0 ? " not " : " ").append(TESTS[r.nextInt(TESTS.length)]);
            }
            if (r.nextInt(3) == 0 && !action.equals("pass") && !action.equals("tx")) {
                b.append(" fail-closed");
            }
            b.append('\n');
        }
        if (r.nextBoolean()) {
            b.append(r.nextBoolean() ? "default drop\n" : "default pass\n");
        }
        return b.toString();
    }
}
