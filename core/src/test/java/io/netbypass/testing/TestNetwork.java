package io.netbypass.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Two network namespaces joined by a multi-queue veth pair: the test hosts of privileged
 * tests. Names are unique to the run; addresses come from 198.18.0.0/15 and exist only inside
 * these namespaces. {@link #close()} deletes both namespaces by name (which removes the veth),
 * also after a failed test.
 */
public final class TestNetwork implements AutoCloseable {
    public final String nsA;
    public final String nsB;
    public final String ifA;
    public final String ifB;
    public final String addressA;
    public final String addressB;
    public final int queues;

    private TestNetwork(String tag, int queues) {
        this.nsA = "nb" + tag + "a";
        this.nsB = "nb" + tag + "b";
        this.ifA = "nbv" + tag + "a";
        this.ifB = "nbv" + tag + "b";
        int subnet = ThreadLocalRandom.current().nextInt(1, 255);
        this.addressA = "198.18." + subnet + ".1";
        this.addressB = "198.18." + subnet + ".2";
        this.queues = queues;
    }

    public static TestNetwork create(int queues) throws IOException, InterruptedException {
        String tag = Long.toString(ProcessHandle.current().pid(), 36) + Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36), 36);
        TestNetwork n = new TestNetwork(tag, queues);
        try {
            n.setUp();
        } catch (IOException | InterruptedException | RuntimeException e) {
            n.close();
            throw e;
        }
        return n;
    }

    private void setUp() throws IOException, InterruptedException {
        ip("netns", "add", nsA);
        ip("netns", "add", nsB);
        ip("link", "add", ifA, "numtxqueues", Integer.toString(queues), "numrxqueues", Integer.toString(queues),
                "netns", nsA, "type", "veth", "peer", "name", ifB, "numtxqueues", Integer.toString(queues),
                "numrxqueues", Integer.toString(queues), "netns", nsB);
        // IPv4 only: no neighbour discovery or MLD reports riding the queues a test counts exactly.
        for (String ns : new String[] {nsA, nsB}) {
            Commands.run(10, "ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
                    "net.ipv6.conf.default.disable_ipv6=1").orFail("sysctl disable_ipv6 in " + ns);
        }
        ip("-n", nsA, "addr", "add", addressA + "/30", "dev", ifA);
        ip("-n", nsB, "addr", "add", addressB + "/30", "dev", ifB);
        ip("-n", nsA, "link", "set", ifA, "up");
        ip("-n", nsB, "link", "set", ifB, "up");
        ip("-n", nsA, "link", "set", "lo", "up");
        ip("-n", nsB, "link", "set", "lo", "up");
    }

    /**
     * Pins each side's neighbour entry for the other, so no ARP is needed: tests that take
     * packets away from the kernel (XDP drop, a bypassed queue) would otherwise take ARP too.
     */
    public void staticNeighbours() throws IOException, InterruptedException {
        ip("-n", nsA, "neigh", "replace", addressB, "lladdr", mac(nsB, ifB), "dev", ifA);
        ip("-n", nsB, "neigh", "replace", addressA, "lladdr", mac(nsA, ifA), "dev", ifB);
    }

    /** The MAC address of {@code ifName} in namespace {@code ns}, as ip prints it. */
    public static String mac(String ns, String ifName) throws IOException, InterruptedException {
        String out = Commands.run(10, "ip", "-n", ns, "link", "show", "dev", ifName).stdout();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("link/ether ([0-9a-f:]{17})").matcher(out);
        if (!m.find()) {
            throw new IOException("no MAC address for " + ifName + " in " + ns + ": " + out);
        }
        return m.group(1);
    }

    public byte[] macBytesA() throws IOException, InterruptedException {
        return macBytes(mac(nsA, ifA));
    }

    public byte[] macBytesB() throws IOException, InterruptedException {
        return macBytes(mac(nsB, ifB));
    }

    private static byte[] macBytes(String text) {
        String[] parts = text.split(":");
        byte[] b = new byte[6];
        for (int i = 0; i < 6; i++) {
            b[i] = (byte) Integer.parseInt(parts[i], 16);
        }
        return b;
    }

    /** Runs a command inside namespace {@code ns}. */
    public Commands.Result exec(String ns, long timeoutSeconds, String... command) throws IOException, InterruptedException {
        String[] full = new String[command.length + 4];
        full[0] = "ip";
        full[1] = "netns";
        full[2] = "exec";
        full[3] = ns;
        System.arraycopy(command, 0, full, 4, command.length);
        return Commands.run(timeoutSeconds, full);
    }

    /** A process started inside namespace {@code ns}; the caller destroys it by its handle. */
    public Process start(String ns, String... command) throws IOException {
        String[] full = new String[command.length + 4];
        full[0] = Commands.which("ip");
        full[1] = "netns";
        full[2] = "exec";
        full[3] = ns;
        System.arraycopy(command, 0, full, 4, command.length);
        return new ProcessBuilder(full).redirectErrorStream(true).start();
    }

    private static void ip(String... args) throws IOException, InterruptedException {
        String[] full = new String[args.length + 1];
        full[0] = "ip";
        System.arraycopy(args, 0, full, 1, args.length);
        Commands.run(20, full).orFail(String.join(" ", full));
    }

    public static boolean namespaceExists(String name) throws IOException, InterruptedException {
        return Commands.run(10, "ip", "netns", "list").stdout().lines().anyMatch(l -> l.split("\\s+")[0].equals(name));
    }

    /** Where commands run with the default journal keep their interface locks (files they never remove, by design). */
    private static final Path LOCKS = Path.of("/run/netbypass/lock");

    @Override
    public void close() throws IOException, InterruptedException {
        for (String ns : new String[] {nsA, nsB}) {
            if (namespaceExists(ns)) {
                Commands.run(20, "ip", "netns", "delete", ns);
            }
        }
        // The lock files of our interfaces (names unique to this run, gone with the namespaces): nothing left behind.
        if (Files.isDirectory(LOCKS, LinkOption.NOFOLLOW_LINKS)) {
            try (var files = Files.list(LOCKS)) {
                for (Path f : files.toList()) {
                    String name = f.getFileName().toString();
                    if (name.endsWith("-" + ifA + ".lock") || name.endsWith("-" + ifB + ".lock")) {
                        Files.deleteIfExists(f);
                    }
                }
            }
        }
    }
}
