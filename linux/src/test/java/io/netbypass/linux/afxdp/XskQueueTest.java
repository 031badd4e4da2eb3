package io.netbypass.linux.afxdp;

import static org.junit.jupiter.api.Assertions.*;

import io.netbypass.packet.FrameHeaders;
import io.netbypass.port.BufferPool;
import io.netbypass.port.HostForwarder;
import io.netbypass.port.HostPath;
import io.netbypass.port.KernelRing;
import io.netbypass.port.PortCounters;
import io.netbypass.port.Ring;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The {@code xdp:} port's queue objects on arena memory, without root: the test plays the kernel
 * on the other side of each {@link XskRing} (it consumes the fill and TX rings, produces the RX and
 * completion rings), as the kernel's xsk code does with the same free-running indices.
 */
class XskQueueTest {
    private static final int CHUNK = 2048;
    private static final int SHIFT = 11;
    private static final int HEADROOM = 256;
    private static final int SLOTS = 8;

    private final Arena arena = Arena.ofConfined();
    private final MemorySegment umem = arena.allocate(64L * CHUNK, 4096);
    private final BufferPool pool = BufferPool.over(umem, 64, CHUNK, HEADROOM);

    @AfterEach
    void close() {
        arena.close();
    }

    /** A ring in arena memory: producer at 0, consumer at 64, flags at 128, entries from 192. */
    private XskRing ring(int size, int entryBytes) {
        MemorySegment m = arena.allocate(192 + (long) size * entryBytes, 64);
        return new XskRing(m, 0, 64, 128, 192, size);
    }

    private static int producer(XskRing r) { return r.mapping.get(ValueLayout.JAVA_INT, 0); }
    private static int consumer(XskRing r) { return r.mapping.get(ValueLayout.JAVA_INT, 64); }
    private static void producer(XskRing r, int v) { r.mapping.set(ValueLayout.JAVA_INT, 0, v); }
    private static void consumer(XskRing r, int v) { r.mapping.set(ValueLayout.JAVA_INT, 64, v); }

    @Test
    void reserveSubmitPeekReleaseFollowTheSharedIndices() {
        XskRing fill = ring(4, 8);
        assertEquals(4, fill.reserve(10), "an empty producer ring has room for all its entries");
        int p = fill.producerIndex();
        for (int i = 0; i < 3; i++) {
            fill.setAddress(p + i, i * 100L);
        }
        fill.submit(3);
        assertEquals(3, producer(fill));
        assertEquals(1, fill.reserve(4), "three not yet consumed by the kernel");
        consumer(fill, 2); // the kernel took two
        assertEquals(3, fill.reserve(4));
        assertEquals(1, fill.outstanding());

        XskRing rx = ring(4, XdpDescriptor.DESC_LENGTH).asConsumer();
        assertEquals(0, rx.peek(4));
        rx.setDesc(0, 5L << SHIFT, 60, 0);
        rx.setDesc(1, 6L << SHIFT, 61, 0);
        producer(rx, 2);
        assertEquals(2, rx.peek(4));
        assertEquals(60, rx.descLength(rx.consumerIndex()));
        rx.release(2);
        assertEquals(2, consumer(rx));
        assertEquals(0, rx.peek(4));
    }

    /** The kernel's side of an RX queue: chunks it took from the fill ring, frames it puts on the RX ring. */
    private static List<Long> takeFill(XskRing fill) {
        List<Long> taken = new ArrayList<>();
        int c = consumer(fill);
        int p = producer(fill);
        for (int i = c; i != p; i++) {
            taken.add(fill.address(i));
        }
        consumer(fill, p);
        return taken;
    }

    private void deliver(XskRing rx, long address, byte[] frame, int options) {
        MemorySegment.copy(MemorySegment.ofArray(frame), 0, umem, address, frame.length);
        int p = producer(rx);
        rx.setDesc(p, address, frame.length, options);
        producer(rx, p + 1);
    }

    @Test
    void rxQueueLendsEverySlotThenExposesWholeFramesAndGivesReleasedChunksBack() {
        XskRing fill = ring(SLOTS, 8);
        XskRing rx = ring(SLOTS, XdpDescriptor.DESC_LENGTH).asConsumer();
        Ring ring = Ring.allocate(arena, Ring.Kind.RX, 0, SLOTS, pool);
        PortCounters counters = new PortCounters();
        List<byte[]> forwarded = new ArrayList<>();
        List<Long> headers = new ArrayList<>();
        HostPath host = new HostPath() {
            @Override
            public boolean forward(MemorySegment s, long offset, int length, long h) {
                forwarded.add(s.asSlice(offset, length).toArray(ValueLayout.JAVA_BYTE));
                headers.add(h);
                return true;
            }
            @Override public void flush() { }
            @Override public String description() { return "test"; }
            @Override public void close() { }
        };
        int[] wakes = new int[1];
        XskRxQueue q = new XskRxQueue(ring, fill, rx, umem, SHIFT, new HostForwarder(host, pool.bufferSize(), arena), counters,
                () -> wakes[0]++);
        KernelRing k = new KernelRing(ring);
        k.reset(0, 0);
        List<Long> lent = takeFill(fill);
        assertEquals(SLOTS, lent.size(), "every slot's chunk is lent to the kernel");

        // One frame at the pool's data offset, one where an XDP program moved the head (relocated), one two-part chain.
        byte[] a = {1, 2, 3, 4};
        byte[] b = {5, 6, 7};
        deliver(rx, lent.get(0) + HEADROOM, a, 0);
        deliver(rx, lent.get(1) + HEADROOM + 10, b, 0);
        deliver(rx, lent.get(2) + HEADROOM, new byte[] {8}, XdpDescriptor.XDP_PKT_CONTD);
        q.sync(k, ring.head());
        assertEquals(2, ring.tail(), "the chain's first part waits for its last");
        assertEquals(2, counters.received());
        assertEquals(1, q.relocated());
        assertArrayEquals(a, umem.asSlice(ring.offset(0), ring.length(0)).toArray(ValueLayout.JAVA_BYTE));
        assertArrayEquals(b, umem.asSlice(ring.offset(1), ring.length(1)).toArray(ValueLayout.JAVA_BYTE));
        deliver(rx, lent.get(3) + HEADROOM, new byte[] {9}, 0);
        q.sync(k, ring.head());
        assertEquals(4, ring.tail());
        assertEquals(Ring.MOREFRAG, ring.slotFlags(2));
        assertEquals(3, counters.received());

        // Release all: the first forwarded with its headers, the chain forwarded gathered, one slot broken.
        ring.flags(Ring.FORWARD);
        ring.setSlotFlags(0, Ring.SLOT_FORWARD);
        ring.setHeaders(0, FrameHeaders.UNKNOWN);
        ring.setBufferIndex(1, 999);
        ring.setSlotFlags(2, Ring.SLOT_FORWARD | Ring.MOREFRAG);
        ring.setSlotFlags(3, Ring.SLOT_FORWARD);
        ring.advance(4);
        q.sync(k, ring.head());
        assertEquals(1, counters.badSlots());
        assertEquals(List.of(a.length, 2), List.of(forwarded.get(0).length, forwarded.get(1).length));
        assertArrayEquals(new byte[] {8, 9}, forwarded.get(1));
        List<Long> back = takeFill(fill);
        assertEquals(List.of(lent.get(0), lent.get(1), lent.get(2), lent.get(3)), back,
                "every chunk goes back, the broken slot's from the queue's own record");
        assertEquals(0, ring.slotFlags(0));
        assertTrue(wakes[0] >= 3);
    }

    @Test
    void txQueueSwapsSparesPostsWholeChainsAndReclaimsCompletions() {
        XskRing tx = ring(SLOTS, XdpDescriptor.DESC_LENGTH);
        XskRing completion = ring(SLOTS, 8).asConsumer();
        Ring ring = Ring.allocate(arena, Ring.Kind.TX, 0, SLOTS, pool);
        PortCounters counters = new PortCounters();
        int[] kicks = new int[1];
        XskTxQueue q = new XskTxQueue(ring, tx, completion, SHIFT, true, false, () -> {
            kicks[0]++;
            return 0;
        }, counters);
        KernelRing k = new KernelRing(ring);
        k.reset(0, SLOTS - 1);
        int b0 = ring.bufferIndex(0);
        ring.setLength(0, 60);
        ring.setLength(1, 100);
        ring.setSlotFlags(1, Ring.MOREFRAG);
        ring.setLength(2, 40);
        ring.setLength(3, 50);
        ring.setSlotFlags(3, Ring.MOREFRAG); // a chain cut at head: refused like a broken slot
        ring.advance(4);
        q.sync(k, ring.head());
        assertEquals(3, producer(tx), "one frame and one two-part chain posted");
        assertEquals((long) b0 << SHIFT | HEADROOM, tx.descAddress(0));
        assertEquals(XdpDescriptor.XDP_PKT_CONTD, tx.descOptions(1));
        assertEquals(0, tx.descOptions(2));
        assertEquals(2, counters.transmitted());
        assertNotEquals(b0, ring.bufferIndex(0), "the slot took a spare");
        assertEquals(3, q.inFlight());
        assertTrue(kicks[0] >= 1, "copy mode: sendto makes the kernel send");
        assertEquals(4, k.hwcur());
        assertEquals(1, counters.badSlots(), "the chain cut at head");
        // The kernel sent them: completions give the chunks back.
        consumer(tx, 3);
        for (int i = 0; i < 3; i++) {
            completion.mapping.set(ValueLayout.JAVA_LONG, 192 + i * 8L, tx.descAddress(i) & ~(CHUNK - 1L));
        }
        producer(completion, 3);
        q.reapCompletions();
        assertEquals(0, q.inFlight());
        // A slot without a valid buffer is refused, not posted.
        ring.setBufferIndex(4, -5);
        ring.setLength(4, 60);
        ring.advance(5);
        q.sync(k, ring.head());
        assertEquals(3, producer(tx));
        assertEquals(2, counters.badSlots());
    }
}
