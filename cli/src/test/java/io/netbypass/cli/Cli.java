package io.netbypass.cli;

import io.netbypass.testing.TestNetwork;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** netbypass as a process in privileged tests: its command line, its output read as it comes, numbers from it. */
final class Cli {
    private Cli() {
    }

    /** The command line of {@code netbypass ARGS} with this test's JVM and class path. */
    static String[] java(String... args) {
        String javaBin = ProcessHandle.current().info().command().orElseThrow();
        String[] head = {javaBin, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                "io.netbypass.cli.Main"};
        String[] full = new String[head.length + args.length];
        System.arraycopy(head, 0, full, 0, head.length);
        System.arraycopy(args, 0, full, head.length, args.length);
        return full;
    }

    /** The same with the journals in {@code dir} ($NETBYPASS_JOURNAL_DIR). */
    static String[] withJournal(Path dir, String... args) {
        String[] j = java(args);
        String[] full = new String[j.length + 2];
        full[0] = "env";
        full[1] = "NETBYPASS_JOURNAL_DIR=" + dir;
        System.arraycopy(j, 0, full, 2, j.length);
        return full;
    }

    /** Collects {@code p}'s output into {@code out}; counts {@code ready} down at a line starting with {@code marker}. */
    static Thread reader(Process p, StringBuilder out, CountDownLatch ready, String marker) {
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream()))) {
                String line;
                while ((line = in.readLine()) != null) {
                    synchronized (out) {
                        out.append(line).append('\n');
                    }
                    if (line.startsWith(marker)) {
                        ready.countDown();
                    }
                }
            } catch (java.io.IOException ignored) {
                // the process ended
            }
        });
        reader.start();
        return reader;
    }

    /** As above, ready at the "[+] xdp:" line (its port is open). */
    static Thread reader(Process p, StringBuilder out, CountDownLatch ready) {
        return reader(p, out, ready, "[+] xdp:");
    }

    /**
     * Ends a run that was told to last long, once its senders are done: a per-second line after the
     * last frame, then SIGTERM (it prints its summary), however long a busy machine took to start the
     * senders; false if it did not end within 30 s.
     */
    static boolean stopAfterSenders(Process p) throws InterruptedException {
        Thread.sleep(1500);
        p.toHandle().destroy(); // SIGTERM: Process.destroy would also close our end of its output
        return p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS);
    }

    static String text(StringBuilder out) {
        synchronized (out) {
            return out.toString();
        }
    }

    /** {@code gen} on A's TX queue {@code queue} (-1: every queue) to B's {@code port}: {@code count} frames at 20,000/s. */
    static String[] gen(TestNetwork net, int queue, int port, int count) throws Exception {
        return new String[] {"gen", "xdp:" + net.ifA + (queue >= 0 ? "-" + queue : ""), "-s", net.addressA + ":1000", "-d",
                net.addressB + ":" + port, "-S", TestNetwork.mac(net.nsA, net.ifA), "-D", TestNetwork.mac(net.nsB, net.ifB),
                "-n", Integer.toString(count), "-R", "20000"};
    }

    /** The number the first group of {@code regex} matches in {@code text}. */
    static long number(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertTrue(m.find(), "'" + regex + "' in:\n" + text);
        return Long.parseLong(m.group(1));
    }

    /** A daemon thread that has entered namespace {@code ns}: sockets it makes live there. */
    static java.util.concurrent.ExecutorService in(String ns) throws Exception {
        java.util.concurrent.ExecutorService e = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "in-" + ns);
            t.setDaemon(true);
            return t;
        });
        e.submit(() -> {
            io.netbypass.linux.Native.enterNetworkNamespace(ns);
            return null;
        }).get();
        return e;
    }

    /** A counter of /proc/net/snmp's text: {@code protocol} ("Udp:") line pair, column {@code name}. */
    static long snmp(String text, String protocol, String name) {
        String[] lines = text.split("\n");
        for (int i = 0; i + 1 < lines.length; i++) {
            String[] names = lines[i].trim().split("\\s+");
            String[] values = lines[i + 1].trim().split("\\s+");
            if (names[0].equals(protocol) && values[0].equals(protocol)) {
                for (int k = 1; k < names.length; k++) {
                    if (names[k].equals(name)) {
                        return Long.parseLong(values[k]);
                    }
                }
            }
        }
        throw new AssertionError("no " + protocol + " " + name + " in " + text);
    }

    /**
     * A TCP transfer of {@code bytes} random bytes from a client thread in one namespace to
     * {@code server} in another: {@link #sent()} and {@link #received()} are "length:SHA-256".
     */
    static final class TcpTransfer {
        private final String sent;
        private final java.util.concurrent.CompletableFuture<String> received;
        private final java.util.concurrent.Future<?> client;

        TcpTransfer(java.net.ServerSocket server, java.util.concurrent.ExecutorService clientSide, String address, int bytes, long seed)
                throws Exception {
            received = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try (java.net.Socket c = server.accept(); var in = c.getInputStream()) {
                    java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
                    byte[] b = new byte[65536];
                    long total = 0;
                    int n;
                    while ((n = in.read(b)) > 0) {
                        md.update(b, 0, n);
                        total += n;
                    }
                    return total + ":" + java.util.HexFormat.of().formatHex(md.digest());
                } catch (Exception e) {
                    return "failed: " + e;
                }
            });
            byte[] stream = new byte[bytes];
            new java.util.Random(seed).nextBytes(stream);
            sent = stream.length + ":" + java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(stream));
            client = clientSide.submit(() -> {
                try (java.net.Socket c = new java.net.Socket()) {
                    c.connect(new java.net.InetSocketAddress(address, server.getLocalPort()), 5000);
                    c.getOutputStream().write(stream);
                    c.shutdownOutput();
                    c.getInputStream().read(); // until the server closes: every byte acknowledged
                }
                return null;
            });
        }

        String sent() {
            return sent;
        }

        /** Waits for both ends; what the server read. */
        String received(long seconds) throws Exception {
            client.get(seconds, java.util.concurrent.TimeUnit.SECONDS);
            return received.get(seconds, java.util.concurrent.TimeUnit.SECONDS);
        }
    }
}
