package io.netbypass.hostpath;

import java.lang.foreign.MemorySegment;

/**
 * Where GRO and GSO put their output: one frame at {@code segment[offset, offset + length)},
 * valid only during the call. {@code gsoType} is a {@link VirtioNetHeader} GSO type
 * ({@link VirtioNetHeader#GSO_NONE} for an ordinary frame) and {@code gsoSize} the payload size
 * of each segment the frame stands for; {@code headers} where its headers are
 * ({@link io.netbypass.packet.FrameHeaders}, or {@code UNKNOWN}), so that the sink need not parse it.
 */
@FunctionalInterface
public interface PacketSink {
    void packet(MemorySegment segment, long offset, int length, int gsoType, int gsoSize, long headers);
}
