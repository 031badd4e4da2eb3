package io.netbypass.linux.afpacket;

import io.netbypass.linux.InNamespace;
import io.netbypass.backend.Ports;
import io.netbypass.gen.AddressRange;
import io.netbypass.gen.Generator;
import io.netbypass.gen.GeneratorOptions;
import io.netbypass.packet.IpProtocols;
import io.netbypass.packet.LinkType;
import io.netbypass.packet.PacketParser;
import io.netbypass.packet.ParsedPacket;
import io.netbypass.port.Port;
import io.netbypass.port.PortException;
import io.netbypass.port.Ring;
import io.netbypass.testing.Privileged;
import io.netbypass.testing.TestNetwork;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code afpacket:} ports on a veth pair between two namespaces of our own: frames sent through
 * one side's AF_PACKET TX path arrive, byte for byte, in the other side's TPACKET_V3 ring, while
 * the kernel there still gets every datagram (AF_PACKET sees copies).
 */
@Privileged
class AfPacketPortPrivilegedTest {
    /** Sends {@code frames} through {@code tx}, a frame longer than a buffer as a MOREFRAG chain. */
    private static void send(Port tx, List<byte[]> frames) throws InterruptedException {
        send(tx, frames, Integer.MAX_VALUE);
    }

    /** As {@link #send(Port, List)}, at most {@code burst} frames per sync and a millisecond between syncs. */
    private static void send(Port tx, List<byte[]> frames, int burst) throws InterruptedException {
        Ring ring = tx.txRing(0);
        int size = ring.bufferSize();
        int next = 0;
        long end = System.nanoTime() + 5_000_000_000L;
        while (next < frames.size() && System.nanoTime() < end) {
            int slot = ring.cur();
            int inBurst = 0;
            while (next < frames.size() && inBurst++ < burst) {
                byte[] f = frames.get(next);
                int need = (f.length + size - 1) / size;
                if (ring.space() < need) {
                    break;
                }
                for (int part = 0; part < need; part++) {
                    int from = part * size;
                    int len = Math.min(size, f.length - from);
                    MemorySegment.copy(MemorySegment.ofArray(f), from, ring.buffers(), ring.offset(slot), len);
                    ring.setLength(slot, len);
                    ring.setSlotFlags(slot, part + 1 < need ? Ring.MOREFRAG : 0);
                    slot = ring.next(slot);
                }
                next++;
            }
            ring.advance(slot);
            tx.txSync();
            if (burst != Integer.MAX_VALUE) {
                Thread.sleep(1); // lets the receiving socket keep up: its buffer holds a few hundred datagrams
            }
        }
        long drain = System.nanoTime() + 1_000_000_000L;
        while (ring.head() != ring.next(ring.tail()) && System.nanoTime() < drain) {
            tx.txSync();
        }
        assertEquals(frames.size(), next, "every frame was submitted");
    }

    /** Frames to UDP port {@code port} the port receives within {@code millis} (or until {@code expected}), per ring. */
    private static List<List<byte[]>> receive(Port p, int port, int expected, long millis) {
        List<List<byte[]>> byRing = new ArrayList<>();
        for (int r = 0; r < p.rxRings(); r++) {
            byRing.add(new ArrayList<>());
        }
        ParsedPacket pp = new ParsedPacket();
        long end = System.nanoTime() + millis * 1_000_000L;
        int ours = 0;
        ByteArrayOutputStream chain = new ByteArrayOutputStream();
        while (System.nanoTime() < end && ours < expected) {
            p.rxSync();
            for (int r = 0; r < p.rxRings(); r++) {
                Ring ring = p.rxRing(r);
                for (int i = ring.head(); i != ring.tail(); i = ring.next(i)) {
                    chain.writeBytes(ring.buffers().asSlice(ring.offset(i), ring.length(i)).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
                    if ((ring.slotFlags(i) & Ring.MOREFRAG) != 0) {
                        continue;
                    }
                    byte[] frame = chain.toByteArray();
                    chain.reset();
                    PacketParser.parse(MemorySegment.ofArray(frame), 0, frame.length, LinkType.ETHERNET, pp);
                    if (pp.ipProtocol() == IpProtocols.UDP && pp.destinationPort() == port) {
                        byRing.get(r).add(frame);
                        ours++;
                    }
                }
                ring.advance(ring.tail());
            }
        }
        return byRing;
    }

    private static Map<Integer, Integer> kernelReceive(DatagramSocket s) throws Exception {
        Map<Integer, Integer> bySource = new TreeMap<>();
        DatagramPacket d = new DatagramPacket(new byte[9000], 9000);
        try {
            while (true) {
                s.receive(d);
                bySource.merge(d.getPort(), 1, Integer::sum);
            }
        } catch (SocketTimeoutException e) {
            return bySource;
        }
    }

    /** UDP frames A to B: {@code count} per source port in {@code sourcePorts}, {@code payload} bytes each, IP ID = index. */
    private static List<byte[]> frames(TestNetwork net, int[] sourcePorts, int count, int port, int length) throws Exception {
        List<byte[]> out = new ArrayList<>();
        for (int sp : sourcePorts) {
            GeneratorOptions o = GeneratorOptions.defaults()
                    .withSource(AddressRange.single(net.addressA, sp), false)
                    .withDestination(AddressRange.single(net.addressB, port), false)
                    .withMacs(net.macBytesA(), net.macBytesB())
                    .withSize(length, length);
            Generator g = new Generator(o);
            MemorySegment buf = MemorySegment.ofArray(new byte[16384]);
            for (int i = 0; i < count; i++) {
                int len = g.next(buf, 0);
                out.add(buf.asSlice(0, len).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
            }
        }
        return out;
    }

    @Test
    void framesSentThroughOneSideArriveByteForByteOnTheOtherWhileTheKernelKeepsItsCopy() throws Exception {
        try (TestNetwork net = TestNetwork.create(4); InNamespace a = new InNamespace(net.nsA); InNamespace b = new InNamespace(net.nsB)) {
            net.staticNeighbours();
            Port rx = b.call(() -> Ports.open("afpacket:" + net.ifB + "/R", Ports.Direction.RECEIVE));
            DatagramSocket kernel = b.call(() -> {
                DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(net.addressB), 0));
                s.setSoTimeout(1000);
                return s;
            });
            try {
                assertTrue(rx.description().contains("TPACKET_V3"), rx.description());
                int port = kernel.getLocalPort();
                // 2 x 100: fewer than the kernel socket's default buffer holds (about 250 of these), read or not.
                List<byte[]> sent = frames(net, new int[] {4001, 4002}, 100, port, 200);
                // The kernel's socket is read while the frames arrive: its buffer would overflow otherwise.
                var kernelGot = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                    try {
                        return kernelReceive(kernel);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                var received = b.submit(() -> receive(rx, port, 200, 5000));
                a.call(() -> {
                    try (Port tx = Ports.open("afpacket:" + net.ifA + "/T", Ports.Direction.TRANSMIT)) {
                        assertEquals(0, tx.rxRings());
                        send(tx, sent, 50);
                        Map<String, Long> st = new HashMap<>();
                        tx.statistics(st::put);
                        assertEquals(200L, st.get("transmitted"));
                    }
                    return null;
                });
                List<byte[]> got = received.get().get(0);
                Map<String, Long> rs = new TreeMap<>();
                rx.statistics(rs::put);
                assertEquals(200, got.size(), "the TPACKET_V3 ring got every frame: " + rs);
                for (int i = 0; i < sent.size(); i++) {
                    assertArrayEquals(sent.get(i), got.get(i), "frame " + i + " arrived as sent, in order");
                }
                assertEquals(Map.of(4001, 100, 4002, 100), kernelGot.get(),
                        "the kernel still got every datagram: AF_PACKET took copies");
                Map<String, Long> st = new HashMap<>();
                rx.statistics(st::put);
                assertEquals(200L, st.get("received"), st.toString());
                assertEquals(0L, st.get("packet_rx_ring_full_drops"), st.toString());
                assertTrue(st.get("packet_rx_seen") >= 200L, st.toString());
            } finally {
                kernel.close();
                b.call(() -> {
                    rx.close();
                    return null;
                });
            }
        }
    }

    @Test
    void vlanTagsTheKernelTakesOffAndFramesLongerThanASlotComeBackWhole() throws Exception {
        try (TestNetwork net = TestNetwork.create(1); InNamespace a = new InNamespace(net.nsA); InNamespace b = new InNamespace(net.nsB)) {
            net.staticNeighbours();
            net.exec(net.nsA, 10, "ip", "link", "set", "dev", net.ifA, "mtu", "5000");
            net.exec(net.nsB, 10, "ip", "link", "set", "dev", net.ifB, "mtu", "5000");
            Port rx = b.call(() -> Ports.open("afpacket:" + net.ifB + "@conf:slots=64", Ports.Direction.RECEIVE));
            try {
                int port = 5353;
                List<byte[]> sent = new ArrayList<>(frames(net, new int[] {5001}, 3, port, 4500));
                for (byte[] plain : frames(net, new int[] {5002}, 3, port, 300)) {
                    byte[] tagged = new byte[plain.length + 4];
                    System.arraycopy(plain, 0, tagged, 0, 12);
                    tagged[12] = (byte) 0x81; // 802.1Q, priority 5, VLAN 42
                    tagged[13] = 0x00;
                    tagged[14] = (byte) 0xa0;
                    tagged[15] = 42;
                    System.arraycopy(plain, 12, tagged, 16, plain.length - 12);
                    sent.add(tagged);
                }
                a.call(() -> {
                    try (Port tx = Ports.open("afpacket:" + net.ifA, Ports.Direction.TRANSMIT)) {
                        send(tx, sent);
                    }
                    return null;
                });
                List<byte[]> got = b.call(() -> receive(rx, port, 6, 3000)).get(0);
                assertEquals(6, got.size());
                for (int i = 0; i < sent.size(); i++) {
                    assertArrayEquals(sent.get(i), got.get(i), "frame " + i + " (" + sent.get(i).length + " bytes) as sent");
                }
                Map<String, Long> st = new HashMap<>();
                rx.statistics(st::put);
                assertEquals(0L, st.get("truncated"));
            } finally {
                b.call(() -> {
                    rx.close();
                    return null;
                });
            }
        }
    }

    @Test
    void aFanoutGroupKeepsEachFlowOnOneRingAndLosesNothing() throws Exception {
        try (TestNetwork net = TestNetwork.create(4); InNamespace a = new InNamespace(net.nsA); InNamespace b = new InNamespace(net.nsB)) {
            net.staticNeighbours();
            Port rx = b.call(() -> Ports.open("afpacket:" + net.ifB + "@conf:rings=4,fanout=hash", Ports.Direction.RECEIVE));
            try {
                assertEquals(4, rx.rxRings());
                assertTrue(rx.description().contains("fanout hash"), rx.description());
                int port = 7777;
                int[] sources = new int[32];
                for (int i = 0; i < sources.length; i++) {
                    sources[i] = 10000 + i;
                }
                List<byte[]> sent = frames(net, sources, 20, port, 100);
                a.call(() -> {
                    try (Port tx = Ports.open("afpacket:" + net.ifA + "/T", Ports.Direction.TRANSMIT)) {
                        send(tx, sent);
                    }
                    return null;
                });
                List<List<byte[]>> byRing = b.call(() -> receive(rx, port, 640, 3000));
                ParsedPacket pp = new ParsedPacket();
                Map<Integer, Set<Integer>> ringsOfFlow = new HashMap<>();
                int total = 0;
                int ringsUsed = 0;
                for (int r = 0; r < byRing.size(); r++) {
                    ringsUsed += byRing.get(r).isEmpty() ? 0 : 1;
                    for (byte[] f : byRing.get(r)) {
                        PacketParser.parse(MemorySegment.ofArray(f), 0, f.length, LinkType.ETHERNET, pp);
                        ringsOfFlow.computeIfAbsent(pp.sourcePort(), k -> new HashSet<>()).add(r);
                        total++;
                    }
                }
                assertEquals(640, total, "every frame reached exactly one ring of the group");
                assertEquals(32, ringsOfFlow.size());
                ringsOfFlow.forEach((flow, rings) -> assertEquals(1, rings.size(), "flow " + flow + " stayed on one ring: " + rings));
                assertTrue(ringsUsed >= 2, "32 flows spread over more than one ring: " + ringsUsed);
            } finally {
                b.call(() -> {
                    rx.close();
                    return null;
                });
            }
        }
    }

    @Test
    void portsAfPacketCannotBeAreRefusedWithOneLine() throws Exception {
        try (TestNetwork net = TestNetwork.create(2); InNamespace b = new InNamespace(net.nsB)) {
            PortException queue = assertThrows(PortException.class,
                    () -> b.call(() -> Ports.open("afpacket:" + net.ifB + "-1/R", Ports.Direction.RECEIVE)));
            assertTrue(queue.getMessage().contains("fanout=qm") && queue.getMessage().contains("xdp:" + net.ifB + "-1/R"),
                    queue.getMessage());
            PortException missing = assertThrows(PortException.class,
                    () -> b.call(() -> Ports.open("afpacket:nbnosuch0", Ports.Direction.RECEIVE)));
            assertEquals("afpacket:nbnosuch0: no such network interface: nbnosuch0", missing.getMessage());
            assertFalse(Arrays.asList(missing.getMessage().split("\n")).size() > 1);
        }
    }
}
