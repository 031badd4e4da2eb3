package io.netbypass.linux.xdp;

import io.netbypass.linux.Errno;
import io.netbypass.linux.HoldXdp;
import io.netbypass.linux.InNamespace;
import io.netbypass.linux.LinuxException;
import io.netbypass.linux.Native;
import io.netbypass.linux.bpf.Bpf;
import io.netbypass.linux.bpf.BpfAssembler;
import io.netbypass.linux.xdp.XdpAttachment;
import io.netbypass.linux.xdp.XdpPrograms;
import io.netbypass.testing.Commands;
import io.netbypass.testing.Privileged;
import io.netbypass.testing.TestNetwork;

import java.util.concurrent.Callable;

import org.junit.jupiter.api.Test;

import static io.netbypass.linux.bpf.BpfAssembler.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Programs we assemble ourselves load, attach with a link to a veth in a namespace of our own,
 * act on real traffic, and leave with their descriptor; the kernel's refusals come back readable.
 */
@Privileged
class XdpPrivilegedTest {
    /** Runs {@code work} on a thread that has entered namespace {@code ns} (setns is per thread). */
    private static <T> T inNamespace(String ns, Callable<T> work) throws Exception {
        try (InNamespace thread = new InNamespace(ns)) {
            return thread.call(work);
        }
    }

    /**
     * Does a UDP datagram from A reach a socket on B? Call on a thread inside B's namespace (the
     * socket is made there); bash's /dev/udp sends, so the test needs no ping or netcat.
     */
    private static boolean pings(TestNetwork net) throws Exception {
        try (java.net.DatagramSocket s = new java.net.DatagramSocket(
                new java.net.InetSocketAddress(java.net.InetAddress.getByName(net.addressB), 0))) {
            s.setSoTimeout(1500);
            net.exec(net.nsA, 10, "bash", "-c", "for i in 1 2 3; do echo hi > /dev/udp/" + net.addressB + "/"
                    + s.getLocalPort() + "; sleep 0.2; done");
            try {
                s.receive(new java.net.DatagramPacket(new byte[64], 64));
                return true;
            } catch (java.net.SocketTimeoutException e) {
                return false;
            }
        }
    }

    private static String link(TestNetwork net) throws Exception {
        return Commands.run(10, "ip", "-n", net.nsB, "-d", "link", "show", "dev", net.ifB).stdout();
    }

    @Test
    void attachActDetachAndRefuseASecondProgram() throws Exception {
        try (TestNetwork net = TestNetwork.create(4)) {
            net.staticNeighbours();
            inNamespace(net.nsB, () -> {
                assertTrue(pings(net), "the namespaces talk before any program");
                try (XdpAttachment drop = XdpAttachment.attach(net.ifB, "nb_drop", XdpPrograms.dropAll(), null)) {
                    assertEquals(XdpAttachment.Mode.NATIVE, drop.mode(), "veth has native XDP");
                    assertTrue(link(net).contains("prog/xdp"), link(net));
                    assertFalse(pings(net), "XDP_DROP keeps the datagram from the kernel");
                    LinuxException busy = assertThrows(LinuxException.class,
                            () -> XdpAttachment.attach(net.ifB, "nb_second", XdpPrograms.passAll(), null));
                    assertEquals(Errno.EBUSY, busy.errno(), busy.getMessage());
                    assertTrue(busy.getMessage().startsWith("bpf(BPF_LINK_CREATE, XDP on " + net.ifB
                            + " (native)): EBUSY (Device or resource busy)"), busy.getMessage());
                }
                assertFalse(link(net).contains("prog/xdp"), "closing the link detached it: " + link(net));
                assertTrue(pings(net), "the kernel has the interface back");
                int map = Bpf.mapCreate(Bpf.MAP_TYPE_XSKMAP, 4, 4, 4, "nb_xsks");
                try (XdpAttachment queues = XdpAttachment.attach(net.ifB, "nb_queues", XdpPrograms.queueRedirect(map), null)) {
                    assertTrue(pings(net), "queue mode with no socket in the map passes everything to the kernel");
                } finally {
                    Native.close(map);
                }
                return null;
            });
        }
    }

    @Test
    void killDashNineGivesTheInterfaceBackWithinASecond() throws Exception {
        try (TestNetwork net = TestNetwork.create(1)) {
            net.staticNeighbours();
            String javaBin = ProcessHandle.current().info().command().orElseThrow();
            Process holder = new ProcessBuilder(javaBin, "--enable-native-access=ALL-UNNAMED", "-cp",
                    System.getProperty("java.class.path"), HoldXdp.class.getName(), net.nsB, net.ifB)
                    .redirectErrorStream(true).start();
            try {
                String line = new java.io.BufferedReader(new java.io.InputStreamReader(holder.getInputStream())).readLine();
                assertEquals("attached NATIVE", line);
                assertTrue(link(net).contains("prog/xdp"), link(net));
                inNamespace(net.nsB, () -> {
                    assertFalse(pings(net), "the holder's program drops traffic");
                    return null;
                });
                new ProcessBuilder("kill", "-9", Long.toString(holder.pid())).start().waitFor();
                assertTrue(holder.waitFor(5, java.util.concurrent.TimeUnit.SECONDS));
                long died = System.nanoTime();
                while (link(net).contains("prog/xdp") && System.nanoTime() - died < 1_000_000_000L) {
                    Thread.sleep(10);
                }
                assertFalse(link(net).contains("prog/xdp"), "the link died with its process: " + link(net));
                inNamespace(net.nsB, () -> {
                    assertTrue(pings(net), "the kernel has the interface back");
                    return null;
                });
            } finally {
                holder.destroyForcibly();
            }
        }
    }

    @Test
    void aRejectedProgramShowsTheVerifiersReason() throws Exception {
        try (TestNetwork net = TestNetwork.create(1)) {
            inNamespace(net.nsB, () -> {
                BpfAssembler unchecked = new BpfAssembler();
                unchecked.load(W, R2, R1, Bpf.XDP_MD_DATA);
                unchecked.load(B, R0, R2, 0); // a packet read with no bounds check
                unchecked.exit();
                LinuxException e = assertThrows(LinuxException.class, () -> Bpf.loadXdp("nb_bad", unchecked));
                assertEquals(Errno.EACCES, e.errno(), e.getMessage());
                assertTrue(e.getMessage().startsWith("bpf(BPF_PROG_LOAD, nb_bad): EACCES (Permission denied)\nverifier:"),
                        e.getMessage());
                assertTrue(e.getMessage().contains("invalid access to packet"), e.getMessage());
                LinuxException missing = assertThrows(LinuxException.class, () -> Native.ifIndex("nb-no-such-if"));
                assertEquals("if_nametoindex(nb-no-such-if): ENODEV (No such device)", missing.getMessage());
                return null;
            });
        }
    }
}
