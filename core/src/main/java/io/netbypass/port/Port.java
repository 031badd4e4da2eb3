package io.netbypass.port;

import java.util.function.ObjLongConsumer;

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
        long deadline = timeoutNanos < 0 ? Long.MAX_VALUE : System.nanoTime() + timeoutNanos;
        idle.reset();
        while (true) {
            rxSync();
            for (int i = 0; i < rxRings(); i++) {
                if (!rxRing(i).isEmpty()) {
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
     * Whether what this port receives comes to an end it can see: a capture file, the traffic a
     * software NIC's wire is fed. A kernel device's traffic has no end; a run on it ends on a
     * signal or a duration.
     */
    default boolean hasEnd() {
        return false;
    }

    /**
     * For a port that {@link #hasEnd()}: the end came and every frame is in the RX rings or was
     * counted where it was lost (the end of the file; the wire's traffic all sent and steered).
     */
    default boolean drained() {
        return false;
    }

    /**
     * Whether the port receives copies (AF_PACKET): the kernel receives every frame anyway, so a
     * verdict takes nothing from it.
     */
    default boolean receivesCopies() {
        return false;
    }

    /** Whether frames marked {@link Ring#SLOT_FORWARD} reach a host stack (a host path, the software NIC's host). */
    default boolean forwardsToHost() {
        return false;
    }

    /**
     * Whether the host path reads a forwarded slot's {@link Ring#headers} (the TAP's does: checksums
     * and GRO without a second parse); an application that parsed the frame need not pack them otherwise.
     */
    default boolean usesFrameHeaders() {
        return false;
    }

    /**
     * An idle strategy that sleeps in the kernel until a receive ring may have packets (poll(2)
     * on the port's sockets), for {@link #pollRx}; null when the port has nothing to wait on in
     * the kernel (in-process and file ports). Each call makes a new one, for one thread.
     */
    default IdleStrategy waitStrategy() {
        return null;
    }

    /**
     * The file descriptors poll(2) reports readable when an RX ring may have packets (the port's
     * sockets), so that one thread can sleep on several ports at once; null when it has none.
     */
    default int[] pollDescriptors() {
        return null;
    }

    /**
     * One line for the operator at the end of a run about what the device itself did (what a
     * software NIC's wire carried and where it went), or null.
     */
    default String deviceSummary() {
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
    default void statistics(ObjLongConsumer<String> sink) {
    }

    /**
     * The device's rule engine in front of this port (XDP in the driver), or null when it has
     * none; ports of one device return the same one.
     */
    default DriverRules driverRules() {
        return null;
    }

    /** Gives the rings back to the device (for a NIC: its queues return to the host stack). */
    @Override
    void close();
}
