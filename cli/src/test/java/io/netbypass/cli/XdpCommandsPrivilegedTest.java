package io.netbypass.cli;

import io.netbypass.testing.Privileged;
import io.netbypass.testing.TestNetwork;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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

    private static String[] java(String... args) {
        String javaBin = ProcessHandle.current().info().command().orElseThrow();
        String[] head = {javaBin, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                "io.netbypass.cli.Main"};
        String[] full = new String[head.length + args.length];
        System.arraycopy(head, 0, full, 0, head.length);
        System.arraycopy(args, 0, full, head.length, args.length);
        return full;
    }

    /** Starts a receiving command in B, waits for its "[+] xdp:" line, sends with gen from A, returns B's whole output. */
    private static String receiveWhileSending(TestNetwork net, String[] receiver, String[]... senders) throws Exception {
        Process p = net.start(net.nsB, java(receiver));
        StringBuilder out = new StringBuilder();
        CountDownLatch ready = new CountDownLatch(1);
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream()))) {
                String line;
                while ((line = in.readLine()) != null) {
                    synchronized (out) {
                        out.append(line).append('\n');
                    }
                    if (line.startsWith("[+] xdp:")) {
                        ready.countDown();
                    }
                }
            } catch (java.io.IOException ignored) {
                // the process ended
            }
        });
        reader.start();
        try {
            assertTrue(ready.await(20, TimeUnit.SECONDS), "the receiver opened its port: " + out);
            for (String[] sender : senders) {
                var sent = net.exec(net.nsA, 60, java(sender));
                assertEquals(0, sent.exitCode(), sent.stdout() + sent.stderr());
            }
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the receiver ended by itself: " + out);
            reader.join(5000);
            assertEquals(0, p.exitValue(), out.toString());
            synchronized (out) {
                return out.toString();
            }
        } finally {
            p.destroyForcibly();
        }
    }

    private static String[] gen(TestNetwork net, int queue, int port, int count) throws Exception {
        return new String[] {"gen", "xdp:" + net.ifA + "-" + queue, "-s", net.addressA + ":1000", "-d", net.addressB + ":" + port,
                "-S", TestNetwork.mac(net.nsA, net.ifA), "-D", TestNetwork.mac(net.nsB, net.ifB), "-n", Integer.toString(count),
                "-R", "20000"};
    }

    private static long number(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertTrue(m.find(), "'" + regex + "' in:\n" + text);
        return Long.parseLong(m.group(1));
    }

    @Test
    void rxInsideANamespaceCountsExactlyWhatGenSentToItsQueue() throws Exception {
        try (TestNetwork net = TestNetwork.create(4)) {
            net.staticNeighbours();
            String out = receiveWhileSending(net, new String[] {"rx", "xdp:" + net.ifB + "-2/R", "--seconds", "5"},
                    gen(net, 2, 53, 30_000), gen(net, 1, 53, 10_000));
            assertTrue(out.contains("[+] xdp:" + net.ifB + "-2/R: AF_XDP on " + net.ifB + " queue 2 (copy mode, XDP native, queue mode)"), out);
            assertTrue(Pattern.compile("(?m)^[0-9.]+ K?pps \\(").matcher(out).find(), "per-second lines:\n" + out);
            assertEquals(30_000, number(out, "Received (\\d+) packets"), "queue 2's frames, none of queue 1's:\n" + out);
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

    @Test
    void offloadInsideANamespaceFiltersTheQueueAndPrintsItsLine() throws Exception {
        try (TestNetwork net = TestNetwork.create(4)) {
            net.staticNeighbours();
            Path rules = dir.resolve("f.rules");
            Files.writeString(rules, "drop udp dst port 53 name flood\ndefault pass\n");
            String out = receiveWhileSending(net,
                    new String[] {"offload", "xdp:" + net.ifB + "-2/R", "--rules", rules.toString(), "--duration", "5"},
                    gen(net, 2, 53, 20_000), gen(net, 2, 54, 5_000));
            assertTrue(out.contains("[+] UDP pps: "), out);
            assertTrue(out.contains("rx "), out);
            assertEquals(25_000, number(out, "summary: \\S+: (\\d+) packets"), out);
            assertEquals(20_000, number(out, "summary: .* dropped (\\d+), passed"), out);
            assertEquals(5_000, number(out, "summary: .* passed (\\d+), rate-limited"), out);
            assertTrue(out.contains("[!] xdp: ports have no path back to the kernel in this build"), out);
            assertEquals(5_000, number(out, "forward_unavailable (\\d+)"), "the passed packets, counted where they stopped:\n" + out);
        }
    }
}
