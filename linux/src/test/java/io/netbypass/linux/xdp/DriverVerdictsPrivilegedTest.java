package io.netbypass.linux.xdp;

import io.netbypass.filter.classify.RandomPackets;
import io.netbypass.filter.classify.RandomRules;
import io.netbypass.filter.classify.ReferenceClassifier;
import io.netbypass.filter.classify.RuleClassifier;
import io.netbypass.filter.rules.Action;
import io.netbypass.filter.rules.PrefixList;
import io.netbypass.filter.rules.RuleParser;
import io.netbypass.filter.rules.RuleSet;
import io.netbypass.filter.rules.RuleSyntaxException;
import io.netbypass.linux.LinuxException;
import io.netbypass.linux.Native;
import io.netbypass.linux.bpf.Bpf;
import io.netbypass.packet.LinkType;
import io.netbypass.packet.PacketParser;
import io.netbypass.packet.ParsedPacket;
import io.netbypass.testing.Privileged;
import io.netbypass.testing.SyntheticCorpus;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The rules compiled into XDP against the reference evaluator, through BPF_PROG_TEST_RUN: random
 * rule sets (every test of the language, every action) over random and damaged frames. For every
 * frame the program either hands it to user space or names exactly the rule
 * {@link ReferenceClassifier} picks, and only a rule the plan places in the driver.
 */
@Privileged
class DriverVerdictsPrivilegedTest {
    @TempDir
    Path dir;

    @Test
    void theDriverDecidesExactlyAsUserSpaceOrHandsOver() throws Exception {
        Files.writeString(dir.resolve("l.txt"), RandomRules.LIST);
        RandomPackets gen = new RandomPackets(21);
        List<byte[]> frames = new ArrayList<>();
        while (frames.size() < 400) {
            byte[] f = gen.next().data();
            if (f.length >= 14) { // BPF_PROG_TEST_RUN takes no frame shorter than an Ethernet header
                frames.add(f);
            }
        }
        List<byte[]> corpus = new ArrayList<>();
        for (SyntheticCorpus.Frame f : RandomPackets.corpus()) {
            if (f.linkType() == LinkType.ETHERNET && f.data().length >= 14) {
                corpus.add(f.data());
            }
        }
        Random r = new Random(2121);
        ParsedPacket p = new ParsedPacket();
        long checked = 0;
        long decided = 0;
        long handed = 0;
        int sets = 0;
        long[] byRule = new long[2];
        while (checked < 100_000) {
            RuleSet rules;
            try {
                rules = RuleParser.parse("r.rules", RandomRules.text(r), dir);
            } catch (RuleSyntaxException e) {
                continue; // a contradiction the parser refuses: draw again
            }
            sets++;
            ReferenceClassifier reference = new ReferenceClassifier(rules);
            Map<PrefixList, ListLookup> maps = new IdentityHashMap<>();
            int prog = -1;
            try {
                for (PrefixList l : DriverVerdicts.prefixLists(rules)) {
                    maps.put(l, sets % 2 == 0 ? PrefixMap.load(l) : PrefixHash.load(l)); // both structures, in turn
                }
                boolean passes = sets % 3 != 0; // a third as for a run without a host path: passes left to user space
                DriverVerdicts.Compiled c = DriverVerdicts.compile(rules, Integer.MAX_VALUE, -1, -1, -1, passes, maps::get);
                try {
                    prog = Bpf.loadXdp("nb_verdict_test", c.program());
                } catch (LinuxException e) {
                    fail("rules:\n" + RandomRules.describe(rules) + e.getMessage());
                }
                List<byte[]> these = sets <= 20 ? concat(frames, corpus) : frames;
                for (byte[] frame : these) {
                    PacketParser.parse(MemorySegment.ofArray(frame), 0, frame.length, LinkType.ETHERNET, p);
                    int expected = reference.classify(p, frame.length);
                    int got = Bpf.testRun(prog, frame);
                    checked++;
                    if (got == DriverVerdicts.TEST_USER) {
                        handed++;
                        continue;
                    }
                    int rule = got - DriverVerdicts.TEST_RULE;
                    int want = expected == RuleClassifier.DEFAULT ? rules.size() : expected;
                    boolean passed = (rule == rules.size() ? rules.defaultAction() : rules.rule(rule).action()).kind()
                            == Action.Kind.PASS;
                    if (rule != want || c.plan().rule(rule).placement() != DriverVerdicts.Placement.DRIVER || passed && !passes) {
                        fail("rules:\n" + RandomRules.describe(rules) + "frame " + HexFormat.of().formatHex(frame)
                                + "\nreference: rule " + want + ", XDP returned " + got + " (rule " + rule + ", placed "
                                + (rule >= 0 && rule <= rules.size() ? c.plan().rule(rule) : "nowhere") + ")");
                    }
                    decided++;
                    byRule[rule == rules.size() ? 1 : 0]++;
                }
            } finally {
                if (prog >= 0) {
                    Native.close(prog);
                }
                maps.values().forEach(ListLookup::close);
            }
        }
        System.out.printf("[driver verdicts] %d rule sets, %d frames: %d decided in XDP (%d by a rule, %d by the default),"
                + " %d handed to user space, 0 disagreements%n", sets, checked, decided, byRule[0], byRule[1], handed);
        assertTrue(decided > checked / 4 && handed > checked / 20,
                "both outcomes are exercised: " + decided + " decided, " + handed + " handed over of " + checked);
        assertTrue(byRule[0] > checked / 10, "rules decide, not only the default: " + byRule[0]);
    }

    @Test
    void planSaysWhereEachRuleRuns() throws Exception {
        Files.writeString(dir.resolve("l.txt"), RandomRules.LIST);
        RuleSet rules = RuleParser.parse("r.rules", """
                drop malformed
                pass udp dst port 53 dns suffix example.com
                ratelimit 100/s per src udp dst port 53
                drop udp src list l.txt
                drop udp
                pass tcp
                tx icmp
                default drop
                """, dir);
        DriverVerdicts.Compiled c;
        try (PrefixMap tries = PrefixMap.load(DriverVerdicts.prefixLists(rules).getFirst())) {
            c = DriverVerdicts.compile(rules, 5, -1, -1, l -> tries);
        }
        List<String> got = new ArrayList<>();
        for (DriverVerdicts.RulePlan plan : c.plan().rules()) {
            got.add(plan.placement() + (plan.why() == null ? "" : " (" + plan.why() + ")"));
        }
        assertEquals(List.of("DRIVER", "DRIVER_THEN_USER (dns)", "DRIVER_THEN_USER (ratelimit)", "DRIVER", "DRIVER",
                "USER (past the 5 rules the driver holds)", "USER (past the 5 rules the driver holds)",
                "USER (past the 5 rules the driver holds)"), got);
        assertEquals(3, c.plan().decidedInDriver());
    }

    /**
     * A rule set larger than one program can hold (16-bit jumps, the verifier's limits): the most
     * rules that fit go into the driver, the plan says the rest run in user space, and the program
     * loads with the queue check and counters of the real thing.
     */
    @Test
    void aRuleSetTooLargeForOneProgramLeavesItsTailToUserSpace() throws Exception {
        StringBuilder b = new StringBuilder();
        Random r = new Random(4);
        for (int i = 0; i < 4000; i++) {
            b.append("drop udp src 10.").append(r.nextInt(256)).append('.').append(r.nextInt(256)).append(".0/24 dst port ")
                    .append(1 + r.nextInt(60000)).append('\n');
        }
        RuleSet rules = RuleParser.parse("big.rules", b + "default pass\n", dir);
        int xsk = Bpf.mapCreate(Bpf.MAP_TYPE_XSKMAP, 4, 4, 4, "nb_test_xsks");
        try (DriverProgram p = DriverProgram.load(rules, xsk, -1, true)) {
            int inDriver = p.plan().decidedInDriver();
            assertTrue(inDriver >= 1000 && inDriver < 4000, inDriver + " rules in the driver");
            for (int i = 0; i < 4000; i++) {
                assertEquals(i < inDriver ? DriverVerdicts.Placement.DRIVER : DriverVerdicts.Placement.USER,
                        p.plan().rule(i).placement(), "rule " + (i + 1));
            }
            assertEquals("rules " + (inDriver + 1) + "-4000 and the default (pass) in user space: past the " + inDriver
                    + " rules the driver holds", p.plan().describe(rules).getLast());
            System.out.println("[driver verdicts] 4,000 rules: " + inDriver + " in the driver, the rest in user space");
        } finally {
            Native.close(xsk);
        }
    }

    private static List<byte[]> concat(List<byte[]> a, List<byte[]> b) {
        List<byte[]> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }
}
