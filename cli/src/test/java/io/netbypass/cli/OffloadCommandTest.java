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
    void anotherProcessReadsTheCountersAndTheMetricsEndpointServesThem() throws Exception {
        Path counters = dir.resolve("live.counters");
        AtomicReference<PcapCommandTest.Run> result = new AtomicReference<>();
        Thread t = new Thread(() -> result.set(PcapCommandTest.run("offload", "vnic:st" + ProcessHandle.current().pid(),
                "--rules", Path.of("../examples/dns-flood.rules").toString(),
                "--counters", counters.toString(), "--metrics", "127.0.0.1:0", "--duration", "6",
                "-R", "50000", "-d", "198.18.0.53:53-198.18.0.53:54", "-Z", "--seed", "5")));
        t.start();
        // A busy machine may take seconds to compile and warm up: wait for the file, then a few publications.
        for (int i = 0; i < 1500 && !Files.exists(counters); i++) {
            Thread.sleep(20);
        }
        Thread.sleep(500);
        String java = ProcessHandle.current().info().command().orElseThrow();
        Process stat = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                "io.netbypass.cli.Main", "stat", counters.toString()).redirectErrorStream(true).start();
        String statOut = new String(stat.getInputStream().readAllBytes());
        assertEquals(0, stat.waitFor(), statOut);
        t.join(20_000);
        PcapCommandTest.Run r = result.get();
        assertEquals(0, r.code(), r.err() + r.out());
        Matcher m = Pattern.compile("^ +(\\d+)  netbypass_rx_packets_total\\{port=\"vnic:st\\d+\"}$", Pattern.MULTILINE).matcher(statOut);
        assertTrue(m.find(), statOut);
        long seen = Long.parseLong(m.group(1));
        long[] s = summary(r.out());
        assertTrue(seen > 0 && seen <= s[0], "a live value from the other process: " + seen + " of " + s[0]);
        assertTrue(statOut.contains("netbypass_rule_packets_total{port=\"vnic:st"), statOut);
        assertTrue(statOut.contains(",rule=\"dns-flood\"}"), statOut);
        assertTrue(r.out().matches("(?s).*metrics: http://127\\.0\\.0\\.1:\\d+/metrics.*"), r.out());
        assertFalse(Files.exists(counters), "the counters file is removed on exit");
    }

    @Test
    void sighupReloadsAndSigtermEndsCleanlyWithASummary() throws Exception {
        Path rules = dir.resolve("sig.rules");
        Files.writeString(rules, "drop udp dst port 53 name flood\ndefault pass\n");
        String javaBin = ProcessHandle.current().info().command().orElseThrow();
        Process p = new ProcessBuilder(javaBin, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                "io.netbypass.cli.Main", "offload", "vnic:sig", "--rules", rules.toString(), "--counters",
                dir.resolve("sig.counters").toString(), "-R", "20000", "-d", "198.18.0.53:53-198.18.0.53:54", "-Z")
                .redirectErrorStream(true).start();
        StringBuffer out = new StringBuffer();
        Thread reader = new Thread(() -> {
            try (var in = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream()))) {
                String line;
                while ((line = in.readLine()) != null) {
                    out.append(line).append('\n');
                }
            } catch (java.io.IOException ignored) {
                // the process ended
            }
        });
        reader.start();
        try {
            waitFor(out, "[+] UDP pps: ", 10_000);
            Files.writeString(rules, "pass udp name everything\n");
            new ProcessBuilder("kill", "-HUP", Long.toString(p.pid())).start().waitFor();
            waitFor(out, "[+] SIGHUP: reloaded " + rules + " (1 rules, default pass)", 10_000);
            Files.writeString(rules, "pass udpp\n");
            new ProcessBuilder("kill", "-HUP", Long.toString(p.pid())).start().waitFor();
            waitFor(out, "[!] SIGHUP: " + rules + ":1:6: unknown test 'udpp'", 10_000);
            waitFor(out, "; the old rules keep running", 1000);
            new ProcessBuilder("kill", "-TERM", Long.toString(p.pid())).start().waitFor();
            assertTrue(p.waitFor(20, java.util.concurrent.TimeUnit.SECONDS), out.toString());
        } finally {
            p.destroyForcibly();
        }
        reader.join(5000);
        assertEquals(0, p.exitValue(), out.toString());
        long[] s = summary(out.toString());
        assertTrue(s[0] > 0 && s[0] == s[2] + s[3], out.toString());
        assertTrue(out.toString().contains(", reloads 1"), out.toString());
        assertTrue(out.toString().contains("\n    everything "), "the summary lists the reloaded rules: " + out);
        assertFalse(Files.exists(dir.resolve("sig.counters")), "the counters file is removed on a clean end");
    }

    private static void waitFor(StringBuffer out, String text, long millis) throws InterruptedException {
        long end = System.currentTimeMillis() + millis;
        while (!out.toString().contains(text)) {
            assertTrue(System.currentTimeMillis() < end, "no '" + text + "' in:\n" + out);
            Thread.sleep(20);
        }
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
        assertTrue(r.err().startsWith("netbypass: --cpu 1000: CPU 1000 is not online (online: "), r.err());
        assertEquals("", r.out(), "refused before anything starts");

        r = PcapCommandTest.run("offload", "vnic:e5x", "--rules", dir.resolve("missing.rules").toString());
        assertEquals("netbypass: " + dir.resolve("missing.rules") + ": no such file\n", r.err());
    }

    @Test
    void theSeedsSessionIsOneCommandOnTheSoftwareNic() {
        String nic = "ss" + ProcessHandle.current().pid();
        PcapCommandTest.Run r = PcapCommandTest.run("offload", "vnic:" + nic, "4", "--steer", "udp4 dst-port 53",
                "--rules", Path.of("../examples/dns-flood.rules").toString(),
                "-n", "20000", "-R", "200000", "-d", "198.18.0.53:53-198.18.0.53:54", "-Z", "--seed", "9");
        assertEquals(0, r.code(), r.err() + r.out());
        assertTrue(r.out().contains("[+] plan for vnic:" + nic + " queue 4:\n    RSS: weight 0 for queue 4 (ethtool -X vnic:" + nic
                + " weight 1 1 1 1 0 1 1 1 1 1)\n    ntuple: flow-type udp4 dst-port 53 action 4 loc 1023 (ethtool -N vnic:" + nic + ")"),
                r.out());
        assertTrue(r.out().contains("[+] offload vnic:" + nic + "-4/R:"), r.out());
        long[] s = summary(r.out());
        assertTrue(s[0] > 5_000 && s[0] < 15_000, "about half the frames (port 53) reached queue 4: " + s[0]);
        Matcher m = Pattern.compile("(?m)^ +default +(\\d+) ").matcher(r.out());
        assertTrue(m.find(), r.out());
        assertEquals(0, Long.parseLong(m.group(1)), "no port-54 frame reached queue 4: RSS weight 0 and the rule steer only port 53");
        assertTrue(r.out().contains("[+] settings put back"), r.out());
    }
}
