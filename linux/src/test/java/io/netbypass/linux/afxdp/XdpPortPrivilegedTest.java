package io.netbypass.linux.afxdp;

import io.netbypass.linux.InNamespace;
import io.netbypass.linux.Native;
import io.netbypass.backend.PortOptions;
import io.netbypass.backend.Ports;
import io.netbypass.gen.AddressRange;
import io.netbypass.gen.Generator;
import io.netbypass.gen.GeneratorOptions;
import io.netbypass.linux.afxdp.XdpPort;
import io.netbypass.linux.xdp.XdpAttachment;
import io.netbypass.linux.xdp.XdpPrograms;
import io.netbypass.packet.IpProtocols;
import io.netbypass.packet.LinkType;
import io.netbypass.packet.PacketParser;
import io.netbypass.packet.ParsedPacket;
import io.netbypass.port.Port;
import io.netbypass.port.PortException;
import io.netbypass.port.Ring;
import io.netbypass.scaling.ntuple.NtupleParser;
import io.netbypass.scaling.ntuple.RxFlowSpec;
import io.netbypass.testing.Privileged;
import io.netbypass.testing.TestNetwork;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code xdp:} ports on a 4-queue veth pair between two namespaces of our own: our generator
 * sends through AF_XDP TX rings on chosen queues of one side (a packet arrives on the other
 * side's RX queue of the same number); the other side's port and the kernel's UDP socket must
 * each get exactly their share.
 */
@Privileged
class XdpPortPrivilegedTest {
    /** Sends {@code count} UDP frames from A's {@code sourcePort} to B's {@code port} out of A's TX queue {@code queue}. */
    private static void send(TestNetwork net, InNamespace a, int queue, int sourcePort, int port, int count) throws Exception {
        byte[] macA = net.macBytesA();
        byte[] macB = net.macBytesB();
        a.call(() -> {
            GeneratorOptions o = GeneratorOptions.defaults()
                    .withSource(AddressRange.single(net.addressA, sourcePort), false)
                    .withDestination(AddressRange.single(net.addressB, port), false)
                    .withMacs(macA, macB);
            Generator g = new Generator(o);
            try (Port tx = Ports.open("xdp:" + net.ifA + "-" + queue, Ports.Direction.TRANSMIT)) {
                assertEquals(0, tx.rxRings(), "a port opened to transmit takes no RX queue (no XDP program on A)");
                Ring ring = tx.txRing(0);
                int sent = 0;
                long end = System.nanoTime() + 5_000_000_000L;
                while (sent < count && System.nanoTime() < end) {
                    int slot = ring.cur();
                    int n = 0;
                    while (sent + n < count && slot != ring.tail()) {
                        ring.setLength(slot, g.next(ring.buffers(), ring.offset(slot)));
                        slot = ring.next(slot);
                        n++;
                    }
                    ring.advance(slot);
                    tx.txSync();
                    sent += n;
                }
                assertEquals(count, sent);
            }
            return null;
        });
    }

    /** Reads the port for {@code millis} ms (or until {@code expected} of ours came): source port -> frames to {@code port}. */
    private static Map<Integer, Integer> receive(Port p, int port, int expected, long millis) {
        Map<Integer, Integer> bySource = new TreeMap<>();
        ParsedPacket pp = new ParsedPacket();
        long end = System.nanoTime() + millis * 1_000_000L;
        int ours = 0;
        while (System.nanoTime() < end && ours < expected) {
            p.rxSync();
            for (int r = 0; r < p.rxRings(); r++) {
                Ring ring = p.rxRing(r);
                for (int i = ring.head(); i != ring.tail(); i = ring.next(i)) {
                    PacketParser.parse(ring.buffers(), ring.offset(i), ring.length(i), LinkType.ETHERNET, pp);
                    if (pp.ipProtocol() == IpProtocols.UDP && pp.destinationPort() == port) {
                        bySource.merge(pp.sourcePort(), 1, Integer::sum);
                        ours++;
                    }
                }
                ring.advance(ring.tail());
            }
        }
        return bySource;
    }

    /** Datagrams the kernel's socket gets within the timeout: source port -> count. */
    private static Map<Integer, Integer> kernelReceive(DatagramSocket s) throws Exception {
        Map<Integer, Integer> bySource = new TreeMap<>();
        DatagramPacket d = new DatagramPacket(new byte[2048], 2048);
        try {
            while (true) {
                s.receive(d);
                bySource.merge(d.getPort(), 1, Integer::sum);
            }
        } catch (SocketTimeoutException e) {
            return bySource;
        }
    }

    private static DatagramSocket kernelSocket(TestNetwork net) throws Exception {
        DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(net.addressB), 0));
        s.setSoTimeout(400);
        return s;
    }

    @Test
    void queueModeTakesExactlyQueue2WhileTheKernelKeepsTheOtherQueues() throws Exception {
        try (TestNetwork net = TestNetwork.create(4); InNamespace a = new InNamespace(net.nsA); InNamespace b = new InNamespace(net.nsB)) {
            net.staticNeighbours();
            XdpPort port = b.call(() -> (XdpPort) Ports.open("xdp:" + net.ifB + "~2", Ports.Direction.RECEIVE));
            DatagramSocket kernel = b.call(() -> kernelSocket(net));
            try {
                assertEquals(1, port.rxRings());
                assertEquals(2, port.rxRing(0).id());
                assertEquals(0, port.txRings(), "~2 is -2/R: no TX ring");
                int dport = kernel.getLocalPort();
                send(net, a, 2, 2222, dport, 300);
                send(net, a, 1, 1111, dport, 100);
                send(net, a, 3, 3333, dport, 100);
                assertEquals(Map.of(2222, 300), b.call(() -> receive(port, dport, 300, 3000)),
                        "the port got queue 2's frames, every one, and nothing from queues 1 and 3");
                assertEquals(Map.of(1111, 100, 3333, 100), b.call(() -> kernelReceive(kernel)),
                        "the kernel's socket got queues 1 and 3, every datagram, and nothing of queue 2");
                Map<String, Long> stats = new HashMap<>();
                port.statistics(stats::put);
                assertEquals(0L, stats.get("xdp_rx_dropped"), stats.toString());
                assertTrue(stats.get("received") >= 300, stats.toString());

                // Queue 2 leaves the bypass (a map edit only) and comes back.
                b.call(() -> {
                    port.setBypassed(2, false);
                    return null;
                });
                send(net, a, 2, 2223, dport, 50);
                assertEquals(Map.of(2223, 50), b.call(() -> kernelReceive(kernel)), "queue 2 is the kernel's again");
                assertEquals(Map.of(), b.call(() -> receive(port, dport, 1, 300)));
                b.call(() -> {
                    port.setBypassed(2, true);
                    return null;
                });
                send(net, a, 2, 2224, dport, 50);
                assertEquals(Map.of(2224, 50), b.call(() -> receive(port, dport, 50, 3000)));
                assertEquals(Map.of(), b.call(() -> kernelReceive(kernel)));
            } finally {
                b.call(() -> {
                    port.close();
                    return null;
                });
            }
            // Closed: the program is gone and queue 2 flows to the kernel.
            send(net, a, 2, 2225, kernel.getLocalPort(), 40);
            assertEquals(Map.of(2225, 40), b.call(() -> kernelReceive(kernel)));
            kernel.close();
        }
    }

    @Test
    void flowModeTakesOnlyMatchingFlowsAndTheKernelGetsTheRest() throws Exception {
        try (TestNetwork net = TestNetwork.create(4); InNamespace a = new InNamespace(net.nsA); InNamespace b = new InNamespace(net.nsB)) {
            net.staticNeighbours();
            DatagramSocket steered = b.call(() -> kernelSocket(net));
            DatagramSocket other = b.call(() -> kernelSocket(net));
            DatagramSocket dropped = b.call(() -> kernelSocket(net));
            List<RxFlowSpec> rules = List.of(
                    NtupleParser.parse("flow-type udp4 dst-port " + dropped.getLocalPort() + " action -1"),
                    NtupleParser.parse("flow-type udp4 dst-ip " + net.addressB + " dst-port " + steered.getLocalPort() + " action 0"));
            XdpPort port = b.call(() -> (XdpPort) Ports.open("xdp:" + net.ifB, new PortOptions(Ports.Direction.RECEIVE, rules)));
            try {
                for (int q = 0; q < 4; q++) {
                    send(net, a, q, 4000 + q, steered.getLocalPort(), 40);
                    send(net, a, q, 4100 + q, other.getLocalPort(), 30);
                    send(net, a, q, 4200 + q, dropped.getLocalPort(), 20);
                }
                assertEquals(Map.of(4000, 40, 4001, 40, 4002, 40, 4003, 40),
                        b.call(() -> receive(port, steered.getLocalPort(), 160, 3000)), "the matching flow, from every queue");
                assertEquals(Map.of(), b.call(() -> receive(port, other.getLocalPort(), 1, 200)));
                assertEquals(Map.of(), b.call(() -> kernelReceive(steered)), "none of the steered flow reached the kernel");
                assertEquals(Map.of(4100, 30, 4101, 30, 4102, 30, 4103, 30), b.call(() -> kernelReceive(other)),
                        "the kernel got every datagram of the flows no rule matched");
                assertEquals(Map.of(), b.call(() -> kernelReceive(dropped)), "action -1 dropped in the driver");
            } finally {
                b.call(() -> {
                    port.close();
                    return null;
                });
                steered.close();
                other.close();
                dropped.close();
            }
        }
    }

    @Test
    void everyQueueOnOneSharedUmemAndFramesReflectedBackByBufferSwap() throws Exception {
        try (TestNetwork net = TestNetwork.create(4); InNamespace a = new InNamespace(net.nsA); InNamespace b = new InNamespace(net.nsB)) {
            net.staticNeighbours();
            // B takes all four queues, receiving and transmitting; A listens on its queue 2 for the reflections.
            XdpPort all = b.call(() -> (XdpPort) Ports.open("xdp:" + net.ifB, Ports.Direction.BOTH));
            XdpPort back = a.call(() -> (XdpPort) Ports.open("xdp:" + net.ifA + "-2/R", Ports.Direction.RECEIVE));
            try {
                assertEquals(4, all.rxRings());
                assertEquals(4, all.txRings());
                for (int q : new int[] {0, 1, 3}) {
                    send(net, a, q, 5000 + q, 7777, 25 * (q + 1));
                }
                Map<Integer, Integer> got = b.call(() -> receive(all, 7777, 250, 3000));
                assertEquals(Map.of(5000, 25, 5001, 50, 5003, 100), got, "each queue's frames, on one UMEM");

                // Queue 1's next frames go back out of B's TX queue 2 (buffer swap, no copy) and arrive on A's queue 2.
                send(net, a, 1, 6001, 7777, 60);
                int reflected = b.call(() -> {
                    int done = 0;
                    long end = System.nanoTime() + 3_000_000_000L;
                    while (done < 60 && System.nanoTime() < end) {
                        all.rxSync();
                        Ring in = all.rxRing(1);
                        Ring out = all.txRing(2);
                        int j = out.cur();
                        int i = in.head();
                        while (i != in.tail() && j != out.tail()) {
                            in.swapInto(i, out, j);
                            i = in.next(i);
                            j = out.next(j);
                            done++;
                        }
                        in.advance(i);
                        out.advance(j);
                        all.txSync();
                    }
                    return done;
                });
                assertEquals(60, reflected);
                assertEquals(Map.of(6001, 60), a.call(() -> receive(back, 7777, 60, 3000)),
                        "every reflected frame reached A's queue 2");
            } finally {
                b.call(() -> {
                    all.close();
                    return null;
                });
                a.call(() -> {
                    back.close();
                    return null;
                });
            }
        }
    }

    /** The payload of jumbo datagram {@code k}: every byte says which datagram and where. */
    private static byte[] jumboPayload(int k, int length) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (k * 31 + i * 7 + i / 251);
        }
        return b;
    }

    /**
     * A kernel UDP socket on {@code address} (in the calling thread's namespace) with room for
     * jumbo datagrams: ten 8 KB ones built by AF_XDP's TX (a page per fragment) take 228 KiB of a
     * socket's buffer, more than the default, as veth hands that very skb to the peer's stack.
     */
    private static DatagramSocket jumboSocket(String address) throws Exception {
        DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(address), 0));
        s.setSoTimeout(2000);
        s.setReceiveBufferSize(4 << 20);
        return s;
    }

    /** Received frames (slot chains put together) whose UDP destination is {@code port}, in arrival order; and how many slots each took. */
    private static List<byte[]> receiveChains(Port p, int port, int expected, long millis, List<Integer> slotsPerFrame) {
        List<byte[]> frames = new java.util.ArrayList<>();
        ParsedPacket pp = new ParsedPacket();
        long end = System.nanoTime() + millis * 1_000_000L;
        while (System.nanoTime() < end && frames.size() < expected) {
            p.rxSync();
            for (int r = 0; r < p.rxRings(); r++) {
                Ring ring = p.rxRing(r);
                int i = ring.head();
                while (i != ring.tail()) {
                    java.io.ByteArrayOutputStream frame = new java.io.ByteArrayOutputStream();
                    int first = i;
                    int n = 0;
                    while (true) {
                        byte[] piece = new byte[ring.length(i)];
                        java.lang.foreign.MemorySegment.copy(ring.buffers(), ring.offset(i), java.lang.foreign.MemorySegment.ofArray(piece), 0,
                                piece.length);
                        frame.writeBytes(piece);
                        n++;
                        boolean more = (ring.slotFlags(i) & Ring.MOREFRAG) != 0;
                        i = ring.next(i);
                        if (!more) {
                            break;
                        }
                        assertNotEquals(ring.tail(), i, "a chain is published whole, never cut at the tail");
                    }
                    PacketParser.parse(ring.buffers(), ring.offset(first), ring.length(first), LinkType.ETHERNET, pp);
                    if (pp.ipProtocol() == IpProtocols.UDP && pp.destinationPort() == port) {
                        frames.add(frame.toByteArray());
                        slotsPerFrame.add(n);
                    }
                }
                ring.advance(ring.tail());
            }
        }
        return frames;
    }

    @Test
    void jumboFramesArriveWholeAsSlotChainsAndGoOutAsChains() throws Exception {
        try (TestNetwork net = TestNetwork.create(4); InNamespace a = new InNamespace(net.nsA); InNamespace b = new InNamespace(net.nsB)) {
            net.exec(net.nsA, 10, "ip", "link", "set", net.ifA, "mtu", "9000");
            net.exec(net.nsB, 10, "ip", "link", "set", net.ifB, "mtu", "9000");
            // Checksums complete, as from a wire: veth would otherwise hand over A's CHECKSUM_PARTIAL datagrams,
            // which B's kernel refuses once they come back through the host path.
            net.exec(net.nsA, 10, "ethtool", "-K", net.ifA, "tx", "off").orFail("ethtool -K tx off");
            net.staticNeighbours();
            // Native XDP on a 9000-byte veth takes only a fragment-aware program; the sockets bind multi-buffer.
            XdpPort port = b.call(() -> (XdpPort) Ports.open("xdp:" + net.ifB, Ports.Direction.BOTH));
            DatagramSocket atA = a.call(() -> jumboSocket(net.addressA));
            try {
                assertEquals(XdpAttachment.Mode.NATIVE, port.mode());
                assertTrue(port.multiBuffer() && port.description().contains("multi-buffer"), port.description());
                int length = 8000;
                int count = 20;
                // A's kernel sends 8,000-byte datagrams (8,042-byte frames): each arrives whole, as one slot chain.
                a.call(() -> {
                    for (int k = 0; k < count; k++) {
                        byte[] data = jumboPayload(k, length);
                        atA.send(new DatagramPacket(data, data.length, InetAddress.getByName(net.addressB), 7777));
                    }
                    return null;
                });
                List<Integer> slots = new java.util.ArrayList<>();
                List<byte[]> got = b.call(() -> receiveChains(port, 7777, count, 3000, slots));
                assertEquals(count, got.size(), "every jumbo datagram arrived");
                for (int k = 0; k < count; k++) {
                    byte[] f = got.get(k);
                    assertEquals(14 + 20 + 8 + length, f.length);
                    assertArrayEquals(jumboPayload(k, length), java.util.Arrays.copyOfRange(f, 42, f.length), "datagram " + k + " byte for byte");
                    assertTrue(slots.get(k) > 1, "a frame larger than a chunk takes several slots");
                }

                // B sends jumbo frames the other way as slot chains: A's socket receives each whole.
                byte[] macA = net.macBytesA();
                byte[] macB = net.macBytesB();
                int toPort = atA.getLocalPort();
                b.call(() -> {
                    Ring tx = port.txRing(2);
                    int slot = tx.cur();
                    for (int k = 0; k < 10; k++) {
                        byte[] frame = io.netbypass.testing.Frames.concat(macA, macB, io.netbypass.testing.Frames.u16(0x0800),
                                io.netbypass.testing.Frames.ipv4(net.addressB, net.addressA, IpProtocols.UDP,
                                        io.netbypass.testing.Frames.udp(4343, toPort, jumboPayload(100 + k, length))));
                        for (int at = 0; at < frame.length; at += 1500) {
                            int n = Math.min(1500, frame.length - at);
                            java.lang.foreign.MemorySegment.copy(java.lang.foreign.MemorySegment.ofArray(frame), at, tx.buffers(),
                                    tx.offset(slot), n);
                            tx.setLength(slot, n);
                            tx.setSlotFlags(slot, at + n < frame.length ? Ring.MOREFRAG : 0);
                            slot = tx.next(slot);
                        }
                    }
                    tx.advance(slot);
                    port.txSync();
                    return null;
                });
                DatagramPacket d = new DatagramPacket(new byte[9000], 9000);
                for (int k = 0; k < 10; k++) {
                    atA.receive(d);
                    assertEquals(4343, d.getPort());
                    assertArrayEquals(jumboPayload(100 + k, length), java.util.Arrays.copyOf(d.getData(), d.getLength()),
                            "jumbo datagram " + k + " sent as a chain of six slots");
                }
                Map<String, Long> stats = new HashMap<>();
                port.statistics(stats::put);
                assertEquals(10L, stats.get("transmitted"), "ten frames (sixty slots) transmitted: " + stats);
                assertEquals(0L, stats.get("bad_slots"), stats.toString());
                b.call(() -> {
                    port.close();
                    return null;
                });

                // Passed back to the kernel through the host path: B's socket gets each jumbo datagram whole.
                XdpPort withHost = b.call(() -> (XdpPort) Ports.open("xdp:" + net.ifB + "/R",
                        PortOptions.of(Ports.Direction.RECEIVE).withHostPath(true)));
                DatagramSocket atB = b.call(() -> jumboSocket(net.addressB));
                try {
                    int toB = atB.getLocalPort();
                    a.call(() -> {
                        for (int k = 0; k < count; k++) {
                            byte[] data = jumboPayload(200 + k, length);
                            atA.send(new DatagramPacket(data, data.length, InetAddress.getByName(net.addressB), toB));
                        }
                        return null;
                    });
                    int marked = b.call(() -> {
                        int frames = 0;
                        long end = System.nanoTime() + 3_000_000_000L;
                        while (frames < count && System.nanoTime() < end) {
                            withHost.rxSync();
                            for (int r = 0; r < withHost.rxRings(); r++) {
                                Ring ring = withHost.rxRing(r);
                                ring.flags(ring.flags() | Ring.FORWARD);
                                for (int i = ring.head(); i != ring.tail(); i = ring.next(i)) {
                                    ring.setSlotFlags(i, ring.slotFlags(i) | Ring.SLOT_FORWARD);
                                    frames += (ring.slotFlags(i) & Ring.MOREFRAG) == 0 ? 1 : 0;
                                }
                                ring.advance(ring.tail());
                            }
                        }
                        withHost.rxSync(); // hands the released chains to the host path
                        return frames;
                    });
                    assertEquals(count, marked);
                    DatagramPacket in = new DatagramPacket(new byte[9000], 9000);
                    for (int k = 0; k < count; k++) {
                        atB.receive(in);
                        assertArrayEquals(jumboPayload(200 + k, length), java.util.Arrays.copyOf(in.getData(), in.getLength()),
                                "jumbo datagram " + k + " through the host path");
                    }
                    Map<String, Long> host = new HashMap<>();
                    withHost.statistics(host::put);
                    assertEquals((long) count, host.get("forwarded_to_host"), host.toString());
                    assertEquals(0L, host.get("forward_dropped"), host.toString());
                } finally {
                    atB.close();
                    b.call(() -> {
                        withHost.close();
                        return null;
                    });
                }
            } finally {
                atA.close();
                b.call(() -> {
                    port.close();
                    return null;
                });
            }
        }
    }

    private static Map<String, Long> statistics(Port p) {
        Map<String, Long> m = new HashMap<>();
        p.statistics(m::put);
        return m;
    }

    @Test
    void whatTheKernelLosesForWantOfFillBuffersIsCountedPerQueueAndEveryFrameIsAccountedFor() throws Exception {
        try (TestNetwork net = TestNetwork.create(4); InNamespace a = new InNamespace(net.nsA); InNamespace b = new InNamespace(net.nsB)) {
            net.staticNeighbours();
            // 64 slots: the kernel has 64 buffers to fill, and nobody reads until all 1,000 frames were sent.
            XdpPort port = b.call(() -> (XdpPort) Ports.open("xdp:" + net.ifB + "@conf:rx-slots=64", Ports.Direction.RECEIVE));
            try {
                send(net, a, 1, 5000, 9, 1000);
                Thread.sleep(300);
                Map<Integer, Integer> got = receive(port, 9, 1000, 1000);
                int received = got.values().stream().mapToInt(Integer::intValue).sum();
                Map<String, Long> st = statistics(port);
                long lost = st.get("xdp_rx_dropped") + st.get("xdp_rx_ring_full");
                assertTrue(received <= 64, "no more than the fill ring held: " + received);
                assertEquals(1000, received + lost, "every frame either reached the ring or is counted as lost: " + st);
                assertEquals(lost, st.get("xdp_q1_rx_dropped") + st.get("xdp_q1_rx_ring_full"), "all on queue 1: " + st);
                assertEquals(0L, st.get("xdp_q2_rx_dropped") + st.get("xdp_q2_rx_ring_full"), st.toString());
            } finally {
                b.call(() -> {
                    port.close();
                    return null;
                });
            }
        }
    }

    @Test
    void dropsMadeInsideXdpByASteeringRuleAreCountedPerRule() throws Exception {
        try (TestNetwork net = TestNetwork.create(4); InNamespace a = new InNamespace(net.nsA); InNamespace b = new InNamespace(net.nsB)) {
            net.staticNeighbours();
            List<RxFlowSpec> rules = List.of(NtupleParser.parse("flow-type udp4 src-port 6000 action -1"),
                    NtupleParser.parse("flow-type udp4 dst-port 9 action 0"));
            XdpPort port = b.call(() -> (XdpPort) Ports.open("xdp:" + net.ifB, new PortOptions(Ports.Direction.RECEIVE, rules)));
            try {
                send(net, a, 0, 6000, 9, 300); // the drop rule first: dropped in XDP, never on a ring
                send(net, a, 3, 6000, 9, 200);
                send(net, a, 2, 6001, 9, 100); // the second rule: to our ring
                Map<Integer, Integer> got = receive(port, 9, 100, 2000);
                assertEquals(Map.of(6001, 100), got);
                Map<String, Long> st = statistics(port);
                assertEquals(500L, st.get("xdp_rule_1_dropped"), st.toString());
                assertNull(st.get("xdp_rule_2_dropped"), "a queue rule drops nothing");
            } finally {
                b.call(() -> {
                    port.close();
                    return null;
                });
            }
        }
    }

    @Test
    void anotherProgramOnTheInterfaceIsAClearErrorAndBadNamesAreRefused() throws Exception {
        try (TestNetwork net = TestNetwork.create(2); InNamespace b = new InNamespace(net.nsB)) {
            b.call(() -> {
                try (XdpAttachment other = XdpAttachment.attach(net.ifB, "someone_else", XdpPrograms.passAll(), null)) {
                    PortException e = assertThrows(PortException.class,
                            () -> Ports.open("xdp:" + net.ifB + "-1/R", Ports.Direction.RECEIVE));
                    assertTrue(e.getMessage().startsWith("xdp:" + net.ifB + "-1/R: another XDP program is attached to " + net.ifB + " ("),
                            e.getMessage());
                    // Who holds it, and what frees it: this test's own process, through the link it made.
                    assertTrue(e.getMessage().contains("XDP program someone_else (id "), e.getMessage());
                    assertTrue(e.getMessage().contains(", native) attached through BPF link "), e.getMessage());
                    assertTrue(e.getMessage().contains("held by PID " + ProcessHandle.current().pid() + " ("), e.getMessage());
                    assertTrue(e.getMessage().endsWith("stop it (kill " + ProcessHandle.current().pid() + "), the program goes with the link"),
                            e.getMessage());
                }
                // With it gone, the same name opens.
                Ports.open("xdp:" + net.ifB + "-1/R", Ports.Direction.RECEIVE).close();
                assertEquals("xdp:" + net.ifB + "-5/R: " + net.ifB + " has queues 0..1, no queue 5",
                        assertThrows(PortException.class, () -> Ports.open("xdp:" + net.ifB + "-5/R", Ports.Direction.RECEIVE))
                                .getMessage());
                assertEquals("xdp:nbnosuch0: no such network interface: nbnosuch0",
                        assertThrows(PortException.class, () -> Ports.open("xdp:nbnosuch0", Ports.Direction.RECEIVE))
                                .getMessage());
                assertTrue(assertThrows(PortException.class, () -> Ports.open("xdp:" + net.ifB + "^1", Ports.Direction.RECEIVE))
                        .getMessage().contains("one host ring pair"));
                return null;
            });
        }
    }
}
