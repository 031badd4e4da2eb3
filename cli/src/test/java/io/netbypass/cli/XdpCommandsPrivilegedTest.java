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
