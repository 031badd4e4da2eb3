package io.netbypass.cli;

import io.netbypass.capture.CaptureReader;
import io.netbypass.capture.CaptureRecord;
import io.netbypass.capture.Captures;
import io.netbypass.testing.TestData;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.*;

class OffloadCommandTest {
    @TempDir
    Path dir;

    private static long[] summary(String out) {
        Matcher m = Pattern.compile("^\\[\\+] summary: .*: (\\d+) packets \\((\\d+) bytes\\) in [0-9.]+ s: dropped (\\d+), passed (\\d+),"
                + " rate-limited (\\d+), tx (\\d+), malformed (\\d+)", Pattern.MULTILINE).matcher(out);
        assertTrue(m.find(), out);
        long[] n = new long[7];
        for (int i = 0; i < 7; i++) {
            n[i] = Long.parseLong(m.group(i + 1));
        }
        return n;
    }

    private static long count(Path pcap) throws Exception {
        long n = 0;
        try (CaptureReader r = Captures.open(pcap)) {
            CaptureRecord rec = new CaptureRecord();
            while (r.next(rec)) {
                n++;
            }
        }
        return n;
    }

    @Test
    void offlineCountsAndWritesPassedAndDropped() throws Exception {
        Path rules = dir.resolve("r.rules");
        Files.writeString(rules, "drop icmp type 8 name pings\npass udp port 53 name dns\ndefault drop\n");
        Path capture = TestData.root().resolve("pcap/dpkt/dns_icmp.pcap");
        Path passed = dir.resolve("passed.pcap");
        Path dropped = dir.resolve("dropped.pcap");
        PcapCommandTest.Run r = PcapCommandTest.run("offload", "pcap:" + capture, "--rules", rules.toString(),
                "--write-passed", passed.toString(), "--write-dropped", dropped.toString());
        assertEquals(0, r.code(), r.err() + r.out());
        long[] s = summary(r.out());
        assertEquals(32, s[0], r.out());
        assertEquals(s[0], s[2] + s[3] + s[4] + s[5]);
        assertTrue(s[3] > 0 && s[2] > 0, r.out());
        assertEquals(s[3], count(passed));
        assertEquals(s[2], count(dropped));
        assertTrue(r.out().matches("(?s).*\\n    pings +(\\d+) .*"), r.out());
    }

    @Test
    void watchReloadsAValidFileAndKeepsTheOldRulesOnAnInvalidOne() throws Exception {
        Path rules = dir.resolve("w.rules");
        Files.writeString(rules, "drop udp dst port 53 name flood\ndefault pass\n");
        AtomicReference<PcapCommandTest.Run> result = new AtomicReference<>();
        Thread t = new Thread(() -> result.set(PcapCommandTest.run("offload", "vnic:wt" + ProcessHandle.current().pid(),
                "--rules", rules.toString(), "--watch", "--duration", "4", "--interval", "500",
                "-R", "20000", "-d", "198.18.0.53:53-198.18.0.53:54", "-Z", "--seed", "3")));
        t.start();
        Thread.sleep(1200);
        Files.writeString(rules, "drop udpp\n");
        Files.setLastModifiedTime(rules, FileTime.fromMillis(System.currentTimeMillis() + 1000));
        Thread.sleep(1200);
        Files.writeString(rules, "pass udp name all\ndefault pass\n");
        Files.setLastModifiedTime(rules, FileTime.fromMillis(System.currentTimeMillis() + 3000));
        t.join(20_000);
        PcapCommandTest.Run r = result.get();
        assertNotNull(r, "offload ended");
        assertEquals(0, r.code(), r.err() + r.out());
        assertTrue(r.out().contains("[!] file changed: " + rules + ":1:6: unknown test 'udpp'"), r.out());
        assertTrue(r.out().contains("; the old rules keep running"), r.out());
        assertTrue(r.out().contains("[+] file changed: reloaded " + rules + " (1 rules, default pass)"), r.out());
        assertTrue(r.out().contains(", reloads 1"), r.out());
        long[] s = summary(r.out());
        assertTrue(s[0] > 40_000, r.out());
        assertEquals(s[0], s[2] + s[3], "every packet dropped or passed: " + r.out());
        assertTrue(r.out().lines().filter(l -> l.startsWith("[+] UDP pps: ")).count() >= 6, r.out());
    }

    @Test
    void clearErrors() throws Exception {
        Path rules = dir.resolve("tx.rules");
        Files.writeString(rules, "tx icmp\n");
        PcapCommandTest.Run r = PcapCommandTest.run("offload", "vnic:e1" + ProcessHandle.current().pid() + "-0/R",
                "--rules", rules.toString(), "--duration", "1");
        assertEquals(1, r.code());
        assertTrue(r.err().startsWith("netbypass: the rules send packets back out (tx) but vnic:e1"), r.err());
        assertEquals(1, r.err().lines().count());

        Files.writeString(rules, "drop\nbogus line\n");
        r = PcapCommandTest.run("offload", "vnic:e2x", "--rules", rules.toString());
        assertEquals("netbypass: " + rules + ":2:1: a rule starts with drop, pass, tx, ratelimit or default, not 'bogus'\n", r.err());

        r = PcapCommandTest.run("offload", "vnic:e3x", "--write-passed", dir.resolve("x.pcap").toString());
        assertEquals("netbypass: --write-passed and --write-dropped are for pcap:FILE ports\n", r.err());

        r = PcapCommandTest.run("offload", "vnic:e4x", "--cpu", "1000", "--duration", "1");
        assertEquals(1, r.code());
        assertTrue(r.err().startsWith("netbypass: cannot pin to CPU 1000: no such CPU, or not in this process's allowed set"), r.err());

        r = PcapCommandTest.run("offload", "vnic:e5x", "--rules", dir.resolve("missing.rules").toString());
        assertEquals("netbypass: " + dir.resolve("missing.rules") + ": no such file\n", r.err());
    }
}
