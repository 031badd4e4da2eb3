package io.netbypass.cli;

import io.netbypass.testing.Commands;
import io.netbypass.testing.Privileged;
import io.netbypass.testing.TestNetwork;

import java.io.ByteArrayOutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static io.netbypass.cli.Cli.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The seed's session on a real kernel, as a user runs it: a 4-queue veth pair between two
 * namespaces with the default offloads, a real DNS server (dnsmasq) and a TCP server on the
 * receiving side, a flood over all four queues; and the promises around it: settings put back
 * on every signal, restore across several runs, a dry run that changes nothing, names that
 * cannot mislead, XDP drops and the kernel's losses counted.
 */
@Privileged
class SessionPrivilegedTest {
    @TempDir
    Path dir;

    /** A DNS query for {@code name}, type A, recursion desired, as dig sends it (without EDNS). */
    static byte[] query(int id, String name) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(new byte[] {(byte) (id >> 8), (byte) id, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0});
        for (String label : name.split("\\.")) {
            b.write(label.length());
            b.writeBytes(label.getBytes(StandardCharsets.US_ASCII));
        }
        b.writeBytes(new byte[] {0, 0, 1, 0, 1});
        return b.toByteArray();
    }

    /** Whether {@code reply} answers query {@code id} with NOERROR and at least one answer. */
    static boolean answers(byte[] reply, int length, int id) {
        return length >= 12 && ((reply[0] & 0xff) << 8 | reply[1] & 0xff) == id && (reply[2] & 0x80) != 0
                && (reply[3] & 0x0f) == 0 && ((reply[6] & 0xff) << 8 | reply[7] & 0xff) > 0;
    }

    /** dnsmasq in B answering *.example.com with 198.18.255.99, nothing else, as root, in the foreground. */
    static Process dnsmasq(TestNetwork net, Path dir) throws Exception {
        Commands.assumeInstalled("dnsmasq", "dnsmasq-base");
        Process d = net.start(net.nsB, Commands.which("dnsmasq"), "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv",
                "--no-hosts", "--listen-address=" + net.addressB, "--bind-interfaces", "--port=53", "--user=root",
                "--address=/example.com/198.18.255.99", "--pid-file=" + dir.resolve("dnsmasq.pid"), "--log-facility=-");
        long end = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < end) {
            if (net.exec(net.nsB, 10, "ss", "-uln").stdout().contains(net.addressB + ":53")) {
                return d;
            }
            if (!d.isAlive()) {
                fail("dnsmasq ended: " + new String(d.getInputStream().readAllBytes()));
            }
            Thread.sleep(100);
        }
        d.destroy();
        fail("dnsmasq did not listen on " + net.addressB + ":53");
        return null;
    }

    private static String snmp(TestNetwork net) throws Exception {
        return net.exec(net.nsB, 10, "cat", "/proc/net/snmp").orFail("snmp").stdout();
    }

    /** Everything a session may change on B: features, channels, XDP, the host path's TAP. */
    private static String settings(TestNetwork net) throws Exception {
        return net.exec(net.nsB, 10, "ethtool", "-k", net.ifB).orFail("ethtool -k").stdout()
                + net.exec(net.nsB, 10, "ethtool", "-l", net.ifB).orFail("ethtool -l").stdout()
                + net.exec(net.nsB, 10, "ip", "-d", "link", "show").orFail("ip link").stdout()
                        .replace("NO-CARRIER,", "").replaceAll("state \\S+ ", ""); // the carrier comes when it comes
    }

    @ParameterizedTest(name = "sender TX checksum offload {0}")
    @ValueSource(strings = {"on", "off"})
    void theSessionAnswersEveryValidQueryUnderAFloodOnEveryQueueAndPutsEverythingBack(String txChecksumming) throws Exception {
        try (TestNetwork net = TestNetwork.create(4)) {
            net.staticNeighbours();
            if (txChecksumming.equals("off")) {
                net.exec(net.nsA, 10, "ethtool", "-K", net.ifA, "tx", "off").orFail("ethtool -K tx off"); // as from a wire
            }
            Process dns = dnsmasq(net, dir);
            var inA = in(net.nsA);
            var inB = in(net.nsB);
            java.net.ServerSocket tcp = inB.submit(() -> new java.net.ServerSocket(0, 1, InetAddress.getByName(net.addressB))).get();
            Path journals = dir.resolve("journal");
            String before = settings(net);
            String snmpBefore = snmp(net);
            Process session = net.start(net.nsB, withJournal(journals, "offload", net.ifB, "2", "--steer", "udp4 dst-port 53",
                    "--rules", Path.of("../examples/dns-flood.rules").toAbsolutePath().normalize().toString(), "--duration", "120"));
            StringBuilder out = new StringBuilder();
            CountDownLatch ready = new CountDownLatch(1);
            Thread reader = reader(session, out, ready);
            Process flood = null;
            try {
                assertTrue(ready.await(30, TimeUnit.SECONDS), "the session opened its port: " + text(out));
                // The flood: random sources, random payloads (no DNS), to port 53, over all four queues, while the
                // queries and the TCP transfer run.
                flood = net.start(net.nsA, java("gen", "xdp:" + net.ifA, "-z", "-s", "198.19.0.1:1024-198.19.255.254:65000",
                        "-d", net.addressB + ":53", "-S", TestNetwork.mac(net.nsA, net.ifA), "-D", TestNetwork.mac(net.nsB, net.ifB),
                        "-R", "150000", "-l", "100", "--seconds", "60"));
                // The queries start once the flood is being dropped: a JVM starting on a busy machine takes a while.
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (!Pattern.compile("pps: dropped [1-9]").matcher(text(out)).find() && System.nanoTime() < until) {
                    Thread.sleep(100);
                }
                TcpTransfer transfer = new TcpTransfer(tcp, inA, net.addressB, 4 << 20, 7);
                // 250 queries, one at a time, each from its own socket (so they spread over A's TX queues as a
                // resolver's do), each given 2 s for its answer: no retries.
                int queries = 250;
                int answered = inA.submit(() -> {
                    int ok = 0;
                    byte[] reply = new byte[512];
                    for (int i = 0; i < queries; i++) {
                        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(net.addressA), 0))) {
                            s.setSoTimeout(2000);
                            byte[] q = query(i, "q" + i + ".example.com");
                            s.send(new DatagramPacket(q, q.length, InetAddress.getByName(net.addressB), 53));
                            DatagramPacket d = new DatagramPacket(reply, reply.length);
                            s.receive(d);
                            if (answers(reply, d.getLength(), i)) {
                                ok++;
                            }
                        } catch (java.net.SocketTimeoutException e) {
                            // unanswered
                        }
                    }
                    return ok;
                }).get(120, TimeUnit.SECONDS);
                assertEquals(transfer.sent(), transfer.received(60), "the TCP transfer's bytes are exact");
                Thread.sleep(1000);
                assertTrue(flood.isAlive(), "the flood ran through all the queries");
                String snmpDuring = snmp(net);
                session.toHandle().destroy(); // SIGTERM (Process.destroy would also close our end of its output)
                assertTrue(session.waitFor(30, TimeUnit.SECONDS), "the session ended on SIGTERM: " + text(out));
                reader.join(5000);
                String t = text(out);
                assertEquals(0, session.exitValue(), t);
                assertEquals(queries, answered, "every valid query answered under the flood:\n" + t);
                assertEquals(0, Cli.snmp(snmpDuring, "Udp:", "InCsumErrors") - Cli.snmp(snmpBefore, "Udp:", "InCsumErrors"),
                        "no UDP checksum errors in the kernel:\n" + snmpDuring);
                assertEquals(0, Cli.snmp(snmpDuring, "Tcp:", "InCsumErrors") - Cli.snmp(snmpBefore, "Tcp:", "InCsumErrors"),
                        "no TCP checksum errors:\n" + snmpDuring);
                assertEquals(0, Cli.snmp(snmpDuring, "Udp:", "RcvbufErrors") - Cli.snmp(snmpBefore, "Udp:", "RcvbufErrors"),
                        "no datagram dropped by a socket buffer: the flood never reached dnsmasq");
                long delivered = Cli.snmp(snmpDuring, "Udp:", "InDatagrams") - Cli.snmp(snmpBefore, "Udp:", "InDatagrams");
                assertEquals(queries, delivered, "the kernel's UDP got the queries and nothing of the flood");
                // netbypass dropped the flood, on every queue, and says what it did and lost.
                assertTrue(t.contains("AF_XDP on " + net.ifB + " queues 0,1,2,3"), t);
                long flooded = number(t, "dns-flood +(\\d+) ");
                assertTrue(flooded > 1000, "the flood was dropped by the filter: " + flooded + "\n" + t);
                assertEquals(queries, number(t, "valid-queries +(\\d+) "), t);
                Matcher lost = Pattern.compile("lost (\\d+) in the kernel before our rings").matcher(t);
                assertTrue(lost.find(), t);
                long completed = number(t, "host: \\d+ to the kernel \\(checksums completed (\\d+), bad 0\\)");
                // Queries leave A with partial checksums (default offloads); veth completes one now and then itself
                // (a busy machine saw 249 of 250 arrive complete), so: some, never more than the queries; none with TX
                // checksumming off; and the kernel's checksum errors (above) stay 0 either way.
                if (txChecksumming.equals("on")) {
                    assertTrue(completed > 0 && completed <= queries, "partial checksums completed, and only those:\n" + t);
                } else {
                    assertEquals(0, completed, "no partial checksums to complete:\n" + t);
                }
                assertTrue(t.contains("[+] settings put back (SIGTERM)"), t);
            } finally {
                session.destroyForcibly();
                if (flood != null) {
                    flood.destroyForcibly();
                    flood.waitFor(10, TimeUnit.SECONDS);
                }
                dns.destroy();
                dns.waitFor(10, TimeUnit.SECONDS);
                tcp.close();
                inA.shutdownNow();
                inB.shutdownNow();
            }
            assertEquals(before, settings(net), "every setting as before: features, channels, no XDP program, no TAP");
            try (var files = Files.list(journals)) {
                assertEquals(0, files.count(), "no journal left");
            }
        }
    }

    private static String feature(TestNetwork net, String name) throws Exception {
        Matcher m = Pattern.compile(Pattern.quote(name) + ": (on|off)")
                .matcher(net.exec(net.nsB, 10, "ethtool", "-k", net.ifB).orFail("ethtool -k").stdout());
        assertTrue(m.find(), name);
        return m.group(1);
    }

    private static String rxChannels(TestNetwork net) throws Exception {
        return number(net.exec(net.nsB, 10, "ethtool", "-l", net.ifB).orFail("ethtool -l").stdout(),
                "Current hardware settings:\\s+RX:\\s+(\\d+)") + "";
    }

    @Test
    void restoreUndoesTheJournalsOfSeveralRunsNewestChangeFirst() throws Exception {
        try (TestNetwork net = TestNetwork.create(4)) {
            Path journals = dir.resolve("journal");
            assertEquals("off", feature(net, "generic-receive-offload"));
            assertEquals("4", rxChannels(net));
            // Three runs, three journals: gro on, channels rx 2, gro off and rx 1.
            for (String[] change : new String[][] {{"features", net.ifB, "gro", "on"}, {"channels", net.ifB, "rx", "2"},
                    {"features", net.ifB, "gro", "off"}, {"channels", net.ifB, "rx", "1"}}) {
                String[] args = new String[change.length + 1];
                args[0] = "nic";
                System.arraycopy(change, 0, args, 1, change.length);
                var r = net.exec(net.nsB, 60, withJournal(journals, args));
                assertEquals(0, r.exitCode(), r.stdout() + r.stderr());
                Thread.sleep(20);
            }
            try (var files = Files.list(journals)) {
                assertEquals(4, files.count(), "a journal per run");
            }
            assertEquals("off", feature(net, "generic-receive-offload"));
            assertEquals("1", rxChannels(net));
            var restore = net.exec(net.nsB, 60, withJournal(journals, "restore", net.ifB));
            assertEquals(0, restore.exitCode(), restore.stdout() + restore.stderr());
            assertEquals("off", feature(net, "generic-receive-offload"), "GRO as before the first change");
            assertEquals("4", rxChannels(net), "4 RX channels as before the first change");
            try (var files = Files.list(journals)) {
                assertEquals(0, files.count(), "every journal undone and removed:\n" + restore.stdout());
            }
        }
    }

    @Test
    void xdpDropLoadsOnEveryQueueAndCountsAndABusyInterfaceNamesWhoHoldsIt() throws Exception {
        try (TestNetwork net = TestNetwork.create(4)) {
            net.staticNeighbours();
            Process drop = net.start(net.nsB, java("xdp-drop", net.ifB, "--seconds", "120"));
            StringBuilder out = new StringBuilder();
            CountDownLatch ready = new CountDownLatch(1);
            Thread reader = reader(drop, out, ready, "[+] XDP_DROP");
            try {
                assertTrue(ready.await(30, TimeUnit.SECONDS), text(out));
                assertTrue(text(out).contains("[+] XDP_DROP on " + net.ifB + " every queue (XDP native)"), text(out));
                // Another program on the interface now: refused, naming the program, this netbypass's PID and the remedy.
                var busy = net.exec(net.nsB, 60, java("rx", "xdp:" + net.ifB + "-1/R", "--seconds", "1"));
                assertEquals(1, busy.exitCode());
                assertTrue(busy.stderr().contains("another XDP program is attached to " + net.ifB), busy.stderr());
                assertTrue(busy.stderr().contains("XDP program nb_drop (id "), busy.stderr());
                assertTrue(busy.stderr().contains("held by netbypass PID " + drop.pid() + ": stop that run (kill " + drop.pid() + ")"),
                        busy.stderr());
                var sent = net.exec(net.nsA, 60, java(gen(net, -1, 9, 4_000)));
                assertEquals(0, sent.exitCode(), sent.stderr());
                assertTrue(stopAfterSenders(drop));
                reader.join(5000);
            } finally {
                drop.destroyForcibly();
            }
            assertEquals(4_000, number(text(out), "Dropped (\\d+) packets in the driver"), "all four queues' frames:\n" + text(out));

            // A second netbypass on a queue a first one holds meets its AF_XDP socket first: named the same way.
            Process first = net.start(net.nsB, java("rx", "xdp:" + net.ifB + "-1/R", "--seconds", "20"));
            StringBuilder firstOut = new StringBuilder();
            CountDownLatch open = new CountDownLatch(1);
            reader(first, firstOut, open);
            try {
                assertTrue(open.await(30, TimeUnit.SECONDS), text(firstOut));
                var second = net.exec(net.nsB, 60, java("rx", "xdp:" + net.ifB + "-1/R", "--seconds", "1"));
                assertEquals(1, second.exitCode());
                assertTrue(second.stderr().contains("the queue is taken by another AF_XDP socket"), second.stderr());
                assertTrue(second.stderr().contains("XDP program nb_queues (id "), second.stderr());
                assertTrue(second.stderr().contains("held by netbypass PID " + first.pid() + ": stop that run (kill " + first.pid() + ")"),
                        second.stderr());
            } finally {
                first.toHandle().destroy();
                first.waitFor(20, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void aBareNameIsAnInterfaceOrAnErrorNeverTheSoftwareNic() throws Exception {
        try (TestNetwork net = TestNetwork.create(2)) {
            var missing = net.exec(net.nsB, 60, java("rx", "nbnosuch0", "--seconds", "1"));
            assertEquals(1, missing.exitCode());
            assertEquals("netbypass: no such network interface: nbnosuch0 (a port name starts with its backend: xdp:IF, afpacket:IF,"
                    + " tap:NAME, vnic:NAME (the in-process software NIC), pcap:FILE)", missing.stderr().strip());
            var offload = net.exec(net.nsB, 60, java("offload", "nbnosuch0", "--rules", "../examples/dns-flood.rules"));
            assertEquals(1, offload.exitCode());
            assertTrue(offload.stderr().startsWith("netbypass: no such network interface: nbnosuch0"), offload.stderr());
            var session = net.exec(net.nsB, 60, java("offload", "nbnosuch0", "2", "--steer", "udp4 dst-port 53"));
            assertEquals(1, session.exitCode());
            assertTrue(session.stderr().startsWith("netbypass: no such network interface: nbnosuch0"), session.stderr());
            var drop = net.exec(net.nsB, 60, java("xdp-drop", "nbnosuch0", "--seconds", "1"));
            assertEquals("netbypass: xdp-drop nbnosuch0: no such network interface: nbnosuch0", drop.stderr().strip());
            var bare = net.exec(net.nsB, 60, java("rx", net.ifB + "-1/R", "--seconds", "1"));
            assertEquals(0, bare.exitCode(), bare.stderr());
            assertTrue(bare.stdout().startsWith("[+] " + net.ifB + " is a network interface here: taking it as xdp:" + net.ifB + "-1/R"
                    + " (vnic:" + net.ifB + " would be the in-process software NIC)\n[+] xdp:" + net.ifB + "-1/R: AF_XDP on " + net.ifB
                    + " queue 1"), bare.stdout());
        }
    }

    @Test
    void aDryRunPrintsThePlanAndChangesNothing() throws Exception {
        try (TestNetwork net = TestNetwork.create(4)) {
            net.exec(net.nsB, 10, "ethtool", "-K", net.ifB, "gro", "on").orFail("gro on"); // a setting the plan changes
            Path journals = dir.resolve("journal");
            String before = settings(net);
            var dry = net.exec(net.nsB, 60, withJournal(journals, "offload", net.ifB, "2", "--steer", "udp4 dst-port 53",
                    "--rules", "../examples/dns-flood.rules", "--dry-run"));
            assertEquals(0, dry.exitCode(), dry.stderr());
            assertTrue(dry.stdout().contains("[+] plan for " + net.ifB + " queue 2"), dry.stdout());
            assertTrue(dry.stdout().contains("    rx-gro off (ethtool -K " + net.ifB + " gro off)"), dry.stdout());
            assertTrue(dry.stdout().contains("    filter xdp:" + net.ifB + "/R: the --steer flows on every RX queue"), dry.stdout());
            assertTrue(dry.stdout().strip().endsWith("[+] --dry-run: nothing changed"), dry.stdout());
            assertEquals(before, settings(net), "GRO still on, no XDP program, no TAP");
            assertFalse(Files.exists(journals) && Files.list(journals).findAny().isPresent(), "no journal");
        }
    }

    /** A script that starts {@code command} in the background (SIGINT ignored there), then sends it {@code signal}. */
    private static Commands.Result backgroundThenSignal(TestNetwork net, Path journals, String signal, String readyLine,
                                                        String... command) throws Exception {
        Path log = Files.createTempFile("nb-signal", ".log");
        StringBuilder line = new StringBuilder();
        for (String w : withJournal(journals, command)) {
            line.append('\'').append(w.replace("'", "'\\''")).append("' ");
        }
        String script = line + "> " + log + " 2>&1 &\n"
                + "p=$!\n"
                + "for i in $(seq 300); do grep -q '" + readyLine + "' " + log + " && break; sleep 0.1; done\n"
                + "sleep 0.5\n"
                + "ethtool -k " + net.ifB + " | grep generic-receive-offload\n"
                + "kill -" + signal + " $p\n"
                + "wait $p; echo \"exit $?\"\n"
                + "ethtool -k " + net.ifB + " | grep generic-receive-offload\n"
                + "cat " + log + "\n";
        try {
            return net.exec(net.nsB, 90, "bash", "-c", script);
        } finally {
            Files.deleteIfExists(log);
        }
    }

    @Test
    void sigintSigtermAndSighupFromABackgroundScriptLeaveNoInterfaceChanged() throws Exception {
        try (TestNetwork net = TestNetwork.create(4)) {
            net.exec(net.nsB, 10, "ethtool", "-K", net.ifB, "gro", "on").orFail("gro on");
            Path journals = dir.resolve("journal");
            for (String signal : new String[] {"INT", "TERM"}) {
                var r = backgroundThenSignal(net, journals, signal, "counters:", "offload", net.ifB, "2", "--steer", "udp4 dst-port 53",
                        "--duration", "60");
                assertTrue(r.stdout().startsWith("generic-receive-offload: off\nexit 0\ngeneric-receive-offload: on\n"),
                        "SIG" + signal + ": GRO off while it ran, on again after:\n" + r.stdout() + r.stderr());
                assertTrue(r.stdout().contains("[+] settings put back (SIG" + signal + ")"), r.stdout());
            }
            // SIGHUP reloads a running filter's rules (and leaves the session running); tune, which holds settings
            // and has nothing to reload, puts them back on it as on the others.
            var hup = backgroundThenSignal(net, journals, "HUP", "settings changed", "tune", net.ifB, "--seconds", "60");
            assertTrue(hup.stdout().contains("exit 0"), hup.stdout() + hup.stderr());
            assertTrue(hup.stdout().contains("settings put back (SIGHUP)"), hup.stdout());
            var restore = net.exec(net.nsB, 60, withJournal(journals, "restore"));
            assertTrue(restore.stdout().contains("nothing to restore"), "nothing left behind: " + restore.stdout());
        }
    }

    @Test
    void dropsOfASteeringRuleInXdpAreInThePerSecondLineAndTheSummary() throws Exception {
        try (TestNetwork net = TestNetwork.create(4)) {
            net.staticNeighbours();
            Process p = net.start(net.nsB, java("offload", "xdp:" + net.ifB + "/R", "--steer", "udp4 dst-port 53 action -1",
                    "--steer", "udp4 dst-port 9", "--duration", "120"));
            StringBuilder out = new StringBuilder();
            CountDownLatch ready = new CountDownLatch(1);
            Thread reader = reader(p, out, ready);
            try {
                assertTrue(ready.await(30, TimeUnit.SECONDS), text(out));
                assertEquals(0, net.exec(net.nsA, 60, java(gen(net, -1, 53, 3_000))).exitCode());
                assertEquals(0, net.exec(net.nsA, 60, java(gen(net, 1, 9, 500))).exitCode());
                assertTrue(stopAfterSenders(p));
                reader.join(5000);
            } finally {
                p.destroyForcibly();
            }
            String t = text(out);
            assertTrue(Pattern.compile("(?m)^    xdp: dropped [1-9]\\d* pps by --steer rules").matcher(t).find(),
                    "the per-second line shows the drops in XDP:\n" + t);
            assertTrue(t.contains("    xdp: dropped 3000 by --steer rules (rule 1 'flow-type udp4 dst-port 53 action -1': 3000); lost 0"),
                    "and the summary, per rule:\n" + t);
            assertEquals(500, number(t, "summary: \\S+: (\\d+) packets"), "the filter got the other rule's frames:\n" + t);
        }
    }

    @Test
    void everyFrameSentIsEitherFilteredOrCountedAsLostByTheKernelInTheSummary() throws Exception {
        try (TestNetwork net = TestNetwork.create(4)) {
            net.staticNeighbours();
            // 64 slots and a sender at full speed: the kernel is likely to find the fill ring empty now and then.
            // Every frame up to user space (no rules in the driver): the losses counted are the rings'.
            Process p = net.start(net.nsB, java("offload", "xdp:" + net.ifB + "-1/R@conf:rx-slots=64", "--duration", "120",
                    "--xdp-verdicts", "off"));
            StringBuilder out = new StringBuilder();
            CountDownLatch ready = new CountDownLatch(1);
            Thread reader = reader(p, out, ready);
            try {
                assertTrue(ready.await(30, TimeUnit.SECONDS), text(out));
                String[] burst = gen(net, 1, 9, 50_000);
                burst[burst.length - 1] = "0"; // -R 0: as fast as it goes
                assertEquals(0, net.exec(net.nsA, 60, java(burst)).exitCode());
                assertTrue(stopAfterSenders(p));
                reader.join(5000);
            } finally {
                p.destroyForcibly();
            }
            String t = text(out);
            long received = number(t, "summary: \\S+: (\\d+) packets");
            long lost = number(t, "lost (\\d+) in the kernel before our rings");
            assertEquals(50_000, received + lost, "received by the filter, or lost and counted:\n" + t);
            if (lost > 0) {
                assertTrue(Pattern.compile("(?m)^    xdp: dropped 0 pps by --steer rules; lost [1-9]\\d* pps in the kernel").matcher(t).find(),
                        "a per-second line shows the loss:\n" + t);
            }
        }
    }
}
