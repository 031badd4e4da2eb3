package io.netbypass.linux.afxdp;

import io.netbypass.linux.Errno;
import io.netbypass.port.BufferPool;
import io.netbypass.port.KernelRing;
import io.netbypass.port.PortCounters;
import io.netbypass.port.Ring;
import io.netbypass.port.RingSync;

import java.util.function.IntSupplier;

/**
 * One TX queue of an {@code xdp:} port: a netmap TX ring over an AF_XDP socket's TX and
 * completion rings. A submitted slot's chunk goes on the TX ring and the slot takes a spare
 * chunk, so the slot is free again at once; completions refill the spares. A
 * {@link Ring#MOREFRAG} chain is posted whole or not yet (and only where the socket takes chains).
 */
final class XskTxQueue implements RingSync {
    private final XskRing tx;
    private final XskRing completion;
    private final BufferPool pool;
    private final int dataOffset;
    private final int chunkShift;
    private final boolean chains;
    private final boolean zeroCopy;
    /** sendto(MSG_DONTWAIT) on the socket: 0 or -errno. */
    private final IntSupplier kick;
    private final PortCounters counters;
    private final int[] spare;
    private int spareCount;
    private long kicks;
    private long kickErrors;

    /** Takes {@code ring.slots()} spare chunks from the pool. */
    XskTxQueue(Ring ring, XskRing tx, XskRing completion, int chunkShift, boolean chains, boolean zeroCopy, IntSupplier kick,
               PortCounters counters) {
        this.tx = tx;
        this.completion = completion;
        this.pool = ring.pool();
        this.dataOffset = pool.dataOffset();
        this.chunkShift = chunkShift;
        this.chains = chains;
        this.zeroCopy = zeroCopy;
        this.kick = kick;
        this.counters = counters;
        this.spare = new int[ring.slots()];
        for (int i = 0; i < spare.length; i++) {
            spare[i] = pool.take();
        }
        this.spareCount = spare.length;
    }

    @Override
    public void sync(KernelRing k, int head) {
        Ring ring = k.ring();
        reapCompletions();
        int budget = tx.reserve(spareCount);
        int prod = tx.producerIndex();
        int posted = 0;
        int frames = 0;
        int i = k.hwcur();
        int bufferSize = pool.bufferSize();
        while (i != head) {
            // A frame: this slot and, while MOREFRAG is set, the ones after it, posted whole or not yet.
            int last = i;
            int n = 1;
            boolean bad = false;
            int flags;
            while (true) {
                flags = ring.slotFlags(last);
                int b = ring.bufferIndex(last);
                int len = ring.length(last);
                if (!pool.valid(b) || (flags & Ring.INDIRECT) != 0 || len <= 0 || len > bufferSize) {
                    bad = true;
                }
                if ((flags & Ring.MOREFRAG) == 0 || ring.next(last) == head || n == Ring.MAX_FRAGMENTS) {
                    break;
                }
                last = ring.next(last);
                n++;
            }
            // A chain cut at head or too long, or a chain where the socket takes none: refused like any broken slot.
            bad |= (flags & Ring.MOREFRAG) != 0 || (n > 1 && !chains);
            if (!bad && posted + n > budget) {
                break; // no room on the TX ring or no spare buffers: the frame waits for the next sync
            }
            int end = ring.next(last);
            for (int x = i; x != end; x = ring.next(x)) {
                if (bad) {
                    counters.badSlots(1);
                } else {
                    tx.setDesc(prod + posted, ((long) ring.bufferIndex(x) << chunkShift) + dataOffset, ring.length(x),
                            x == last ? 0 : XdpDescriptor.XDP_PKT_CONTD);
                    ring.setBufferIndex(x, spare[--spareCount]);
                    posted++;
                }
                ring.setSlotFlags(x, 0);
            }
            if (!bad) {
                frames++;
            }
            i = end;
        }
        if (posted > 0) {
            tx.submit(posted);
            counters.transmitted(frames);
        }
        push();
        k.consumed(i);
        k.publishTail(i == 0 ? ring.slots() - 1 : i - 1);
    }

    /**
     * Makes the kernel send what is on the TX ring: in copy mode transmission happens inside
     * sendto, in zero-copy mode only when the driver asked for a wakeup.
     */
    void push() {
        for (int tries = 0; tries < 8 && tx.outstanding() != 0; tries++) {
            if (zeroCopy && !tx.needsWakeup()) {
                return;
            }
            int rc = kick.getAsInt();
            kicks++;
            if (rc == -Errno.ENOBUFS || rc == -Errno.EAGAIN || rc == -Errno.EBUSY) {
                reapCompletions(); // the completion ring was full, or the device busy: make room and retry
            } else if (rc != 0) {
                kickErrors++;
                return;
            }
            if (zeroCopy) {
                return;
            }
        }
    }

    /** Completed chunks back to the spares. */
    void reapCompletions() {
        int n = completion.peek(spare.length - spareCount);
        int cons = completion.consumerIndex();
        for (int x = 0; x < n; x++) {
            spare[spareCount++] = (int) (completion.address(cons + x) >>> chunkShift);
        }
        if (n > 0) {
            completion.release(n);
        }
    }

    /** Frames handed to the kernel for transmission that it has not completed yet. */
    int inFlight() {
        return spare.length - spareCount;
    }

    long kicks() { return kicks; }
    long kickErrors() { return kickErrors; }
}
