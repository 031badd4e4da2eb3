package io.netbypass.cli;

import io.netbypass.backend.vnic.Vnic;
import io.netbypass.backend.vnic.Vnics;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code netbypass ctl} against a running {@code offload} on the software NIC: status, reload,
 * and queues taken out and given back under traffic, in port mode (two workers over every queue)
 * and in the seed's session (one queue isolated, one more added and removed, journaled).
 */
class CtlCommandTest {
    @TempDir
    Path dir;
    private Path saved;

    @BeforeEach
    void socketsHere() {
        saved = CtlCommand.directory;
        CtlCommand.directory = dir.resolve("ctl"); // not /run: the test holds for any user
    }

    @AfterEach
    void socketsBack() {
        CtlCommand.directory = saved;
    }

    private static PcapCommandTest.Run ctl(String... words) {
        String[] args = new String[words.length + 1];
        args[0] = "ctl";
        System.arraycopy(words, 0, args, 1, words.length);
        return PcapCommandTest.run(args);
    }

    /** Starts an offload in the background; returns when its control socket answers. */
    private Thread offload(AtomicReference<PcapCommandTest.Run> result, String... args) throws Exception {
        Thread t = new Thread(() -> result.set(PcapCommandTest.run(args)), "offload");
        t.start();
        Path socket = CtlCommand.directory.resolve(ProcessHandle.current().pid() + ".sock");
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!Files.exists(socket) && t.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(Files.exists(socket), "the offload made its control socket: " + (result.get() == null ? "" : result.get().out()
                + result.get().err()));
        return t;
    }

    @Test
    void queuesComeAndGoUnderTrafficOnTwoWorkersAndStatusAndReloadAnswer() throws Exception {
        Path rules = dir.resolve("r.rules");
        Files.writeString(rules, "drop udp dst port 53 name flood\ndefault pass\n");
        String nic = "ct" + ProcessHandle.current().pid();
        AtomicReference<PcapCommandTest.Run> result = new AtomicReference<>();
        Thread t = offload(result, "offload", "vnic:" + nic + "/R", "--workers", "2", "--rules", rules.toString(),
                "--duration", "5", "--interval", "1000", "-R", "50000", "-s", "198.18.1.1:1024-198.18.1.254:65535", "-z",
                "-d", "198.18.0.53:53-198.18.0.53:54", "-Z", "--seed", "5");
        try {
            PcapCommandTest.Run status = ctl("status");
            assertEquals(0, status.code(), status.err() + status.out());
            assertTrue(status.out().contains("2 workers"), status.out());
            assertTrue(status.out().contains("worker 0: queues 0,2,4,6,8"), status.out());
            assertTrue(status.out().contains("worker 1: queues 1,3,5,7,9"), status.out());
            PcapCommandTest.Run removed = ctl(Long.toString(ProcessHandle.current().pid()), "remove-queue", "3");
            assertEquals(0, removed.code(), removed.err() + removed.out());
            assertTrue(removed.out().contains("queue 3: back to the kernel"), removed.out());
            assertTrue(ctl("status").out().contains("worker 1: queues 1,5,7,9"));
            PcapCommandTest.Run again = ctl("remove-queue", "3");
            assertEquals(1, again.code());
            assertTrue(again.out().contains("queue 3 is not filtered here"), again.out());
            Vnic v = Vnics.find(nic);
            long hostBefore = v.stats().rxHost()[3];
            Thread.sleep(300);
            assertTrue(v.stats().rxHost()[3] > hostBefore, "queue 3's traffic reaches the host again");
            PcapCommandTest.Run added = ctl("add-queue", "3");
            assertEquals(0, added.code(), added.err() + added.out());
            assertTrue(added.out().contains("queue 3: vnic:" + nic + "-3/R on worker 1"), added.out());
            long hostAfter = v.stats().rxHost()[3];
            Thread.sleep(300);
            assertEquals(hostAfter, v.stats().rxHost()[3], "queue 3 is filtered again: nothing of it reaches the host unfiltered");
            Files.writeString(rules, "drop udp dst port 53,54 name both\ndefault pass\n");
            PcapCommandTest.Run reload = ctl("reload");
            assertEquals(0, reload.code(), reload.err() + reload.out());
            assertTrue(reload.out().contains("reloaded " + rules + " (1 rules, default pass)"), reload.out());
            Files.writeString(rules, "drop udpp\n");
            PcapCommandTest.Run bad = ctl("reload");
            assertEquals(1, bad.code());
            assertTrue(bad.out().contains("the old rules keep running"), bad.out());
        } finally {
            t.join(30_000); // a failed check waits for the run to end: the next test makes its own
        }
        PcapCommandTest.Run r = result.get();
        assertEquals(0, r.code(), r.err() + r.out());
        assertTrue(r.out().contains("[+] ctl remove-queue: queue 3"), r.out());
        assertTrue(r.out().contains("    worker 1 (queues "), r.out());
        assertTrue(!Files.exists(CtlCommand.directory.resolve(ProcessHandle.current().pid() + ".sock")), "the socket went with the run");
        Vnics.remove(Vnics.find(nic));
    }

    @Test
    void inTheSessionAnAddedQueueIsIsolatedAndARemovedOneGoesBackIntoRss() throws Exception {
        String nic = "cs" + ProcessHandle.current().pid();
        AtomicReference<PcapCommandTest.Run> result = new AtomicReference<>();
        Thread t = offload(result, "offload", "vnic:" + nic, "4", "--duration", "4", "-R", "20000",
                "-s", "198.18.1.1:1024-198.18.1.254:65535", "-z", "--seed", "6");
        Vnic v = Vnics.find(nic);
        try {
            int[] before = v.indirection().toArray();
            assertTrue(Arrays.stream(before).noneMatch(q -> q == 4), "queue 4 is out of RSS");
            assertTrue(Arrays.stream(before).anyMatch(q -> q == 5));
            PcapCommandTest.Run added = ctl("add-queue", "5");
            assertEquals(0, added.code(), added.err() + added.out());
            assertTrue(added.out().contains("RSS: weight 0 for queue 5"), added.out());
            int[] both = v.indirection().toArray();
            assertTrue(Arrays.stream(both).noneMatch(q -> q == 4 || q == 5), "queues 4 and 5 are out of RSS: " + Arrays.toString(both));
            PcapCommandTest.Run removed = ctl("remove-queue", "5");
            assertEquals(0, removed.code(), removed.err() + removed.out());
            assertTrue(removed.out().contains("RSS: queue 5 back in"), removed.out());
            int[] after = v.indirection().toArray();
            assertTrue(Arrays.stream(after).anyMatch(q -> q == 5) && Arrays.stream(after).noneMatch(q -> q == 4),
                    "queue 5 is back in RSS, 4 still out: " + Arrays.toString(after));
            PcapCommandTest.Run all = ctl("add-queue", "4");
            assertEquals(1, all.code());
            assertTrue(all.out().contains("queue 4 is already filtered"), all.out());
        } finally {
            t.join(30_000);
        }
        PcapCommandTest.Run r = result.get();
        assertEquals(0, r.code(), r.err() + r.out());
        assertTrue(r.out().contains("[+] settings put back"), r.out());
        assertNotEquals(0, v.indirection().toArray().length);
        assertTrue(Arrays.stream(v.indirection().toArray()).anyMatch(q -> q == 4), "the session's end put queue 4 back in RSS");
        Vnics.remove(v);
    }

    @Test
    void withoutARunningOffloadItSaysSoInOneLine() {
        PcapCommandTest.Run r = ctl("status");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("no netbypass offload is running here"), r.err());
        PcapCommandTest.Run bad = ctl("add-queue", "x");
        assertTrue(bad.err().contains("takes a queue number"), bad.err());
        PcapCommandTest.Run unknown = ctl("frobnicate");
        assertTrue(unknown.err().contains("'frobnicate' is not a command"), unknown.err());
    }
}
