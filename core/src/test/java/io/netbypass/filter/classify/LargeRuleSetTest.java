package io.netbypass.filter.classify;

import io.netbypass.filter.classify.CompiledClassifier;
import io.netbypass.filter.classify.ReferenceClassifier;
import io.netbypass.filter.rules.RuleParser;
import io.netbypass.filter.rules.RuleSet;
import io.netbypass.filter.rules.RuleSyntaxException;
import io.netbypass.packet.LinkType;
import io.netbypass.packet.PacketParser;
import io.netbypass.packet.ParsedPacket;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Rule sets far larger than one group of the compiled classifier (its bit vectors cover at most
 * 1024 alternatives; more are split into groups tried in order): the same answers as the
 * reference, and a clear refusal when the tables would pass their memory bound.
 */
class LargeRuleSetTest {
    @TempDir
    Path dir;

    /** {@code n} rules: the first {@code n - 1000} rarely match the random packets, the last thousand often do. */
    private static String rules(int n, long seed) {
        Random r = new Random(seed);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n - 1000; i++) {
            String action = RandomRules.ACTIONS[r.nextInt(RandomRules.ACTIONS.length)];
            switch (r.nextInt(4)) {
                case 0 -> b.append(action).append(" src 10.200.").append(r.nextInt(256)).append('.').append(r.nextInt(256));
                case 1 -> b.append(action).append(" udp dst port ").append(20000 + r.nextInt(10000));
                case 2 -> b.append(action).append(" tcp src port 53 dst port ").append(2000 + r.nextInt(2000));
                default -> b.append(action).append(" dst net 2001:db8:").append(Integer.toHexString(1 + r.nextInt(60000))).append("::/48");
            }
            b.append(" name q").append(i).append('\n');
        }
        for (int i = 0; i < 1000; i++) {
            String action = RandomRules.ACTIONS[r.nextInt(RandomRules.ACTIONS.length)];
            b.append(action);
            switch (r.nextInt(5)) {
                case 0 -> b.append(" src 198.18.").append(r.nextInt(2)).append('.').append(r.nextInt(256));
                case 1 -> b.append(" udp dst port ").append(RandomPackets.PORTS[r.nextInt(RandomPackets.PORTS.length)] + r.nextInt(2));
                case 2 -> b.append(" tcp dst port ").append(r.nextInt(2000)).append(" ttl <").append(1 + r.nextInt(255));
                case 3 -> b.append(" host 2001:db8::").append(Integer.toHexString(r.nextInt(100)));
                default -> b.append(r.nextBoolean() ? " not " : " ")
                        .append(RandomRules.TESTS[r.nextInt(RandomRules.TESTS.length)]);
            }
            b.append(" name r").append(i).append('\n');
        }
        return b.toString();
    }

    @Test
    void manyGroupsDecideAsTheReferenceDoes() throws Exception {
        java.nio.file.Files.writeString(dir.resolve("l.txt"), "198.18.0.0/24\n2001:db8::/64\n");
        RuleSet set = RuleParser.parse("big.rules", rules(4000, 11), dir);
        CompiledClassifier compiled = CompiledClassifier.compile(set);
        ReferenceClassifier reference = new ReferenceClassifier(set);
        RandomPackets gen = new RandomPackets(3);
        ParsedPacket p = new ParsedPacket();
        int late = 0;
        for (int i = 0; i < 1500; i++) {
            RandomPackets.Packet packet = gen.next();
            PacketParser.parse(MemorySegment.ofArray(packet.data()), 0, packet.data().length, LinkType.ETHERNET, p);
            int want = reference.classify(p, packet.wireLength());
            assertEquals(want, compiled.classify(p, packet.wireLength()), "packet " + i);
            late += want >= 3000 ? 1 : 0;
        }
        assertTrue(late > 20, "some packets are decided by rules in later groups: " + late);
        assertEquals(set.size(), 4000);
    }

    @Test
    void tablesPastTheirBoundAreRefusedWithTheRemedy() throws Exception {
        java.nio.file.Files.writeString(dir.resolve("l.txt"), "198.18.0.0/24\n");
        RuleSet set = RuleParser.parse("big.rules", rules(5000, 12), dir);
        long bytes = CompiledClassifier.compile(set).tableBytes();
        RuleSyntaxException e = assertThrows(RuleSyntaxException.class, () -> CompiledClassifier.compile(set, bytes / 2));
        assertTrue(e.getMessage().startsWith("big.rules:1:1: the compiled rules would take more than "), e.getMessage());
        assertTrue(e.getMessage().endsWith("put addresses in a list file ('drop src list FILE': one lookup however long) or merge rules"),
                e.getMessage());
    }
}
