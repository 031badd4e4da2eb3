package io.netbypass.port;

import java.util.Arrays;
import java.util.function.ObjLongConsumer;

/**
 * The skeleton of every port, netmap's generic sync: it owns the rings, their
 * {@link KernelRing} indices and the {@link PortCounters}; {@link #rxSync()} and {@link #txSync()}
 * run the prologue (head/cur checked, a broken ring put back to the device's view and counted),
 * the backend's {@link RingSync} for that ring, and the finalize (the ring's timestamp when
 * {@link Ring#TIMESTAMP} asks for it). A backend adds its rings when it binds them and writes only
 * the per-ring syncs, its own counters ({@link #deviceStatistics}) and what closing gives back
 * ({@link #release}).
 */
public abstract class RingPort implements Port {
    private final PortName name;
    private final BufferPool pool;
    private final PortCounters counters = new PortCounters();
    private Ring[] rx = new Ring[0];
    private Ring[] tx = new Ring[0];
    private KernelRing[] rxKernel = new KernelRing[0];
    private KernelRing[] txKernel = new KernelRing[0];
    private RingSync[] rxSyncs = new RingSync[0];
    private RingSync[] txSyncs = new RingSync[0];
    private volatile boolean closed;

    protected RingPort(PortName name, BufferPool pool) {
        this.name = name;
        this.pool = pool;
    }

    /** Adds an RX ring, empty (every slot the device's until it receives), synced by {@code sync}. */
    protected final KernelRing addRx(Ring ring, RingSync sync) {
        KernelRing k = new KernelRing(ring);
        k.reset(0, 0);
        rx = append(rx, ring);
        rxKernel = append(rxKernel, k);
        rxSyncs = append(rxSyncs, sync);
        return k;
    }

    /** Adds a TX ring, every slot but one the application's, synced by {@code sync}. */
    protected final KernelRing addTx(Ring ring, RingSync sync) {
        KernelRing k = new KernelRing(ring);
        k.reset(0, ring.slots() - 1);
        tx = append(tx, ring);
        txKernel = append(txKernel, k);
        txSyncs = append(txSyncs, sync);
        return k;
    }

    /** {@code a} with {@code x} at its end: for rings and per-ring state, added once when a port binds. */
    protected static <T> T[] append(T[] a, T x) {
        T[] b = Arrays.copyOf(a, a.length + 1);
        b[a.length] = x;
        return b;
    }

    @Override public final PortName name() { return name; }
    @Override public final BufferPool pool() { return pool; }
    @Override public final int rxRings() { return rx.length; }
    @Override public final int txRings() { return tx.length; }
    @Override public final Ring rxRing(int i) { return rx[i]; }
    @Override public final Ring txRing(int i) { return tx[i]; }
    @Override public final boolean isClosed() { return closed; }

    /** The device side of RX ring {@code i}. */
    protected final KernelRing rxKernel(int i) { return rxKernel[i]; }
    protected final KernelRing txKernel(int i) { return txKernel[i]; }

    /** The counters every port has, for the backend's syncs to count into. */
    public final PortCounters counters() { return counters; }
    public final long received() { return counters.received(); }
    public final long transmitted() { return counters.transmitted(); }
    public final long badSlots() { return counters.badSlots(); }
    public final long syncErrors() { return counters.syncErrors(); }

    @Override
    public final int rxSync() {
        return sync(rxKernel, rxSyncs);
    }

    @Override
    public final int txSync() {
        return sync(txKernel, txSyncs);
    }

    private int sync(KernelRing[] rings, RingSync[] syncs) {
        int errors = 0;
        for (int r = 0; r < rings.length; r++) {
            KernelRing k = rings[r];
            int head = k.prologue();
            if (head < 0) {
                counters.syncError();
                errors++;
                continue;
            }
            syncs[r].sync(k, head);
            Ring ring = k.ring();
            if ((ring.flags() & Ring.TIMESTAMP) != 0) {
                ring.timestampNanos(System.currentTimeMillis() * 1_000_000L);
            }
        }
        return errors;
    }

    /**
     * The release of an RX ring whose slots keep their buffers (the device copies frames into
     * them: a capture file, AF_PACKET, a TAP): the slots {@code [hwcur, head)} have their flags
     * cleared, a buffer index the application broke is put back from {@code lastBuffers} (the
     * last valid buffer each slot had, from {@link #slotBuffers}) and counted, and hwcur moves to
     * {@code head}.
     */
    protected final void releaseKeepingBuffers(KernelRing k, int head, int[] lastBuffers) {
        Ring ring = k.ring();
        for (int i = k.hwcur(); i != head; i = ring.next(i)) {
            int b = ring.bufferIndex(i);
            if (!pool.valid(b)) {
                counters.badSlots(1);
                ring.setBufferIndex(i, lastBuffers[i]);
            } else {
                lastBuffers[i] = b;
            }
            ring.setSlotFlags(i, 0);
        }
        k.consumed(head);
    }

    /** Each slot's buffer index now: the record {@link #releaseKeepingBuffers} keeps. */
    protected static int[] slotBuffers(Ring ring) {
        int[] b = new int[ring.slots()];
        for (int i = 0; i < b.length; i++) {
            b[i] = ring.bufferIndex(i);
        }
        return b;
    }

    /** The common counters, then the backend's own. */
    @Override
    public final void statistics(ObjLongConsumer<String> sink) {
        counters.report(sink);
        deviceStatistics(sink);
    }

    /** What only this backend counts, with stable snake_case names; read outside the hot path. */
    protected void deviceStatistics(ObjLongConsumer<String> sink) {
    }

    /** Closes once: marks the port closed, then {@link #release}s the device. */
    @Override
    public final void close() {
        if (closed) {
            return;
        }
        closed = true;
        release();
    }

    /** Gives the rings back to the device: frames still held are sent or handed on, memory freed. */
    protected abstract void release();

    @Override
    public String toString() {
        return name.toString();
    }
}
