package io.netbypass.cli;

import io.netbypass.capture.CaptureRecord;
import io.netbypass.capture.PcapWriter;
import io.netbypass.packet.DnsQuery;
import io.netbypass.packet.EtherTypes;
import io.netbypass.packet.IpProtocols;
import io.netbypass.packet.LinkType;
import io.netbypass.testing.Frames;
import io.netbypass.testing.Privileged;
import io.netbypass.testing.TestNetwork;

import java.lang.foreign.MemorySegment;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static io.netbypass.cli.Cli.*;
import static org.junit.jupiter.api.Assertions.*;

/** Failures an adversarial pass found on a real kernel, each reproduced and now held. */
@Privileged
class HardeningPrivilegedTest {
    @TempDir
    Path dir;

    /** IPv6 UDP from A to B port 53 behind {@code headers} Destination Options headers. */
    private static byte[] chained(TestNetwork net, int headers, byte[] payload) throws Exception {
        byte[] chain = new byte[0];
        for (int i = 0; i < headers; i++) {
            chain = Frames.concat(chain, Frames.ipv6Extension(i + 1 < headers ? IpProtocols.DSTOPTS : IpProtocols.UDP, 1));
        }
        byte[] ip = Frames.ipv6("2001:db8:7::a", "2001:db8:7::b", IpProtocols.DSTOPTS,
                Frames.concat(chain, Frames.udp(40000, 53, payload)), 8 * headers, IpProtocols.UDP);
        return Frames.concat(net.macBytesB(), net.macBytesA(), Frames.u16(EtherTypes.IPV6), ip);
    }

    @Test
    void dnsBehindNineAndTwelveDestinationOptionsHeadersIsDroppedLiveAndTheKernelWouldHaveTakenIt() throws Exception {
        try (TestNetwork net = TestNetwork.create(4)) {
            // B has an IPv6 address in our own namespaces (the documentation prefix); A only sends raw frames.
            // (Only there: conf/default stays off, and the host path's TAP takes IPv6 as the interface has it.)
            net.exec(net.nsB, 10, "sysctl", "-qw", "net.ipv6.conf." + net.ifB + ".disable_ipv6=0").orFail("sysctl");
            net.exec(net.nsB, 10, "ip", "addr", "add", "2001:db8:7::b/64", "dev", net.ifB, "nodad").orFail("ip addr");
            ExecutorService inB = in(net.nsB);
            DatagramSocket dns = inB.submit(() -> {
                DatagramSocket d = new DatagramSocket(new InetSocketAddress(InetAddress.getByName("2001:db8:7::b"), 53));
                d.setSoTimeout(3000);
                return d;
            }).get();
            // The frames: 50 junk datagrams behind 9 headers, 50 behind 12 (the flood), and 10 valid queries behind 12.
            Path pcap = dir.resolve("chains.pcap");
            int junk = 0;
            try (PcapWriter w = new PcapWriter(pcap, LinkType.ETHERNET, 65535, false, ByteOrder.LITTLE_ENDIAN)) {
                for (int headers : new int[] {9, 12}) {
                    for (int i = 0; i < 50; i++, junk++) {
                        byte[] f = chained(net, headers, new byte[] {(byte) i, 0x13, 0x37, 0, 0, 0, 0, 0});
                        w.write(new CaptureRecord().set(MemorySegment.ofArray(f), 0, f.length, f.length, junk, 0, LinkType.ETHERNET));
                    }
                }
                for (int i = 0; i < 10; i++) {
                    byte[] f = chained(net, 12, DnsQuery.query(100 + i, "q" + i + ".example.com", 1));
                    w.write(new CaptureRecord().set(MemorySegment.ofArray(f), 0, f.length, f.length, 200 + i, 0, LinkType.ETHERNET));
                }
            }
            // First the kernel alone: it delivers datagrams behind twelve headers (why the filter must walk them).
            var alone = net.exec(net.nsA, 60, java("gen", "xdp:" + net.ifA, "-P", pcap.toString(), "-n", "110", "-R", "2000"));
            assertEquals(0, alone.exitCode(), alone.stdout() + alone.stderr());
            int received = inB.submit(() -> count(dns)).get(30, TimeUnit.SECONDS);
            assertEquals(110, received, "without netbypass the kernel's socket gets every datagram, junk included");
            // Then through the shipped rules on every queue of B.
            Process p = net.start(net.nsB, java("offload", "xdp:" + net.ifB, "--rules", Path.of("../examples/dns-flood.rules")
                    .toAbsolutePath().toString(), "--duration", "120"));
            StringBuilder out = new StringBuilder();
            CountDownLatch ready = new CountDownLatch(1);
            Thread reader = reader(p, out, ready);
            try {
                assertTrue(ready.await(30, TimeUnit.SECONDS), "offload opened its port: " + text(out));
                var sent = net.exec(net.nsA, 60, java("gen", "xdp:" + net.ifA, "-P", pcap.toString(), "-n", "110", "-R", "2000"));
                assertEquals(0, sent.exitCode(), sent.stdout() + sent.stderr());
                int got = inB.submit(() -> count(dns)).get(30, TimeUnit.SECONDS);
                assertEquals(10, got, "only the valid queries reach the DNS socket:\n" + text(out));
                p.toHandle().destroy(); // SIGTERM: the summary
                assertTrue(p.waitFor(40, TimeUnit.SECONDS), text(out));
                reader.join(5000);
                String t = text(out);
                assertEquals(junk, number(t, "dns-flood +(\\d+) "), t);
                assertEquals(10, number(t, "valid-queries +(\\d+) "), t);
            } finally {
                p.destroyForcibly();
                inB.submit(dns::close).get();
                inB.shutdown();
            }
        }
    }

    private static int count(DatagramSocket s) throws Exception {
        int n = 0;
        DatagramPacket d = new DatagramPacket(new byte[2048], 2048);
        try {
            while (true) {
                s.receive(d);
                n++;
            }
        } catch (java.net.SocketTimeoutException e) {
            return n;
        }
    }

    private static String sys(TestNetwork net, String file) throws Exception {
        return net.exec(net.nsB, 10, "cat", "/sys/class/net/" + net.ifB + "/queues/" + file).orFail("cat " + file).stdout().strip();
    }

    @Test
    void aChannelChangeAndRestoreKeepTheSettingsOfQueuesThatWentAndCameBack() throws Exception {
        try (TestNetwork net = TestNetwork.create(4)) {
            Path journals = dir.resolve("journal");
            String mount = ""; // ip netns exec mounts the namespace's own /sys
            net.exec(net.nsB, 10, "sh", "-c", mount + "echo 128 > /sys/class/net/" + net.ifB + "/queues/rx-3/rps_flow_cnt && echo 1 > "
                    + "/sys/class/net/" + net.ifB + "/queues/tx-3/xps_cpus").orFail("set");
            var r = net.exec(net.nsB, 60, withJournal(journals, "nic", "channels", net.ifB, "rx", "2", "tx", "2"));
            assertEquals(0, r.exitCode(), r.stdout() + r.stderr());
            assertFalse(net.exec(net.nsB, 10, "sh", "-c", mount + "test -e /sys/class/net/" + net.ifB + "/queues/rx-3").exitCode() == 0,
                    "queue 3 is gone");
            r = net.exec(net.nsB, 60, withJournal(journals, "nic", "features", net.ifB, "gro", "off", "tso", "off"));
            assertEquals(0, r.exitCode(), r.stdout() + r.stderr());
            var restore = net.exec(net.nsB, 60, withJournal(journals, "restore", net.ifB));
            assertEquals(0, restore.exitCode(), "no spurious failure:\n" + restore.stdout() + restore.stderr());
            assertEquals("128", net.exec(net.nsB, 10, "sh", "-c", mount + "cat /sys/class/net/" + net.ifB + "/queues/rx-3/rps_flow_cnt")
                    .orFail("cat").stdout().strip(), "the queue came back with its setting:\n" + restore.stdout());
            assertEquals("1", net.exec(net.nsB, 10, "sh", "-c", mount + "cat /sys/class/net/" + net.ifB + "/queues/tx-3/xps_cpus")
                    .orFail("cat").stdout().strip().replaceFirst("^0+(?=.)", ""));
            String k = net.exec(net.nsB, 10, "ethtool", "-k", net.ifB).orFail("ethtool -k").stdout();
            assertTrue(k.contains("tcp-segmentation-offload: on"), k);
            try (var files = Files.list(journals)) {
                assertEquals(0, files.filter(f -> f.toString().endsWith(".journal")).count(), restore.stdout());
            }
        }
    }

    @Test
    void oneCommandAtATimeChangesAnInterface() throws Exception {
        try (TestNetwork net = TestNetwork.create(4)) {
            Path journals = dir.resolve("journal");
            Process first = net.start(net.nsB, withJournal(journals, "tune", net.ifB, "--rps", "0", "--seconds", "30"));
            StringBuilder out = new StringBuilder();
            CountDownLatch ready = new CountDownLatch(1);
            Thread reader = reader(first, out, ready, "[+]");
            try {
                assertTrue(ready.await(30, TimeUnit.SECONDS), "tune applied its settings: " + text(out));
                for (String[] second : new String[][] {{"tune", net.ifB, "--rps", "1"}, {"nic", "features", net.ifB, "gro", "on"}}) {
                    var r = net.exec(net.nsB, 60, withJournal(journals, second));
                    assertEquals(1, r.exitCode(), String.join(" ", second) + ": " + r.stdout() + r.stderr());
                    assertTrue(r.stderr().contains(net.ifB + " is being changed by another netbypass (pid "),
                            String.join(" ", second) + ": " + r.stderr());
                }
            } finally {
                first.toHandle().destroy(); // SIGTERM: tune puts its settings back
                assertTrue(first.waitFor(30, TimeUnit.SECONDS));
                reader.join(5000);
            }
            assertTrue(text(out).contains("put back"), text(out));
            var after = net.exec(net.nsB, 60, withJournal(journals, "nic", "features", net.ifB, "gro", "on"));
            assertEquals(0, after.exitCode(), "free again once the first has ended: " + after.stderr());
        }
    }
}
