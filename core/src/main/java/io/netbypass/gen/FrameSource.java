package io.netbypass.gen;

import java.lang.foreign.MemorySegment;

/** Something that writes frames: a {@link Generator}, or a mix of them. */
public interface FrameSource {
    /** Writes the next frame at {@code offset} and returns its length (at most {@link #maxLength()}). */
    int next(MemorySegment dst, long offset);

    int maxLength();
}
