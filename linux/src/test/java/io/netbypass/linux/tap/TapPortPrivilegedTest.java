package io.netbypass.linux.tap;

import io.netbypass.linux.InNamespace;
import io.netbypass.linux.Native;
import io.netbypass.backend.Ports;
import io.netbypass.packet.AddressText;
import io.netbypass.packet.Checksums;
import io.netbypass.packet.FrameBuilder;
import io.netbypass.packet.IpProtocols;
import io.netbypass.packet.LinkType;
import io.netbypass.packet.PacketParser;
import io.netbypass.packet.ParsedPacket;
import io.netbypass.port.Port;
import io.netbypass.port.Ring;
import io.netbypass.testing.Privileged;
import io.netbypass.testing.TestNetwork;

import java.lang.foreign.MemorySegment;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The host path of a bypassed interface ({@code xdp:IF^}, a TAP): what goes into its TX ring
 * reaches the kernel's sockets as traffic for IF's address, and what the kernel sends out of it
 * arrives in its RX ring with the checksum the kernel left undone filled in.
 */
@Privileged
class TapPortPrivilegedTest {
    @Test
    void udpDatagramsCoalescedByGroReachTheSocketOneByOneAsSent() throws Exception {
        try (TestNetwork net = TestNetwork.create(1); InNamespace b = new InNamespace(net.nsB)) {
            net.staticNeighbours();
            io.netbypass.linux.tap.TapHostPath host = b.call(() -> io.netbypass.linux.tap.TapHostPath.of("xdp:" + net.ifB + "^",
                    net.ifB, true));
            DatagramSocket socket = b.call(() -> {
                DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(net.addressB), 0));
                s.setSoTimeout(2000);
                return s;
            });
            try {
                // Ten datagrams of one flow, 400 bytes each, IPv4 IDs counting up: GRO makes one GSO_UDP_L4 frame of them.
                b.call(() -> {
                    for (int i = 0; i < 10; i++) {
                        byte[] f = new FrameBuilder().macs(net.macBytesA(), net.macBytesB())
                                .addresses(AddressText.parseIpv4(net.addressA), AddressText.parseIpv4(net.addressB))
                                .protocol(IpProtocols.UDP).ports(4343, socket.getLocalPort()).payload(400).build();
                        MemorySegment m = MemorySegment.ofArray(f);
                        io.netbypass.packet.Bytes.put16(m, 18, 1000 + i); // IPv4 ID
                        f[f.length - 1] = (byte) i; // which datagram this is
                        io.netbypass.packet.Checksums.fillIpv4Header(m, 14, 20);
                        io.netbypass.packet.Checksums.fillTransport(m, 14, IpProtocols.UDP, 34, f.length - 34, 6);
                        assertTrue(host.forward(m, 0, f.length, io.netbypass.packet.FrameHeaders.UNKNOWN));
                    }
                    host.flush();
                    return null;
                });
                DatagramPacket d = new DatagramPacket(new byte[65536], 65536);
                for (int i = 0; i < 10; i++) {
                    socket.receive(d);
                    assertEquals(400, d.getLength(), "datagram " + i + " as sent, not merged");
                    assertEquals((byte) i, d.getData()[399], "datagram " + i + " in order");
                }
                Map<String, Long> stats = new HashMap<>();
                host.statistics(stats::put);
                assertEquals(1L, stats.get("tap_writes"), "one write for the ten: " + stats);
                assertEquals(9L, stats.get("gro_merged"), stats.toString());

                // A second worker's host path on the same interface is a second queue of the same TAP.
                io.netbypass.port.HostPath second = b.call(() -> io.netbypass.linux.tap.TapHostPath.of("xdp:" + net.ifB + "^",
                        net.ifB, true));
                try {
                    byte[] f = new FrameBuilder().macs(net.macBytesA(), net.macBytesB())
                            .addresses(AddressText.parseIpv4(net.addressA), AddressText.parseIpv4(net.addressB))
                            .protocol(IpProtocols.UDP).ports(4444, socket.getLocalPort()).payload(10).build();
                    b.call(() -> {
                        second.forward(MemorySegment.ofArray(f), 0, f.length, io.netbypass.packet.FrameHeaders.UNKNOWN);
                        second.flush();
                        return null;
                    });
                    socket.receive(d);
                    assertEquals(4444, d.getPort(), "the second queue's frame reached the socket too");
                } finally {
                    b.call(() -> {
                        second.close();
                        return null;
                    });
                }
            } finally {
                socket.close();
                b.call(() -> {
                    host.close();
                    return null;
                });
            }
        }
    }

    @Test
    void framesInjectedReachTheKernelAndTheKernelsFramesComeOutWithChecksums() throws Exception {
        try (TestNetwork net = TestNetwork.create(1); InNamespace b = new InNamespace(net.nsB)) {
            net.staticNeighbours();
            Port host = b.call(() -> Ports.open("xdp:" + net.ifB + "^", Ports.Direction.BOTH));
            DatagramSocket socket = b.call(() -> {
                DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(net.addressB), 0));
                s.setSoTimeout(2000);
                return s;
            });
            try {
                String tap = "nbh" + b.call(() -> Native.ifIndex(net.ifB));
                assertTrue(host.description().startsWith("host path of " + net.ifB + " through TAP " + tap), host.description());
                String link = net.exec(net.nsB, 10, "ip", "-br", "link", "show", tap).stdout();
                assertTrue(link.contains("UP") && link.contains(TestNetwork.mac(net.nsB, net.ifB)), "the TAP is up with B's MAC: " + link);

                // Into the kernel: 20 UDP datagrams "from A" to B's socket, through the TX ring.
                byte[] frame = new FrameBuilder().macs(net.macBytesA(), net.macBytesB())
                        .addresses(AddressText.parseIpv4(net.addressA), AddressText.parseIpv4(net.addressB))
                        .protocol(IpProtocols.UDP).ports(4242, socket.getLocalPort()).payload(100).build();
                b.call(() -> {
                    Ring tx = host.txRing(0);
                    int slot = tx.cur();
                    for (int i = 0; i < 20; i++) {
                        MemorySegment.copy(MemorySegment.ofArray(frame), 0, tx.buffers(), tx.offset(slot), frame.length);
                        tx.setLength(slot, frame.length);
                        slot = tx.next(slot);
                    }
                    tx.advance(slot);
                    host.txSync();
                    return null;
                });
                DatagramPacket d = new DatagramPacket(new byte[2048], 2048);
                for (int i = 0; i < 20; i++) {
                    socket.receive(d);
                    assertEquals(4242, d.getPort());
                    assertEquals(100, d.getLength());
                }

                // Out of the kernel: a datagram routed through the TAP (a static neighbour, so no ARP first).
                net.exec(net.nsB, 10, "ip", "route", "add", "198.18.201.0/24", "dev", tap).orFail("route");
                net.exec(net.nsB, 10, "ip", "neigh", "replace", "198.18.201.1", "lladdr", "02:00:00:00:00:99", "dev", tap,
                        "nud", "permanent").orFail("neigh");
                b.call(() -> {
                    try (DatagramSocket out = new DatagramSocket()) {
                        out.send(new DatagramPacket(new byte[300], 300, InetAddress.getByName("198.18.201.1"), 9999));
                    }
                    return null;
                });
                Map<String, Long> stats = new HashMap<>();
                byte[] got = b.call(() -> {
                    long end = System.nanoTime() + 10_000_000_000L; // a busy machine (CI beside other jobs) took over 2 s once
                    ParsedPacket p = new ParsedPacket();
                    while (System.nanoTime() < end) {
                        host.rxSync();
                        Ring rx = host.rxRing(0);
                        for (int i = rx.head(); i != rx.tail(); i = rx.next(i)) {
                            PacketParser.parse(rx.buffers(), rx.offset(i), rx.length(i), LinkType.ETHERNET, p);
                            if (p.ipProtocol() == IpProtocols.UDP && p.destinationPort() == 9999) {
                                byte[] f = rx.buffers().asSlice(rx.offset(i), rx.length(i)).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
                                rx.advance(rx.tail());
                                return f;
                            }
                        }
                        rx.advance(rx.tail());
                    }
                    return null;
                });
                assertNotNull(got, "the kernel's datagram came out of the TAP into the RX ring");
                host.statistics(stats::put);
                MemorySegment g = MemorySegment.ofArray(got);
                ParsedPacket p = new ParsedPacket();
                PacketParser.parse(g, 0, got.length, LinkType.ETHERNET, p);
                assertEquals("020000000099", HexFormat.of().formatHex(got, 0, 6));
                assertTrue(Checksums.verifyTransport(g, p.l3Offset(), IpProtocols.UDP, p.l4Offset(), got.length - p.l4Offset()),
                        "the UDP checksum is complete: " + stats);
                assertEquals(20L, stats.get("tap_to_kernel"));
                assertTrue(stats.get("tap_from_kernel") >= 1);
                assertTrue(stats.get("tap_checksums_completed") >= 1, "the kernel left the checksum to us (TUN_F_CSUM): " + stats);
            } finally {
                socket.close();
                b.call(() -> {
                    host.close();
                    return null;
                });
            }
            // The kernel unregisters a closed TAP on its own time (a busy machine took longer than one look).
            long until = System.nanoTime() + 30_000_000_000L; // 10 s was once not enough on a loaded machine
            while (net.exec(net.nsB, 10, "ip", "link", "show").stdout().contains("nbh") && System.nanoTime() < until) {
                Thread.sleep(50);
            }
            assertFalse(net.exec(net.nsB, 10, "ip", "link", "show").stdout().contains("nbh"), "the TAP went away with the port");
        }
    }
}
