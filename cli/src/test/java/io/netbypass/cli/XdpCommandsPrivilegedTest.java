package io.netbypass.cli;

import io.netbypass.testing.Privileged;
import io.netbypass.testing.TestNetwork;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static io.netbypass.cli.Cli.*;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The commands an operator runs, as processes inside our own namespaces: {@code netbypass gen}
 * on an {@code xdp:} TX port in one, {@code netbypass rx} and {@code netbypass offload} on
 * {@code xdp:IF-2/R} in the other, each printing its per-second line.
 */
@Privileged
class XdpCommandsPrivilegedTest {
    @TempDir
    Path dir;

    /** Starts a receiving command in B, waits for its "[+] xdp:" line, sends with gen from A, returns B's whole output. */
    private static String receiveWhileSending(TestNetwork net, String[] receiver, String[]... senders) throws Exception {
        Process p = net.start(net.nsB, java(receiver));
        StringBuilder out = new StringBuilder();
        CountDownLatch ready = new CountDownLatch(1);
        Thread reader = reader(p, out, ready);
        try {
            assertTrue(ready.await(20, TimeUnit.SECONDS), "the receiver opened its port: " + out);
            for (String[] sender : senders) {
                var sent = net.exec(net.nsA, 60, java(sender));
                assertEquals(0, sent.exitCode(), sent.stdout() + sent.stderr());
            }
            assertTrue(stopAfterSenders(p), "the receiver ended on SIGTERM: " + out);
            reader.join(5000);
            assertEquals(0, p.exitValue(), out.toString());
            synchronized (out) {
                return out.toString();
            }
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void rxInsideANamespaceCountsExactlyWhatGenSentToItsQueue() throws Exception {
        try (TestNetwork net = TestNetwork.create(4)) {
            net.staticNeighbours();
            String out = receiveWhileSending(net, new String[] {"rx", "xdp:" + net.ifB + "-2/R", "--seconds", "120"},
                    gen(net, 2, 53, 30_000), gen(net, 1, 53, 10_000));
            assertTrue(out.contains("[+] xdp:" + net.ifB + "-2/R: AF_XDP on " + net.ifB + " queue 2 (copy mode, multi-buffer, XDP native, queue mode)"), out);
            assertTrue(Pattern.compile("(?m)^[0-9.]+ K?pps \\(").matcher(out).find(), "per-second lines:\n" + out);
            assertEquals(30_000, number(out, "Received (\\d+) packets"), "queue 2's frames, none of queue 1's:\n" + out);
        }
    }

    @Test
    void xdpDropWithASourceListDropsTheListedSourcesOnlyAndSaysWhatALookupCosts() throws Exception {
        try (TestNetwork net = TestNetwork.create(4)) {
            net.staticNeighbours();
            Path list = dir.resolve("sources.txt");
            Files.writeString(list, "# the flood's sources\n" + net.addressA + "/32\n2001:db8::/32\n");
            Process p = net.start(net.nsB, java("xdp-drop", net.ifB, "--src-list", list.toString(), "--seconds", "120"));
            StringBuilder out = new StringBuilder();
            CountDownLatch ready = new CountDownLatch(1);
            Thread reader = reader(p, out, ready, "[+] XDP_DROP");
            try {
                assertTrue(ready.await(30, TimeUnit.SECONDS), "xdp-drop attached: " + text(out));
                var listed = net.exec(net.nsA, 60, java(gen(net, 2, 53, 5_000)));
                assertEquals(0, listed.exitCode(), listed.stderr());
                String[] other = gen(net, 1, 53, 3_000);
                other[Arrays.asList(other).indexOf("-s") + 1] = "198.18.200.1:1000"; // a source not in the list
                var unlisted = net.exec(net.nsA, 60, java(other));
                assertEquals(0, unlisted.exitCode(), unlisted.stderr());
                assertTrue(stopAfterSenders(p), text(out));
                reader.join(5000);
                String t = text(out);
                assertEquals(0, p.exitValue(), t);
                assertTrue(t.contains("[+] 2 prefixes (1 IPv4, 1 IPv6) loaded into the kernel's LPM tries in "), t);
                assertTrue(t.matches("(?s).*a packet costs \\d+ ns from a listed source, \\d+ ns from one not listed, against \\d+ ns for a program that only drops.*"), t);
                assertTrue(t.matches("(?s).*\\[\\+\\] as hash maps probed once per prefix length \\(1 IPv4 length\\): loaded in \\d+ ms;"
                        + " \\d+ ns from a listed source, \\d+ ns from one not listed; kept: the (hash maps|LPM tries)\n.*"), t);
                assertEquals(5_000, number(t, "Dropped (\\d+) packets in the driver"), "the listed source's frames, none of the other's:\n" + t);
            } finally {
                p.destroyForcibly();
            }
        }
    }

    @Test
    void killDashNineOfTheReceivingProcessGivesTheQueueBackWithinASecond() throws Exception {
        try (TestNetwork net = TestNetwork.create(4)) {
            net.staticNeighbours();
            // The kernel's own sender in A uses TX queue 2 on CPU 0 (XPS), so its datagrams land on B's queue 2.
            net.exec(net.nsA, 10, "bash", "-c", "for q in 0 1 2 3; do echo 0 > /sys/class/net/" + net.ifA + "/queues/tx-$q/xps_cpus;"
                    + " done; echo 1 > /sys/class/net/" + net.ifA + "/queues/tx-2/xps_cpus").orFail("xps");
            java.util.concurrent.ExecutorService inB = java.util.concurrent.Executors.newSingleThreadExecutor();
            java.net.DatagramSocket kernel = inB.submit(() -> {
                io.netbypass.linux.Native.enterNetworkNamespace(net.nsB);
                return new java.net.DatagramSocket(new java.net.InetSocketAddress(java.net.InetAddress.getByName(net.addressB), 0));
            }).get();
            inB.shutdown();
            String sendLoop = "for i in $(seq 1 300); do echo k > /dev/udp/" + net.addressB + "/" + kernel.getLocalPort()
                    + "; sleep 0.01; done";
            Process rx = net.start(net.nsB, java("rx", "xdp:" + net.ifB + "-2/R", "--seconds", "60"));
            Process sender = null;
            try (BufferedReader in = new BufferedReader(new InputStreamReader(rx.getInputStream()))) {
                String line;
                while ((line = in.readLine()) != null && !line.startsWith("[+] xdp:")) {
                    // until the port is open
                }
                assertNotNull(line, "rx opened its port");
                net.exec(net.nsA, 10, "taskset", "-c", "0", "bash", "-c", "for i in 1 2 3 4 5; do echo x > /dev/udp/"
                        + net.addressB + "/" + kernel.getLocalPort() + "; done").orFail("send");
                kernel.setSoTimeout(500);
                assertThrows(java.net.SocketTimeoutException.class, () -> kernel.receive(new java.net.DatagramPacket(new byte[64], 64)),
                        "while rx runs, queue 2 is not the kernel's");

                rx.destroyForcibly(); // SIGKILL: no chance to clean up; the BPF link dies with its last descriptor
                long killed = System.nanoTime();
                assertTrue(rx.waitFor(10, TimeUnit.SECONDS));
                sender = net.start(net.nsA, "taskset", "-c", "0", "bash", "-c", sendLoop);
                kernel.setSoTimeout(3000);
                kernel.receive(new java.net.DatagramPacket(new byte[64], 64));
                long back = System.nanoTime() - killed;
                assertTrue(back < 1_000_000_000L, "the kernel got queue 2's datagrams again " + back / 1_000_000 + " ms after kill -9");
            } finally {
                rx.destroyForcibly();
                if (sender != null) {
                    sender.destroyForcibly();
                }
                kernel.close();
            }
        }
    }

    /**
     * With the sender's default offloads (veth hands frames over with partial checksums, which the
     * host path completes), and with its TX checksumming off (complete checksums, as from a wire).
     */
    @org.junit.jupiter.params.ParameterizedTest(name = "sender TX checksum offload {0}, host path {1}")
    @org.junit.jupiter.params.provider.CsvSource({"on, gro", "off, gro", "on, no-gro"})
    void offloadHandsEveryValidPacketToTheKernelThroughTheHostPathWhileTheFloodIsDropped(String txChecksumming, String gro)
            throws Exception {
        try (TestNetwork net = TestNetwork.create(4)) {
            net.staticNeighbours();
            // Everything A's kernel sends leaves on TX queue 2 (XPS for every CPU), so TCP lands on B's queue 2 too.
            int cpus = Runtime.getRuntime().availableProcessors();
            String all = Long.toHexString(cpus >= 64 ? -1L : (1L << cpus) - 1);
            net.exec(net.nsA, 10, "bash", "-c", "for q in 0 1 2 3; do echo 0 > /sys/class/net/" + net.ifA + "/queues/tx-$q/xps_cpus;"
                    + " done; echo " + all + " > /sys/class/net/" + net.ifA + "/queues/tx-2/xps_cpus").orFail("xps");
            // veth hands frames over with the checksum still to be done (CHECKSUM_PARTIAL) unless the sender
            // computes it (TX checksumming off): a frame from a real wire has it done.
            if (txChecksumming.equals("off")) {
                net.exec(net.nsA, 10, "ethtool", "-K", net.ifA, "tx", "off").orFail("ethtool -K tx off");
            }
            String snmpBefore = net.exec(net.nsB, 10, "cat", "/proc/net/snmp").orFail("snmp").stdout();
            var inA = in(net.nsA);
            var inB = in(net.nsB);
            java.net.DatagramSocket udp = inB.submit(() -> {
                java.net.DatagramSocket d = new java.net.DatagramSocket(
                        new java.net.InetSocketAddress(java.net.InetAddress.getByName(net.addressB), 0));
                d.setSoTimeout(10_000); // the sender is a JVM that a busy machine may take seconds to start
                d.setReceiveBufferSize(1 << 20);
                return d;
            }).get();
            java.net.ServerSocket tcp = inB.submit(() -> new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName(net.addressB))).get();
            Path rules = dir.resolve("f.rules");
            Files.writeString(rules, "drop udp dst port 53 name flood\ndefault pass\n");
            Process p = net.start(net.nsB, gro.equals("gro")
                    // The rules in user space: this is the host path's test (the driver's: XdpVerdictsPrivilegedTest).
                    ? java("offload", "xdp:" + net.ifB + "-2/R", "--rules", rules.toString(), "--duration", "120", "--xdp-verdicts", "off")
                    : java("offload", "xdp:" + net.ifB + "-2/R", "--rules", rules.toString(), "--duration", "120", "--no-gro",
                            "--xdp-verdicts", "off"));
            StringBuilder out = new StringBuilder();
            CountDownLatch ready = new CountDownLatch(1);
            Thread reader = reader(p, out, ready);
            try {
                assertTrue(ready.await(20, TimeUnit.SECONDS), "offload opened its port: " + out);
                var udpCount = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                    int n = 0;
                    java.net.DatagramPacket d = new java.net.DatagramPacket(new byte[2048], 2048);
                    try {
                        while (true) {
                            udp.receive(d);
                            n++;
                        }
                    } catch (java.io.IOException e) {
                        return n; // ten seconds of silence
                    }
                });
                TcpTransfer transfer = new TcpTransfer(tcp, inA, net.addressB, 8 << 20, 42);
                // Small bursts at 1000/s, so that the UDP socket's buffer (about 900 datagrams) never overflows,
                // even when a busy machine leaves the test's reader thread off the CPU for most of a second.
                String[] validGen = gen(net, 2, udp.getLocalPort(), 5_000);
                validGen[validGen.length - 1] = "1000";
                validGen = java.util.stream.Stream.concat(java.util.Arrays.stream(validGen), java.util.stream.Stream.of("-b", "16"))
                        .toArray(String[]::new);
                var valid = net.exec(net.nsA, 60, java(validGen));
                assertEquals(0, valid.exitCode(), valid.stderr());
                var flood = net.exec(net.nsA, 60, java(gen(net, 2, 53, 20_000)));
                assertEquals(0, flood.exitCode(), flood.stderr());
                assertEquals(transfer.sent(), transfer.received(30), "the TCP server got the exact byte stream");
                int udpGot = udpCount.get(60, TimeUnit.SECONDS);
                p.toHandle().destroy(); // SIGTERM once everything was sent and received
                assertTrue(p.waitFor(30, TimeUnit.SECONDS), "offload ended on SIGTERM: " + out);
                reader.join(5000);
                assertEquals(5_000, udpGot, "the UDP server got every valid datagram:\n" + out + "\n"
                        + net.exec(net.nsB, 10, "cat", "/proc/net/snmp").stdout());
                reader.join(5000);
                String text;
                synchronized (out) {
                    text = out.toString();
                }
                assertEquals(0, p.exitValue(), text);
                assertTrue(text.contains("forwarded frames go to the kernel through the host path of " + net.ifB), text);
                assertTrue(text.contains("[+] UDP pps: "), "the per-second line:\n" + text);
                assertEquals(20_000, number(text, "summary: .* dropped (\\d+), passed"), "the flood, dropped:\n" + text);
                assertTrue(number(text, "forwarded_to_host (\\d+)") >= 5_000 + (8 << 20) / 1448, text);
                if (gro.equals("gro")) {
                    assertTrue(number(text, "host_gro_merged (\\d+)") > 0, "TCP segments were coalesced:\n" + text);
                } else {
                    assertFalse(text.contains("host_gro_merged"), "--no-gro: no GRO on the host path:\n" + text);
                }
                String snmpAfter = net.exec(net.nsB, 10, "cat", "/proc/net/snmp").orFail("snmp").stdout();
                assertEquals(0, snmp(snmpAfter, "Udp:", "InCsumErrors") - snmp(snmpBefore, "Udp:", "InCsumErrors"), snmpAfter);
                assertEquals(0, snmp(snmpAfter, "Tcp:", "InCsumErrors") - snmp(snmpBefore, "Tcp:", "InCsumErrors"), snmpAfter);
                long completed = number(text, "host: \\d+ to the kernel \\(checksums completed (\\d+), bad 0\\)");
                if (txChecksumming.equals("on")) {
                    // A's kernel hands its TCP segments over partial; gen's datagrams carry whole checksums.
                    assertTrue(completed >= (8 << 20) / 1448, "partial checksums completed: " + completed + "\n" + text);
                } else {
                    assertEquals(0, completed, "complete checksums are left as they are:\n" + text);
                }
                assertEquals(0, number(text, "kernel after the write: TAP drops 0, checksum errors (\\d+)"), text);
            } finally {
                p.destroyForcibly();
                udp.close();
                tcp.close();
                inA.shutdownNow();
                inB.shutdownNow();
            }
        }
    }

    @Test
    void nicChannelsPrintsWhatEthtoolPrintsAndNicFeaturesChangesWhatEthtoolSees() throws Exception {
        try (TestNetwork net = TestNetwork.create(4)) {
            var ours = net.exec(net.nsB, 60, java("nic", "channels", net.ifB));
            assertEquals(0, ours.exitCode(), ours.stderr());
            assertEquals(net.exec(net.nsB, 10, "ethtool", "-l", net.ifB).orFail("ethtool -l").stdout().strip(), ours.stdout().strip());
            var off = net.exec(net.nsB, 60, java("nic", "features", net.ifB, "gro", "off"));
            assertEquals(0, off.exitCode(), off.stderr());
            assertTrue(net.exec(net.nsB, 10, "ethtool", "-k", net.ifB).orFail("ethtool -k").stdout()
                    .contains("generic-receive-offload: off"));
            var bad = net.exec(net.nsB, 60, java("nic", "channels", net.ifB, "rx", "99"));
            assertEquals(1, bad.exitCode());
            assertEquals("netbypass: nic channels " + net.ifB + ": ethtool -L " + net.ifB + " (CHANNELS_SET): EINVAL (Invalid argument)"
                    + " netlink: requested channel count exceeds maximum", bad.stderr().strip());
            // veth has neither an RSS table nor ntuple filters: one line each, naming the device and what it lacks.
            var rss = net.exec(net.nsB, 60, java("nic", "rss", net.ifB, "weight", "1", "1", "1", "1", "0", "1", "1", "1", "1", "1"));
            assertEquals(1, rss.exitCode());
            assertEquals("netbypass: nic rss " + net.ifB + ": " + net.ifB + " has no RSS indirection table (ioctl(SIOCETHTOOL"
                    + " ETHTOOL_GRXFH, " + net.ifB + "): EOPNOTSUPP (Operation not supported))", rss.stderr().strip());
            var ntuple = net.exec(net.nsB, 60, java("nic", "ntuple", net.ifB, "add", "flow-type", "udp4", "dst-port", "53", "action", "4"));
            assertEquals(1, ntuple.exitCode());
            assertTrue(ntuple.stderr().strip().startsWith("netbypass: nic ntuple " + net.ifB + ": " + net.ifB + " has no ntuple filters"),
                    ntuple.stderr());
            assertTrue(ntuple.stderr().strip().endsWith("steer flows in XDP instead (--steer)"), ntuple.stderr());
            var show = net.exec(net.nsB, 60, java("nic", "show", net.ifB));
            assertEquals(0, show.exitCode(), show.stderr());
            assertTrue(show.stdout().startsWith(net.ifB + ": driver veth\nchannels: rx 4 tx 4 other 0 combined 0"), show.stdout());
            assertTrue(show.stdout().contains("rx-gro off"), "the change made above: " + show.stdout());
            assertTrue(show.stdout().contains("RSS indirection table: none (") && show.stdout().contains("ntuple rules: none ("),
                    show.stdout());
            assertTrue(show.stdout().contains("  rx-3: rps_cpus 0") && show.stdout().contains("  tx-3: xps_cpus 0"), show.stdout());
            // An operator's nic changes are journaled and kept: restore undoes them.
            Path journals = dir.resolve("nic-journal");
            assertEquals(0, net.exec(net.nsB, 60, withJournal(journals, "nic", "features", net.ifB, "gro", "on")).exitCode());
            assertEquals(0, net.exec(net.nsB, 60, withJournal(journals, "nic", "channels", net.ifB, "rx", "2")).exitCode());
            String k = net.exec(net.nsB, 10, "ethtool", "-k", net.ifB).orFail("ethtool -k").stdout();
            assertTrue(k.contains("generic-receive-offload: on"), k);
            assertTrue(net.exec(net.nsB, 10, "ethtool", "-l", net.ifB).stdout().contains("Current hardware settings:\nRX:\t\t2"));
            var restore = net.exec(net.nsB, 60, withJournal(journals, "restore", "--force", net.ifB));
            assertEquals(0, restore.exitCode(), restore.stdout() + restore.stderr());
            k = net.exec(net.nsB, 10, "ethtool", "-k", net.ifB).orFail("ethtool -k").stdout();
            assertTrue(k.contains("generic-receive-offload: off"), "restore turned GRO back off: " + k);
            assertTrue(net.exec(net.nsB, 10, "ethtool", "-l", net.ifB).stdout().contains("Current hardware settings:\nRX:\t\t4"),
                    "and the channels back to 4");
        }
    }

    /** A value as tune writes it or sysfs shows it: bitmaps as sets (sysfs pads them), counts as numbers. */
    private static Object value(String path, String text) {
        return path.endsWith("_cpus") || path.endsWith("_rxqs") ? io.netbypass.scaling.steering.CpuMask.parse(text)
                : Long.valueOf(text.strip());
    }

    /** The files tune --dry-run names, read now. */
    private static java.util.Map<String, Object> read(TestNetwork net, java.util.List<String[]> plan) throws Exception {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        for (String[] w : plan) {
            m.put(w[1], value(w[1], net.exec(net.nsB, 10, "cat", w[1]).orFail("cat " + w[1]).stdout().strip()));
        }
        return m;
    }

    @Test
    void tuneAppliesWhatItsDryRunPrintsAndTheJournalPutsItBackAfterExitAndAfterKillDashNine() throws Exception {
        try (TestNetwork net = TestNetwork.create(4)) {
            Path journals = dir.resolve("journal");
            var dry = net.exec(net.nsB, 60, withJournal(journals, "tune", net.ifB, "--dry-run", "--xps-rxqs"));
            assertEquals(0, dry.exitCode(), dry.stderr());
            java.util.List<String[]> plan = new java.util.ArrayList<>();
            Matcher m = Pattern.compile("(?m)^echo (\\S+) > (\\S+)$").matcher(dry.stdout());
            while (m.find()) {
                plan.add(new String[] {m.group(1), m.group(2)});
            }
            assertEquals(4 + 4 + 4 + 4, plan.size(), "rps_cpus and rps_flow_cnt per RX queue, xps_cpus and xps_rxqs per TX queue:\n"
                    + dry.stdout());
            var before = read(net, plan);
            var expected = new java.util.LinkedHashMap<String, Object>();
            for (String[] w : plan) {
                expected.put(w[1], value(w[1], w[0]));
            }
            assertNotEquals(before, expected, "the plan changes something");

            // A normal end: applied while it runs, put back when it exits.
            Process p = net.start(net.nsB, withJournal(journals, "tune", net.ifB, "--xps-rxqs", "--seconds", "60"));
            try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream()))) {
                String line;
                while ((line = in.readLine()) != null && !line.startsWith("[+]")) {
                    // the plan, then the line saying it is applied
                }
                assertNotNull(line);
                assertEquals(expected, read(net, plan), "tune applied exactly what --dry-run printed");
                p.destroy(); // SIGTERM: a normal exit
                assertTrue(p.waitFor(20, TimeUnit.SECONDS));
            }
            assertEquals(before, read(net, plan), "after a normal exit every value is back");

            // kill -9: the settings stay and the journal with them; restore puts them back.
            Process q = net.start(net.nsB, withJournal(journals, "tune", net.ifB, "--xps-rxqs", "--seconds", "60"));
            try (BufferedReader in = new BufferedReader(new InputStreamReader(q.getInputStream()))) {
                String line;
                while ((line = in.readLine()) != null && !line.startsWith("[+]")) {
                    // wait until applied
                }
                q.destroyForcibly();
                assertTrue(q.waitFor(20, TimeUnit.SECONDS));
            }
            assertEquals(expected, read(net, plan), "killed: the settings stayed");
            try (var files = Files.list(journals)) {
                assertEquals(1, files.count(), "and its journal");
            }
            var restore = net.exec(net.nsB, 60, withJournal(journals, "restore", net.ifB));
            assertEquals(0, restore.exitCode(), restore.stdout() + restore.stderr());
            assertEquals(before, read(net, plan), "restore put every value back");
            try (var files = Files.list(journals)) {
                assertEquals(0, files.count(), "and removed the journal");
            }
            var again = net.exec(net.nsB, 60, withJournal(journals, "restore"));
            assertTrue(again.stdout().contains("nothing to restore"), again.stdout());
        }
    }

    private static String gro(TestNetwork net) throws Exception {
        Matcher m = Pattern.compile("generic-receive-offload: (on|off)")
                .matcher(net.exec(net.nsB, 10, "ethtool", "-k", net.ifB).orFail("ethtool -k").stdout());
        assertTrue(m.find());
        return m.group(1);
    }

    @Test
    void theSeedsSessionIsOneCommandOnVethWithTheXdpFallbackAndEverythingPutBack() throws Exception {
        try (TestNetwork net = TestNetwork.create(4)) {
            net.staticNeighbours();
            net.exec(net.nsB, 10, "ethtool", "-K", net.ifB, "gro", "on").orFail("gro on");
            Path journals = dir.resolve("journal");
            Path rules = dir.resolve("f.rules");
            Files.writeString(rules, "drop udp dst port 53 name flood\ndefault pass\n");
            String[] session = withJournal(journals, "offload", net.ifB, "2", "--steer", "udp4 dst-port 53", "--rules",
                    rules.toString(), "--duration", "120");
            Process p = net.start(net.nsB, session);
            StringBuilder out = new StringBuilder();
            CountDownLatch ready = new CountDownLatch(1);
            Thread reader = reader(p, out, ready);
            try {
                assertTrue(ready.await(20, TimeUnit.SECONDS), out.toString());
                assertEquals("off", gro(net), "GRO is off while the session runs");
                var flood = net.exec(net.nsA, 60, java(gen(net, -1, 53, 2_000))); // on every queue
                assertEquals(0, flood.exitCode(), flood.stderr());
                assertTrue(stopAfterSenders(p));
                reader.join(5000);
            } finally {
                p.destroyForcibly();
            }
            String text = out.toString();
            assertTrue(text.contains("[+] plan for " + net.ifB + " queue 2"), text);
            assertTrue(text.contains("    rx-gro off (ethtool -K " + net.ifB + " gro off)"), text);
            assertTrue(text.contains("[!] " + net.ifB + " has no ntuple filters to bring the flows to queue 2: packets matching the"
                    + " --steer rules are taken in XDP on every RX queue (0-3), one AF_XDP socket each, by one worker; every other"
                    + " packet on every queue stays with the kernel"), text);
            assertTrue(text.contains("    filter xdp:" + net.ifB + "/R: the --steer flows on every RX queue, selected in XDP"), text);
            assertTrue(text.contains("AF_XDP on " + net.ifB + " queues 0,1,2,3 (copy mode, multi-buffer, XDP native, flow mode with 1 rule)"),
                    text);
            assertEquals(2_000, number(text, "summary: .* dropped (\\d+), passed"), "the flood on all four queues:\n" + text);
            assertTrue(text.contains("[+] settings put back"), text);
            assertEquals("on", gro(net), "GRO is back on after the session");

            // Killed: the journal keeps what it changed until restore.
            Process q = net.start(net.nsB, withJournal(journals, "offload", net.ifB, "2", "--steer", "udp4 dst-port 53",
                    "--duration", "60"));
            StringBuilder out2 = new StringBuilder();
            CountDownLatch ready2 = new CountDownLatch(1);
            reader(q, out2, ready2);
            assertTrue(ready2.await(20, TimeUnit.SECONDS), out2.toString());
            q.destroyForcibly();
            assertTrue(q.waitFor(20, TimeUnit.SECONDS));
            assertEquals("off", gro(net), "killed: GRO stays off");
            var restore = net.exec(net.nsB, 60, withJournal(journals, "restore", net.ifB));
            assertEquals(0, restore.exitCode(), restore.stdout() + restore.stderr());
            assertEquals("on", gro(net), "restore turned it back on");
        }
    }
}
