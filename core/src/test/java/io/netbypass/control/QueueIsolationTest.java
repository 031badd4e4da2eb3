package io.netbypass.control;

import io.netbypass.control.NicControl;
import io.netbypass.control.QueueIsolation;
import io.netbypass.scaling.ntuple.NtupleParser;
import io.netbypass.scaling.ntuple.RxFlowSpec;
import io.netbypass.scaling.rss.IndirectionTable;
import io.netbypass.util.UserException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The seed's isolation planned for a NIC with an RSS table, ntuple filters, GRO and a fixed LRO
 * (as a real multi-queue NIC has them), and for one without ntuple filters (flow mode).
 */
class QueueIsolationTest {
    /** A NIC with everything the seed uses: 8 queues, a 128-entry table, rules, rx-gro changeable, rx-lro fixed on. */
    private static class HardwareLike implements NicControl {
        IndirectionTable table = IndirectionTable.defaultFill(128, 8);
        final List<RxFlowSpec> rules = new ArrayList<>();
        final Map<String, boolean[]> features = new LinkedHashMap<>(Map.of("rx-gro", new boolean[] {true, true},
                "rx-lro", new boolean[] {true, false}));

        @Override public String name() { return "hw0"; }
        @Override public int rxQueues() { return 8; }
        @Override public IndirectionTable rssTable() { return table; }
        @Override public void setRssTable(IndirectionTable t) { table = t; }
        @Override public List<RxFlowSpec> ntupleRules() { return rules; }
        @Override public void insertRule(RxFlowSpec rule) { rules.add(rule); }
        @Override public void deleteRule(int location) { rules.removeIf(r -> r.location() == location); }
        @Override public Map<String, boolean[]> features() { return features; }
        @Override public void setFeature(String name, boolean on) { features.get(name)[0] = on; }
    }

    @Test
    void aNicWithRssAndNtupleGetsWeightZeroTheRuleAndGroOff() throws Exception {
        HardwareLike hw = new HardwareLike();
        RxFlowSpec taken = NtupleParser.parse("flow-type tcp4 dst-port 80 action 1 loc 1023");
        hw.rules.add(taken);
        QueueIsolation.Plan plan = QueueIsolation.plan(hw, 4, List.of(NtupleParser.parse("flow-type udp4 dst-port 53 action 0"),
                NtupleParser.parse("flow-type udp4 src-ip 198.18.9.9 action -1")), 1, null);
        assertFalse(plan.steerInXdp(), "the NIC steers");
        List<String> descriptions = plan.steps().stream().map(QueueIsolation.Step::description).toList();
        assertEquals(List.of(
                "RSS: weight 0 for queue 4 (ethtool -X hw0 weight 1 1 1 1 0 1 1 1)",
                "ntuple: flow-type udp4 dst-port 53 action 4 loc 1022 (ethtool -N hw0)",
                "ntuple: flow-type udp4 src-ip 198.18.9.9 action -1 loc 1021 (ethtool -N hw0)",
                "rx-gro off (ethtool -K hw0 gro off)"), descriptions, "loc 1023 is taken: the next free one below; a drop stays a drop");
        assertEquals(List.of("rx-lro is on and fixed on hw0: it stays on"), plan.notes());
        int[] next = plan.steps().get(0).newValue().chars().filter(c -> c != ',').map(c -> c - '0').toArray();
        for (int q : next) {
            assertNotEquals(4, q, "no table entry sends to queue 4");
        }
        assertEquals(IndirectionTable.defaultFill(128, 8).size(), plan.steps().get(0).oldValue().split(",").length);
        assertThrows(UserException.class, () -> QueueIsolation.plan(hw, 8, List.of(), 1, null));
    }

    @Test
    void aNicWithRssButNoNtupleTakesTheFlowsInXdpOnEveryQueueAndLeavesRssAlone() throws Exception {
        HardwareLike hw = new HardwareLike() {
            @Override public List<RxFlowSpec> ntupleRules() { return null; }
        };
        QueueIsolation.Plan plan = QueueIsolation.plan(hw, 4, List.of(NtupleParser.parse("flow-type udp4 dst-port 53 action 0")), 1, null);
        assertTrue(plan.steerInXdp());
        assertEquals(List.of("rx-gro off (ethtool -K hw0 gro off)"), plan.steps().stream().map(QueueIsolation.Step::description).toList(),
                "no RSS change: the flows are taken wherever RSS puts them, the kernel's traffic stays spread");
        assertEquals("hw0 has no ntuple filters to bring the flows to queue 4: packets matching the --steer rules are taken in XDP"
                + " on every RX queue (0-7), one AF_XDP socket each, by one worker; every other packet on every queue stays with"
                + " the kernel", plan.notes().get(0));
        QueueIsolation.Plan queueMode = QueueIsolation.plan(hw, 4, List.of(), 1, null);
        assertFalse(queueMode.steerInXdp(), "without --steer the whole queue is taken, as in the seed");
        assertTrue(queueMode.steps().get(0).description().startsWith("RSS: weight 0 for queue 4"));
    }
}
