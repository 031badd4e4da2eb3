package io.netbypass.linux.tune;

import io.netbypass.control.QueueIsolation;
import io.netbypass.backend.vnic.Vnic;
import io.netbypass.backend.vnic.VnicControl;
import io.netbypass.backend.vnic.Vnics;
import io.netbypass.control.Journal;
import io.netbypass.control.NicControl;
import io.netbypass.linux.tune.Isolation;
import io.netbypass.scaling.ntuple.NtupleParser;
import io.netbypass.scaling.ntuple.RxFlowSpec;
import io.netbypass.scaling.rss.IndirectionTable;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The seed's isolation (planned by {@code QueueIsolation}, tested in core) applied and undone on
 * the software NIC through the journal with Linux's appliers.
 */
class IsolationTest {
    @TempDir
    Path dir;

    @Test
    void onTheSoftwareNicThePlanIsAppliedAndPutBackThroughTheJournal() throws Exception {
        String name = "is" + ProcessHandle.current().pid();
        Vnic v = Vnics.get(name);
        try {
            IndirectionTable before = v.indirection();
            NicControl nic = new VnicControl(v);
            QueueIsolation.Plan plan = QueueIsolation.plan(nic, 4, List.of(NtupleParser.parse("flow-type udp4 dst-port 53 action 0")), 0, null);
            assertEquals(2, plan.steps().size(), "RSS and the rule; the software NIC has no GRO or LRO");
            try (Journal j = Journal.create(dir, "t", 1, Isolation.appliers())) {
                QueueIsolation.apply(plan, j);
                assertEquals(0, v.indirection().entriesFor(4), "queue 4 is out of RSS");
                assertEquals(1, v.ntupleTable().count());
                assertEquals(4L, v.ntupleTable().rule(1023).queue());
                assertEquals(List.of(), j.rollback());
            }
            assertEquals(before, v.indirection(), "the table is back");
            assertEquals(0, v.ntupleTable().count(), "the rule is gone");
        } finally {
            Vnics.remove(v);
            v.close();
        }
    }
}
