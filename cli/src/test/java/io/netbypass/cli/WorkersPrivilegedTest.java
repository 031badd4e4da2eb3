package io.netbypass.cli;

import io.netbypass.testing.Privileged;
import io.netbypass.testing.TestNetwork;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static io.netbypass.cli.Cli.*;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code offload xdp:IF/R --workers 2} on a 4-queue veth pair: a port per queue, queues 0 and 2
 * on one worker, 1 and 3 on the other; {@code netbypass ctl remove-queue 1} gives queue 1 back to
 * the kernel while the filter runs (the kernel's socket receives that queue's traffic again),
 * {@code ctl add-queue 1} takes it back (the filter drops it again). Traffic goes to one queue at
 * a time: gen on A's TX queue N lands on B's RX queue N.
 */
@Privileged
class WorkersPrivilegedTest {
    @TempDir
    Path dir;

    /** Datagrams the socket receives until a second of silence. */
    private static int drain(DatagramSocket s) throws Exception {
        return drain(s, 1000);
    }

    private static int drain(DatagramSocket s, int silenceMillis) throws Exception {
        int n = 0;
        DatagramPacket d = new DatagramPacket(new byte[2048], 2048);
        s.setSoTimeout(silenceMillis);
        try {
            while (true) {
                s.receive(d);
                n++;
            }
        } catch (SocketTimeoutException e) {
            return n;
        }
    }

    private record Offload(Process process, StringBuilder out, Thread reader) {
    }

    /** {@code offload PORT --workers 2} in B, once it has opened its ports and its control socket. */
    private static Offload offload(TestNetwork net, String port, Path rules) throws Exception {
        // The rules in user space, where the workers are (the driver's part: XdpVerdictsPrivilegedTest).
        Process p = net.start(net.nsB, java("offload", port, "--workers", "2", "--rules", rules.toString(), "--duration", "120",
                "--interval", "500", "--xdp-verdicts", "off"));
        StringBuilder out = new StringBuilder();
        CountDownLatch ready = new CountDownLatch(1);
        Thread reader = reader(p, out, ready, "[+] ctl:");
        if (!ready.await(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("offload opened its ports and control socket: " + text(out));
        }
        return new Offload(p, out, reader);
    }

    /** The filter's dropped total, from 'ctl PID status'. */
    private static long dropped(String pid) {
        PcapCommandTest.Run status = PcapCommandTest.run("ctl", pid, "status");
        assertEquals(0, status.code(), status.err() + status.out());
        return number(status.out(), "total: rx \\d+, dropped (\\d+)");
    }

    private static void send(TestNetwork net, int queue, int port, int count) throws Exception {
        String[] g = gen(net, queue, port, count);
        g[g.length - 1] = "1000"; // slow enough for the socket's buffer
        var r = net.exec(net.nsA, 60, java(g));
        assertEquals(0, r.exitCode(), r.stderr());
    }

    @Test
    void twoWorkersFilterEveryQueueAndAQueueGoesBackToTheKernelAndReturns() throws Exception {
        try (TestNetwork net = TestNetwork.create(4)) {
            net.staticNeighbours();
            ExecutorService inB = in(net.nsB);
            DatagramSocket udp = inB.submit(() -> {
                DatagramSocket d = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(net.addressB), 0));
                d.setReceiveBufferSize(1 << 20);
                return d;
            }).get();
            int port = udp.getLocalPort();
            Path rules = dir.resolve("w.rules");
            Files.writeString(rules, "drop udp dst port " + port + " name flood\ndefault pass\n");
            Offload o = offload(net, "xdp:" + net.ifB + "/R", rules);
            Process p = o.process();
            StringBuilder out = o.out();
            Thread reader = o.reader();
            String pid = Long.toString(p.pid());
            try {
                assertTrue(text(out).contains("2 workers (queues 0,2; queues 1,3)"), text(out));
                send(net, 1, port, 500);
                send(net, 2, port, 500);
                assertEquals(0, drain(udp), "the filter dropped queue 1's and queue 2's traffic:\n" + text(out));
                assertEquals(1000, dropped(pid));
                // Queue 1 given back while its traffic flows: each frame is dropped by the filter or received by the
                // kernel's socket, none lost in between (what its ring held when the queue stopped is decided first).
                String[] g = gen(net, 1, port, 3000);
                g[g.length - 1] = "1000";
                // Read while it sends: 3000 datagrams would overflow the socket's buffer if read only at the end.
                var receiving = CompletableFuture.supplyAsync(() -> {
                    try {
                        return drain(udp, 5000);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                Process during = net.start(net.nsA, java(g));
                long seen = System.nanoTime() + 60_000_000_000L;
                while (dropped(pid) < 1200 && System.nanoTime() < seen) {
                    Thread.sleep(50); // the sender's JVM may take seconds to start on a busy machine
                }
                PcapCommandTest.Run removed = PcapCommandTest.run("ctl", pid, "remove-queue", "1");
                assertEquals(0, removed.code(), removed.err() + removed.out());
                assertTrue(removed.out().contains("queue 1: back to the kernel"), removed.out());
                assertTrue(during.waitFor(60, TimeUnit.SECONDS));
                assertEquals(0, during.exitValue());
                int received = receiving.get(60, TimeUnit.SECONDS);
                long droppedDuring = dropped(pid) - 1000;
                assertTrue(received > 0 && droppedDuring > 0, "both sides saw queue 1's traffic: " + received + ", " + droppedDuring);
                assertEquals(3000, received + droppedDuring, "every frame of queue 1 was dropped by the filter or reached the"
                        + " kernel:\n" + text(out) + net.exec(net.nsB, 10, "cat", "/proc/net/snmp").stdout());
                send(net, 1, port, 500);
                assertEquals(500, drain(udp), "the kernel receives queue 1's traffic again:\n" + text(out));
                send(net, 2, port, 500);
                assertEquals(0, drain(udp), "queue 2 is still filtered");
                PcapCommandTest.Run status = PcapCommandTest.run("ctl", pid, "status");
                assertTrue(status.out().contains("worker 1: queues 3:"), status.out());
                PcapCommandTest.Run added = PcapCommandTest.run("ctl", pid, "add-queue", "1");
                assertEquals(0, added.code(), added.err() + added.out());
                assertTrue(added.out().contains("queue 1: xdp:" + net.ifB + "-1/R on worker 1"), added.out());
                send(net, 1, port, 500);
                assertEquals(0, drain(udp), "queue 1 is filtered again");
                p.toHandle().destroy();
                assertTrue(p.waitFor(30, TimeUnit.SECONDS), "offload ended on SIGTERM: " + text(out));
                reader.join(5000);
                String t = text(out);
                assertEquals(0, p.exitValue(), t);
                assertEquals(2000 + droppedDuring, number(t, "summary: .* dropped (\\d+), passed"),
                        "every frame the filter saw was dropped:\n" + t);
                assertFalse(Files.exists(Path.of("/run/netbypass", pid + ".sock")), "the control socket went with the run");
            } finally {
                p.destroyForcibly();
                udp.close();
                inB.shutdownNow();
            }
        }
    }

    /**
     * {@code afpacket:} cannot split by queue: two workers take two members of one fanout group, each
     * frame to one of them by flow; together they see every frame once (copies: the kernel keeps its own).
     */
    @Test
    void twoWorkersOnAfPacketShareTheTrafficAsFanoutMembers() throws Exception {
        try (TestNetwork net = TestNetwork.create(1)) {
            net.staticNeighbours();
            Path rules = dir.resolve("a.rules");
            Files.writeString(rules, "drop udp dst port 7777 name flood\ndefault pass\n");
            Offload o = offload(net, "afpacket:" + net.ifB + "/R", rules);
            Process p = o.process();
            StringBuilder out = o.out();
            Thread reader = o.reader();
            String pid = Long.toString(p.pid());
            try {
                assertTrue(text(out).contains("2 workers"), text(out));
                // Many flows (random source ports), so that the fanout's flow hash gives both members some.
                var g = net.exec(net.nsA, 60, java("gen", "afpacket:" + net.ifA + "/T", "-s", net.addressA + ":1000-" + net.addressA
                        + ":60000", "-z", "-d", net.addressB + ":7777", "-S", TestNetwork.mac(net.nsA, net.ifA), "-D",
                        TestNetwork.mac(net.nsB, net.ifB), "-n", "4000", "-R", "20000", "--seed", "3"));
                assertEquals(0, g.exitCode(), g.stderr());
                Thread.sleep(1500);
                PcapCommandTest.Run status = PcapCommandTest.run("ctl", pid, "status");
                assertEquals(0, status.code(), status.err() + status.out());
                long w0 = number(status.out(), "worker 0: queues [0-9,]+: rx \\d+, dropped (\\d+)");
                long w1 = number(status.out(), "worker 1: queues [0-9,]+: rx \\d+, dropped (\\d+)");
                assertTrue(w0 > 0 && w1 > 0, "both members got a share: " + status.out());
                assertEquals(4000, w0 + w1, "together every frame once: " + status.out());
                PcapCommandTest.Run add = PcapCommandTest.run("ctl", pid, "add-queue", "1");
                assertEquals(1, add.code());
                assertTrue(add.out().contains("fanout members"), add.out());
                p.toHandle().destroy();
                assertTrue(p.waitFor(30, TimeUnit.SECONDS), text(out));
                reader.join(5000);
                assertEquals(0, p.exitValue(), text(out));
            } finally {
                p.destroyForcibly();
            }
        }
    }
}
