package io.netbypass.offload;

import java.lang.foreign.MemorySegment;

/**
 * Where GRO and GSO put their output: one frame at {@code segment[offset, offset + length)},
 * valid only during the call. {@code gsoType} is a {@link VirtioNetHeader} GSO type
 * ({@link VirtioNetHeader#GSO_NONE} for an ordinary frame) and {@code gsoSize} the payload size
 * of each segment the frame stands for.
 */
@FunctionalInterface
public interface PacketSink {
    void packet(MemorySegment segment, long offset, int length, int gsoType, int gsoSize);
}
