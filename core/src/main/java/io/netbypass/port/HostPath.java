package io.netbypass.port;

import java.lang.foreign.MemorySegment;
import java.util.function.ObjLongConsumer;

/**
 * The way back into the kernel's stack for frames a port took from it (netmap's host rings,
 * NS_FORWARD): a port forwards a released RX slot marked {@link Ring#SLOT_FORWARD} here, with the
 * {@link io.netbypass.packet.FrameHeaders} its application put in the slot, so that a frame the
 * filter parsed is not parsed again. Frames may be held and coalesced (GRO) until
 * {@link #flush()}, which ends every batch. A backend is given its host path when it opens
 * (the TAP on Linux, the software NIC's host stack in process) and knows it only as this.
 */
public interface HostPath extends AutoCloseable {
    /**
     * Hands one frame to the host stack; the bytes are copied (or merged) before this returns.
     * {@code headers}: where its headers are, or {@link io.netbypass.packet.FrameHeaders#UNKNOWN}.
     * False when it was dropped (and counted).
     */
    boolean forward(MemorySegment segment, long offset, int length, long headers);

    /** Delivers whatever is held: the end of a batch. */
    void flush();

    /** One line for the operator: where forwarded frames go. */
    String description();

    /** Its own counters (what the kernel took, what it refused), names as in {@link Port#statistics}. */
    default void statistics(ObjLongConsumer<String> sink) {
    }

    /** Delivers what is held and lets go of the way into the kernel. */
    @Override
    void close();
}
