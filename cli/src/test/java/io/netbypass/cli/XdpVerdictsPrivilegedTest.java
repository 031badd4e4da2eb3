package io.netbypass.cli;

import io.netbypass.testing.Privileged;
import io.netbypass.testing.TestNetwork;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

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
}
