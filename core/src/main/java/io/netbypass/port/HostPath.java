package io.netbypass.port;

import java.lang.foreign.MemorySegment;

/**
 * The way back into the kernel's stack for frames a port took from it (netmap's host rings,
 * NS_FORWARD): a port forwards a released RX slot marked {@link Ring#SLOT_FORWARD} here.
 * Frames may be held and coalesced (GRO) until {@link #flush()}, which ends every batch.
 */
public interface HostPath {
    /** Hands one frame to the host stack; the bytes are copied (or merged) before this returns. False when it was dropped. */
    boolean forward(MemorySegment segment, long offset, int length);

    /** Delivers whatever is held: the end of a batch. */
    void flush();
}
