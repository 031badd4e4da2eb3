package io.netbypass.port;

import org.agrona.concurrent.IdleStrategy;

/**
 * An open port: the rings it took from a device, on one {@link BufferPool}. What the
 * application does with them follows netmap: touch only {@code [head, tail)}, move
 * {@code head/cur}, then sync. One thread uses a port; syncs never allocate or block.
 */
public interface Port extends AutoCloseable {
    PortName name();

    BufferPool pool();

    int rxRings();

    int txRings();

    /** RX ring {@code i} of this port, {@code 0 <= i < rxRings()}; {@link Ring#id()} says which queue. */
    Ring rxRing(int i);

    Ring txRing(int i);

    /**
     * NIOCRXSYNC: gives back the RX slots before each ring's head (forwarding those marked
     * {@link Ring#SLOT_FORWARD} when the ring has {@link Ring#FORWARD}), then exposes what arrived.
     * Returns the number of rings whose head/cur were invalid (they are reset), 0 normally.
     */
    int rxSync();

    /** NIOCTXSYNC: sends the TX slots before each ring's head and reclaims the sent ones. */
    int txSync();

    /**
     * Waits until an RX ring has a packet, syncing between idle steps: busy-poll, backoff or
     * sleeping according to {@code idle}. Returns false when {@code timeoutNanos} passed first
     * ({@code < 0}: no limit) or the port was closed.
     */
    default boolean pollRx(IdleStrategy idle, long timeoutNanos) {
        return poll(idle, timeoutNanos, true);
    }

    /** Waits until a TX ring has a free slot; as {@link #pollRx}. */
    default boolean pollTx(IdleStrategy idle, long timeoutNanos) {
        return poll(idle, timeoutNanos, false);
    }

    private boolean poll(IdleStrategy idle, long timeoutNanos, boolean rx) {
        long deadline = timeoutNanos < 0 ? Long.MAX_VALUE : System.nanoTime() + timeoutNanos;
        idle.reset();
        while (true) {
            int rings = rx ? rxRings() : txRings();
            if (rx) {
                rxSync();
            } else {
                txSync();
            }
            for (int i = 0; i < rings; i++) {
                if (!(rx ? rxRing(i) : txRing(i)).isEmpty()) {
                    return true;
                }
            }
            if (isClosed() || System.nanoTime() - deadline >= 0) {
                return false;
            }
            idle.idle(0);
        }
    }

    boolean isClosed();

    /**
     * An idle strategy that sleeps in the kernel until a receive ring may have packets (poll(2)
     * on the port's sockets), for {@link #pollRx}; null when the port has nothing to wait on in
     * the kernel (in-process and file ports). Each call makes a new one, for one thread.
     */
    default IdleStrategy waitStrategy() {
        return null;
    }

    /**
     * One line for the operator about how the port reaches the device (sockets, copy or
     * zero-copy, attach mode), or null when the name says it all.
     */
    default String description() {
        return null;
    }

    /**
     * Asks the device to stop delivering new frames to this port, at the end of a run: what
     * arrives from now on goes where it would go without the port (the kernel's stack, for a
     * bypassed queue), while what is already in the RX rings stays there to be read, so that a
     * run can drain its rings before it closes and lose nothing in between. Nothing to do by
     * default.
     */
    default void stopReceiving() {
    }

    /**
     * The device's own counters for this port (the kernel's AF_XDP drop counts, say), as
     * name/value pairs with stable snake_case names; read outside the hot path. None by default.
     */
    default void statistics(java.util.function.ObjLongConsumer<String> sink) {
    }

    /** Gives the rings back to the device (for a NIC: its queues return to the host stack). */
    @Override
    void close();
}
