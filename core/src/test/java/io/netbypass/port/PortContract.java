package io.netbypass.port;

import static org.junit.jupiter.api.Assertions.*;

import io.netbypass.packet.AddressText;
import io.netbypass.packet.FrameBuilder;
import io.netbypass.packet.IpProtocols;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * netmap's ring contract, the same for every backend (Netty's one testsuite per transport): a
 * subclass gives a {@link Backend} (the software NIC, a capture file, AF_XDP, AF_PACKET, a TAP)
 * and every test here runs on it. Frames carry a marker, so a backend on a real interface may
 * see other traffic (the kernel's own) and the tests still count only theirs.
 */
public abstract class PortContract {
    /** One backend, set up for one test. */
    public interface Backend extends AutoCloseable {
        /** A port with an RX ring on which {@code frames} arrive, in this order (now or soon after). */
        Port openReceiver(List<byte[]> frames) throws Exception;

        /** A port with a TX ring whose frames {@link #sent} can see. */
        Port openTransmitter() throws Exception;

        /** The frames {@code transmitter} sent, as they came out, waiting a few seconds for {@code count} of ours. */
        List<byte[]> sent(Port transmitter, int count) throws Exception;

        @Override
        void close() throws Exception;
    }

    protected abstract Backend backend() throws Exception;

    private Backend backend;

    @BeforeEach
    void setUp() throws Exception {
        backend = backend();
    }

    @AfterEach
    void tearDown() throws Exception {
        backend.close();
    }

    private static final byte[] MARK = "netbypass-contract".getBytes(StandardCharsets.US_ASCII);

    /** Frame {@code i}: UDP to port 9 with the marker and {@code i} in its payload, no UDP checksum (allowed on IPv4). */
    public static byte[] frame(int i) {
        byte[] f = new FrameBuilder().addresses(AddressText.parseIpv4("198.18.0.1"), AddressText.parseIpv4("198.18.0.2"))
                .protocol(IpProtocols.UDP).ports(40000 + i, 9).macs(new byte[] {2, 0, 0, 0, 0, 1}, new byte[] {2, 0, 0, 0, 0, 2})
                .payload(MARK.length + 4 + i % 50).build();
        int payload = 14 + 20 + 8;
        System.arraycopy(MARK, 0, f, payload, MARK.length);
        f[payload + MARK.length] = (byte) (i >>> 8);
        f[payload + MARK.length + 1] = (byte) i;
        f[14 + 20 + 6] = 0;
        f[14 + 20 + 7] = 0;
        return f;
    }

    public static List<byte[]> frames(int count) {
        List<byte[]> l = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            l.add(frame(i));
        }
        return l;
    }

    /** Whether {@code f} is one of ours (a backend may see the kernel's traffic too). */
    public static boolean ours(byte[] f) {
        int payload = 14 + 20 + 8;
        return f.length >= payload + MARK.length + 2
                && Arrays.equals(f, payload, payload + MARK.length, MARK, 0, MARK.length);
    }

    private static byte[] read(Ring ring, int slot) {
        return ring.buffers().asSlice(ring.offset(slot), ring.length(slot)).toArray(ValueLayout.JAVA_BYTE);
    }

    /** Syncs until {@code count} of our frames were exposed (5 s at most), releasing each; returns ours in order. */
    private static List<byte[]> receive(Port port, int count) {
        List<byte[]> got = new ArrayList<>();
        long end = System.nanoTime() + 5_000_000_000L;
        while (got.size() < count && System.nanoTime() < end) {
            assertEquals(0, port.rxSync());
            for (int r = 0; r < port.rxRings(); r++) {
                Ring ring = port.rxRing(r);
                for (int i = ring.head(); i != ring.tail(); i = ring.next(i)) {
                    byte[] f = read(ring, i);
                    if (ours(f)) {
                        got.add(f);
                    }
                }
                ring.advance(ring.tail());
            }
            Thread.onSpinWait();
        }
        return got;
    }

    private static Map<String, Long> statistics(Port port) {
        Map<String, Long> m = new HashMap<>();
        port.statistics(m::put);
        return m;
    }

    private static void assertFrames(List<byte[]> expected, List<byte[]> actual) {
        assertEquals(expected.size(), actual.size(), "frames");
        for (int i = 0; i < expected.size(); i++) {
            assertArrayEquals(expected.get(i), actual.get(i), "frame " + i);
        }
    }

    @Test
    void arrivalsShowBetweenHeadAndTailOnlyAfterASyncAndInOrder() throws Exception {
        try (Port port = backend.openReceiver(frames(5))) {
            Ring ring = port.rxRing(0);
            assertEquals(ring.head(), ring.tail(), "a new RX ring is empty");
            assertFrames(frames(5), receive(port, 5));
            assertEquals(5, statistics(port).get("received"), "received counts frames");
        }
    }

    @Test
    void aHeadOutsideTheRingIsRefusedCountedAndPutBack() throws Exception {
        try (Port port = backend.openReceiver(frames(1))) {
            Ring ring = port.rxRing(0);
            int head = ring.head();
            ring.head(ring.slots() + 3);
            assertEquals(1, port.rxSync(), "one ring was broken");
            assertEquals(head, ring.head(), "put back to the device's view");
            assertEquals(head, ring.cur());
            assertEquals(1, statistics(port).get("sync_errors"));
            assertFrames(frames(1), receive(port, 1));
        }
    }

    @Test
    void aReleasedSlotWithABrokenBufferIsRepairedAndCounted() throws Exception {
        List<byte[]> two = frames(2);
        try (Port port = backend.openReceiver(two.subList(0, 1))) {
            List<byte[]> got = new ArrayList<>();
            long end = System.nanoTime() + 5_000_000_000L;
            while (got.isEmpty() && System.nanoTime() < end) {
                port.rxSync();
                Ring ring = port.rxRing(0);
                for (int i = ring.head(); i != ring.tail(); i = ring.next(i)) {
                    byte[] f = read(ring, i);
                    if (ours(f)) {
                        got.add(f);
                        ring.setBufferIndex(i, Integer.MAX_VALUE); // no such buffer
                        ring.setSlotFlags(i, Ring.BUF_CHANGED);
                    }
                }
                ring.advance(ring.tail());
            }
            assertEquals(1, got.size());
            port.rxSync();
            assertEquals(1, statistics(port).get("bad_slots"));
        }
    }

    @Test
    void transmittedFramesLeaveInOrderAndTheirSlotsAreFreeAgain() throws Exception {
        try (Port port = backend.openTransmitter()) {
            Ring ring = port.txRing(0);
            int free = ring.space();
            assertEquals(ring.slots() - 1, free, "a new TX ring is the application's but one slot");
            List<byte[]> frames = frames(4);
            int i = ring.head();
            for (byte[] f : frames) {
                MemorySegment.copy(MemorySegment.ofArray(f), 0, ring.buffers(), ring.offset(i), f.length);
                ring.setLength(i, f.length);
                i = ring.next(i);
            }
            ring.advance(i);
            assertEquals(0, port.txSync());
            assertFrames(frames, backend.sent(port, 4));
            assertEquals(4, statistics(port).get("transmitted"));
        }
    }

    @Test
    void aBrokenTxSlotIsNotSentAndTheNextOneIs() throws Exception {
        try (Port port = backend.openTransmitter()) {
            Ring ring = port.txRing(0);
            int i = ring.head();
            ring.setBufferIndex(i, Integer.MAX_VALUE);
            ring.setLength(i, 60);
            i = ring.next(i);
            byte[] f = frame(7);
            MemorySegment.copy(MemorySegment.ofArray(f), 0, ring.buffers(), ring.offset(i), f.length);
            ring.setLength(i, f.length);
            ring.advance(ring.next(i));
            assertEquals(0, port.txSync());
            assertFrames(List.of(f), backend.sent(port, 1));
            assertEquals(1, statistics(port).get("bad_slots"));
        }
    }

    @Test
    void closingTwiceIsHarmless() throws Exception {
        Port port = backend.openReceiver(List.of());
        assertFalse(port.isClosed());
        port.close();
        assertTrue(port.isClosed());
        port.close();
    }
}
