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
    @TempDir
    Path dir;

    @Test
    void compiledAgreesWithReferenceOnRandomRulesAndPackets() throws Exception {
        Files.writeString(dir.resolve("l.txt"), RandomRules.LIST);
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
                rules = RuleParser.parse("r.rules", RandomRules.text(r), dir);
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
                    fail("rules:\n" + RandomRules.describe(rules) + "packet " + java.util.HexFormat.of().formatHex(packet.data())
                            + "\nreference " + expected + ", compiled " + got);
                }
                checked++;
                matched += expected >= 0 ? 1 : 0;
            }
            for (SyntheticCorpus.Frame f : corpus) {
                MemorySegment s = MemorySegment.ofArray(f.data());
                PacketParser.parse(s, 0, f.data().length, f.linkType(), p);
                int wire = Math.max(f.originalLength(), f.data().length);
                assertEquals(reference.classify(p, wire), compiled.classify(p, wire), () -> "rules:\n" + RandomRules.describe(rules)
                        + "corpus frame " + java.util.HexFormat.of().formatHex(f.data()));
                checked++;
            }
        }
        assertTrue(matched > checked / 20, "random rules match a fair share of packets: " + matched + " of " + checked);
    }
}
