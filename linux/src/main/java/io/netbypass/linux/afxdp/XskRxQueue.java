package io.netbypass.linux.afxdp;

import io.netbypass.packet.FrameHeaders;
import io.netbypass.port.BufferPool;
import io.netbypass.port.HostForwarder;
import io.netbypass.port.KernelRing;
import io.netbypass.port.PortCounters;
import io.netbypass.port.Ring;
import io.netbypass.port.RingSync;

import java.lang.foreign.MemorySegment;

/**
 * One RX queue of an {@code xdp:} port: a netmap RX ring over an AF_XDP socket's fill and RX
 * rings, every slot's buffer a UMEM chunk. A sync gives the released slots' chunks to the fill
 * ring (forwarding those marked {@link Ring#SLOT_FORWARD} first), then moves received
 * descriptors into the free slots: the chunk becomes the slot's buffer, so nothing is copied.
 * Frames larger than a chunk arrive as {@link Ring#MOREFRAG} chains, published whole only.
 */
final class XskRxQueue implements RingSync {
    private final XskRing fill;
    private final XskRing rx;
    private final BufferPool pool;
    private final MemorySegment memory;
    private final int dataOffset;
    private final int chunkShift;
    /** Per slot: the chunk we put there, for a slot the application broke. */
    private final int[] shadow;
    private final HostForwarder toHost;
    private final PortCounters counters;
    private final Runnable wakeFill;
    private long relocated;

    /**
     * Lends every slot's buffer to the kernel through {@code fill}: the ring starts empty. The
     * fill ring has room for every slot ({@code fill.size >= ring.slots()}), and no more chunks
     * than slots ever circulate, so giving back what is released never finds it full.
     */
    XskRxQueue(Ring ring, XskRing fill, XskRing rx, MemorySegment memory, int chunkShift, HostForwarder toHost,
               PortCounters counters, Runnable wakeFill) {
        if (fill.size < ring.slots()) {
            throw new IllegalArgumentException("fill ring of " + fill.size + " entries for " + ring.slots() + " slots");
        }
        this.fill = fill;
        this.rx = rx;
        this.pool = ring.pool();
        this.memory = memory;
        this.dataOffset = pool.dataOffset();
        this.chunkShift = chunkShift;
        this.shadow = new int[ring.slots()];
        this.toHost = toHost;
        this.counters = counters;
        this.wakeFill = wakeFill;
        int p = fill.producerIndex();
        int n = fill.reserve(ring.slots());
        for (int i = 0; i < n; i++) {
            fill.setAddress(p + i, (long) ring.bufferIndex(i) << chunkShift);
            shadow[i] = ring.bufferIndex(i);
        }
        fill.submit(n);
    }

    @Override
    public void sync(KernelRing k, int head) {
        Ring ring = k.ring();
        // Released slots: their buffers (swapped or not) go back to the kernel's fill ring.
        boolean forward = (ring.flags() & Ring.FORWARD) != 0;
        int i = k.hwcur();
        int p = fill.producerIndex();
        int released = 0;
        while (i != head) {
            int b = ring.bufferIndex(i);
            int flags = ring.slotFlags(i);
            if (!pool.valid(b)) {
                b = shadow[i];
                ring.setBufferIndex(i, b);
                counters.badSlots(1);
                toHost.broken((flags & Ring.MOREFRAG) != 0);
            } else if (forward && (flags & Ring.SLOT_FORWARD) != 0) {
                toHost.slot(memory, ((long) b << chunkShift) + dataOffset, ring.length(i), (flags & Ring.MOREFRAG) != 0,
                        ring.headers(i));
            } else {
                toHost.notForwarded();
            }
            fill.setAddress(p + released++, (long) b << chunkShift);
            ring.setSlotFlags(i, 0);
            if ((flags & Ring.SLOT_FORWARD) != 0) {
                ring.setHeaders(i, FrameHeaders.UNKNOWN); // whoever forwards this slot's next frame gives its own
            }
            i = ring.next(i);
        }
        if (released > 0) {
            fill.submit(released);
            toHost.flush(); // the end of this batch for GRO
        }
        k.consumed(head);

        // Received descriptors into the free slots, from hwtail up to the slot before head.
        int room = k.distance(k.hwtail(), head == 0 ? ring.slots() - 1 : head - 1);
        int count = rx.peek(room);
        int cons = rx.consumerIndex();
        // Whole frames only: a chain cut at the tail would look like two packets (the rest waits for room).
        while (count > 0 && (rx.descOptions(cons + count - 1) & XdpDescriptor.XDP_PKT_CONTD) != 0) {
            count--;
        }
        int j = k.hwtail();
        long frames = 0;
        for (int x = 0; x < count; x++) {
            long addr = rx.descAddress(cons + x);
            int len = rx.descLength(cons + x);
            int chunk = (int) (addr >>> chunkShift);
            long start = (long) chunk << chunkShift;
            if (addr - start != dataOffset) {
                // Not where the pool's data starts (a program moved the head): move it there.
                len = Math.min(len, pool.bufferSize());
                MemorySegment.copy(memory, addr, memory, start + dataOffset, len);
                relocated++;
            }
            ring.setBufferIndex(j, chunk);
            shadow[j] = chunk;
            ring.setLength(j, len);
            boolean more = (rx.descOptions(cons + x) & XdpDescriptor.XDP_PKT_CONTD) != 0;
            ring.setSlotFlags(j, more ? Ring.MOREFRAG : 0);
            if (!more) {
                frames++;
            }
            j = ring.next(j);
        }
        if (count > 0) {
            rx.release(count);
            counters.received(frames);
            k.publishTail(j);
        }
        wakeFill.run();
    }

    /** Frames whose data the kernel put elsewhere than the pool's data offset, moved there. */
    long relocated() {
        return relocated;
    }

    HostForwarder forwarder() {
        return toHost;
    }
}
