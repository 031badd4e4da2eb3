package io.netbypass.cli;

import io.netbypass.testing.Privileged;
import io.netbypass.testing.TestNetwork;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
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
 * {@code offload xdp:IF/R} with the rules of the seed's scenario on a veth pair with a real DNS
 * server behind it: by default the flood is dropped in the driver (the rules compiled into XDP;
 * the driver's own xdp_drops count it) while every valid query goes up to user space, is judged
 * by name and answered; with {@code --xdp-verdicts off} the same flood comes up and user space
 * drops it, with the same answers.
 */
@Privileged
class XdpVerdictsPrivilegedTest {
    private static final int FLOOD = 200_000;
    private static final int QUERIES = 100;

    @TempDir
    Path dir;

    @ParameterizedTest(name = "--xdp-verdicts {0}")
    @ValueSource(strings = {"on", "off"})
    void theFloodIsDroppedInTheDriverAndEveryQueryIsAnswered(String verdicts) throws Exception {
        try (TestNetwork net = TestNetwork.create(4)) {
            net.staticNeighbours();
            Process dns = SessionPrivilegedTest.dnsmasq(net, dir);
            String rules = Path.of("../examples/dns-flood.rules").toAbsolutePath().normalize().toString();
            Process offload = net.start(net.nsB, java("offload", "xdp:" + net.ifB + "/R", "--rules", rules, "--duration", "120",
                    "--xdp-verdicts", verdicts));
            StringBuilder out = new StringBuilder();
            CountDownLatch ready = new CountDownLatch(1);
            Thread reader = reader(offload, out, ready, "[+] counters:");
            Process flood = null;
            try {
                assertTrue(ready.await(30, TimeUnit.SECONDS), "offload started: " + text(out));
                if (verdicts.equals("on")) {
                    String t = text(out);
                    assertTrue(t.contains("[+] XDP on " + net.ifB + ": rule 1 (malformed) decided in the driver"), t);
                    assertTrue(t.contains("[+] XDP on " + net.ifB + ": rules 2-3 tested in the driver, judged in user space: dns"), t);
                    assertTrue(t.contains("[+] XDP on " + net.ifB + ": rule 4 (dns-flood) and the default (pass) decided in the driver"), t);
                } else {
                    assertFalse(text(out).contains("[+] XDP on"), text(out));
                }
                flood = net.start(net.nsA, java("gen", "xdp:" + net.ifA, "-z", "-s", "198.19.0.1:1024-198.19.255.254:65000",
                        "-d", net.addressB + ":53", "-S", TestNetwork.mac(net.nsA, net.ifA), "-D", TestNetwork.mac(net.nsB, net.ifB),
                        "-R", "50000", "-l", "100", "-n", Integer.toString(FLOOD)));
                var inA = in(net.nsA);
                int answered = inA.submit(() -> {
                    int ok = 0;
                    byte[] reply = new byte[512];
                    for (int i = 0; i < QUERIES; i++) {
                        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(net.addressA), 0))) {
                            s.setSoTimeout(2000);
                            byte[] q = SessionPrivilegedTest.query(i, "q" + i + ".example.com");
                            s.send(new DatagramPacket(q, q.length, InetAddress.getByName(net.addressB), 53));
                            DatagramPacket d = new DatagramPacket(reply, reply.length);
                            s.receive(d);
                            if (SessionPrivilegedTest.answers(reply, d.getLength(), i)) {
                                ok++;
                            }
                        } catch (java.net.SocketTimeoutException e) {
                            // unanswered
                        }
                    }
                    return ok;
                }).get(120, TimeUnit.SECONDS);
                inA.shutdown();
                assertTrue(flood.waitFor(60, TimeUnit.SECONDS), "the flood ended");
                assertEquals(0, flood.exitValue());
                String drops = net.exec(net.nsB, 10, "ethtool", "-S", net.ifB).orFail("ethtool -S").stdout();
                assertTrue(stopAfterSenders(offload), "offload ended on SIGTERM: " + text(out));
                reader.join(5000);
                String t = text(out);
                assertEquals(0, offload.exitValue(), t);
                assertEquals(QUERIES, answered, "every valid query answered under the flood:\n" + t);
                assertEquals(QUERIES, number(t, "(?m)^    valid-queries +(\\d+) "), t);
                long driverDrops = 0;
                Matcher m = Pattern.compile("rx_queue_\\d+_xdp_drops: (\\d+)").matcher(drops);
                while (m.find()) {
                    driverDrops += Long.parseLong(m.group(1));
                }
                if (verdicts.equals("on")) {
                    assertEquals(FLOOD, number(t, "decided \\d+ packets: dropped (\\d+),"), "the whole flood, in XDP:\n" + t);
                    assertEquals(FLOOD, number(t, "(?m)^    dns-flood +(\\d+) +\\d+  drop \\(in the driver\\)"), t);
                    assertEquals(0, number(t, "(?m)^    dns-flood +(\\d+) +\\d+ +- +drop$"), "none of it in user space:\n" + t);
                    assertTrue(driverDrops >= FLOOD, "the driver counted the drops (xdp_drops " + driverDrops + ")\n" + drops);
                    assertTrue(Pattern.compile("(?m)^    driver [1-9]\\d* pps: dropped [1-9]").matcher(t).find(),
                            "the per-second line shows the driver's verdicts:\n" + t);
                } else {
                    assertEquals(FLOOD, number(t, "(?m)^    dns-flood +(\\d+) +\\d+ +- +drop$"), "the whole flood, in user space:\n" + t);
                    assertFalse(t.contains("decided in XDP"), t);
                }
            } finally {
                offload.destroyForcibly();
                if (flood != null) {
                    flood.destroyForcibly();
                }
                dns.destroyForcibly();
            }
        }
    }

    /** A running offload: its process and what it printed so far. */
    private record Started(Process process, StringBuilder out, Thread reader) {
        /** Stops it once the senders are done (SIGTERM) and returns its whole output; it must have ended with 0. */
        String finish() throws Exception {
            assertTrue(stopAfterSenders(process), "offload ended on SIGTERM: " + text(out));
            reader.join(5000);
            String t = text(out);
            assertEquals(0, process.exitValue(), t);
            return t;
        }
    }

    /** {@code offload xdp:IF/R --rules RULES} in B, once its plan is printed and its queues are open. */
    private static Started offload(TestNetwork net, Path rules) throws Exception {
        Process p = net.start(net.nsB, java("offload", "xdp:" + net.ifB + "/R", "--rules", rules.toString(), "--duration", "120"));
        StringBuilder out = new StringBuilder();
        CountDownLatch ready = new CountDownLatch(1);
        Thread reader = reader(p, out, ready, "[+] counters:");
        if (!ready.await(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("offload started: " + text(out));
        }
        return new Started(p, out, reader);
    }

    /**
     * A source over its rate under {@code ratelimit ... per src block 3s}: blocked within a refresh,
     * its packets then dropped in the driver (counted as blocked there), listed by {@code netbypass
     * blocklist}; after 3 s it is gone from the list and its packets within the rate pass again. An
     * address blocked by hand is listed and unblocked by hand.
     */
    @Test
    void aSourceOverItsRateIsBlockedInTheDriverAndThenExpires() throws Exception {
        try (TestNetwork net = TestNetwork.create(4)) {
            net.staticNeighbours();
            Path rules = dir.resolve("block.rules");
            Files.writeString(rules, "ratelimit 100/s burst 10 per src block 3s udp dst port 9 name noisy\n"
                    + "default pass\n");
            Started started = offload(net, rules);
            Process offload = started.process();
            StringBuilder out = started.out();
            String pid = Long.toString(offload.pid());
            try {
                assertTrue(text(out).contains("[+] XDP on " + net.ifB + ": blocked sources (netbypass blocklist) dropped before the rules"),
                        text(out));
                // 6,000 frames at 3,000/s from one source: over its 100/s from the 11th frame on.
                String[] over = gen(net, 2, 9, 6_000);
                over[Arrays.asList(over).indexOf("-R") + 1] = "3000";
                Process sender = net.start(net.nsA, java(over));
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                String listed = "";
                while (System.nanoTime() < until) {
                    listed = net.exec(net.nsB, 30, java("blocklist", pid, "list")).stdout();
                    if (listed.contains(net.addressA)) {
                        break;
                    }
                    Thread.sleep(100);
                }
                assertTrue(listed.startsWith("1 source blocked") && listed.contains(net.addressA), listed);
                assertTrue(sender.waitFor(60, TimeUnit.SECONDS));
                // The block ends 3 s after the last offer, and the source is forgotten at the next refresh.
                until = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
                while (System.nanoTime() < until && !listed.startsWith("0 sources blocked")) {
                    Thread.sleep(250);
                    listed = net.exec(net.nsB, 30, java("blocklist", pid, "list")).stdout();
                }
                assertTrue(listed.startsWith("0 sources blocked"), "the block expired: " + listed);
                // Within the rate again: every frame passes.
                String[] calm = gen(net, 2, 9, 50);
                calm[Arrays.asList(calm).indexOf("-R") + 1] = "50";
                assertEquals(0, net.exec(net.nsA, 60, java(calm)).exitCode());
                // By hand.
                var add = net.exec(net.nsB, 30, java("blocklist", pid, "add", "2001:db8::7", "1h"));
                assertEquals(0, add.exitCode(), add.stdout() + add.stderr());
                assertEquals("blocked 2001:db8::7 for 3600 s", add.stdout().strip());
                String one = net.exec(net.nsB, 30, java("blocklist", pid, "list")).stdout();
                assertTrue(one.startsWith("1 source blocked") && one.contains("2001:db8::7"), one);
                var del = net.exec(net.nsB, 30, java("blocklist", pid, "del", "2001:db8::7"));
                assertEquals("unblocked 2001:db8::7", del.stdout().strip(), del.stderr());
                var bad = net.exec(net.nsB, 30, java("blocklist", pid, "add", "example.com"));
                assertEquals(1, bad.exitCode());
                assertTrue(bad.stderr().contains("'example.com' is not an IPv4 or IPv6 address"), bad.stderr());

                String t = started.finish();
                long blocked = number(t, "\\((\\d+) from blocked sources\\)");
                long dropped = number(t, "decided \\d+ packets: dropped (\\d+)");
                long userRx = number(t, "\\[\\+\\] summary: \\S+: (\\d+) packets");
                long limited = number(t, "\\[\\+\\] summary: .* rate-limited (\\d+),");
                long userBlocked = t.contains(", blocked ") ? number(t, "summary: .*, blocked (\\d+)") : 0;
                assertTrue(blocked > 3_000, "most of the source's frames dropped in the driver once blocked: " + blocked + "\n" + t);
                assertEquals(blocked, dropped, "the driver dropped nothing else:\n" + t);
                assertEquals(6_050, userRx + blocked, "every frame decided once, in user space or in the driver:\n" + t);
                assertTrue(limited > 0 && limited < 1_000, "over the rate until the block took effect: " + limited + "\n" + t);
                long passed = number(t, "summary: .*: dropped \\d+, passed (\\d+),");
                assertEquals(userRx - limited - userBlocked, passed, "user space's account:\n" + t);
                assertTrue(passed >= 50, "the 50 frames within the rate after the block passed:\n" + t);
            } finally {
                offload.destroyForcibly();
            }
        }
    }

    /**
     * A reload under traffic swaps the rules in the driver in one step: every frame is decided
     * there once, by the old rules or the new (dropped, then passed), none lost or counted twice,
     * and the rule keeps its count over the reload (same name).
     */
    @Test
    void aReloadSwapsTheRulesInTheDriverWithNothingLostOrCountedTwice() throws Exception {
        try (TestNetwork net = TestNetwork.create(4)) {
            net.staticNeighbours();
            Path rules = dir.resolve("swap.rules");
            Files.writeString(rules, "drop udp dst port 9 name flood\ndefault pass\n");
            Started started = offload(net, rules);
            Process offload = started.process();
            StringBuilder out = started.out();
            try {
                String[] send = gen(net, 2, 9, 40_000);
                send[Arrays.asList(send).indexOf("-R") + 1] = "10000";
                Process sender = net.start(net.nsA, java(send));
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (!Pattern.compile("(?m)^    driver [1-9]\\d* pps: dropped [1-9]").matcher(text(out)).find()
                        && System.nanoTime() < until) {
                    Thread.sleep(50);
                }
                Path next = dir.resolve("swap.rules.new");
                Files.writeString(next, "pass udp dst port 9 name flood\ndefault pass\n");
                Files.move(next, rules, StandardCopyOption.ATOMIC_MOVE);
                var reload = net.exec(net.nsB, 60, java("ctl", Long.toString(offload.pid()), "reload"));
                assertEquals(0, reload.exitCode(), reload.stdout() + reload.stderr());
                assertTrue(sender.waitFor(60, TimeUnit.SECONDS));
                assertEquals(0, sender.exitValue());
                String t = started.finish();
                long dropped = number(t, "decided \\d+ packets: dropped (\\d+),");
                long passed = number(t, "decided \\d+ packets: dropped \\d+, passed (\\d+)");
                long flood = number(t, "(?m)^    flood +(\\d+) +\\d+  pass \\(in the driver\\)");
                long userRx = number(t, "\\[\\+\\] summary: \\S+: (\\d+) packets");
                assertTrue(dropped > 1_000 && passed > 1_000, "the old rules dropped, the new ones passed:\n" + t);
                assertEquals(40_000, flood, "the rule's count in the driver, carried over the reload by its name:\n" + t);
                assertEquals(0, userRx, "nothing came up to user space:\n" + t);
                Matcher others = Pattern.compile("(?m)^    default +(\\d+) +\\d+  pass \\(in the driver\\)").matcher(t);
                long defaults = others.find() ? Long.parseLong(others.group(1)) : 0; // whatever else the kernel sent (none: no line)
                assertEquals(40_000 + defaults, dropped + passed, "every frame decided once in the driver:\n" + t);
                assertEquals(2, Pattern.compile("(?m)^\\[\\+\\] XDP on " + net.ifB + ": rule 1 \\(flood\\) and the default \\(pass\\)"
                        + " decided in the driver$").matcher(t).results().count(), "the plan at the start and at the reload:\n" + t);
            } finally {
                offload.destroyForcibly();
            }
        }
    }
}
