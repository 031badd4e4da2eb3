package io.netbypass.demo;

import io.netbypass.gen.FrameSource;

import java.lang.foreign.MemorySegment;

/** Interleaves frame sources in a fixed pattern (e.g. 12 flood, 1 query, 3 ordinary), counting each. */
public final class MixedSource implements FrameSource {
    private final FrameSource[] sources;
    private final int[] pattern;
    private final long[] made;
    private final int maxLength;
    private int position;

    public MixedSource(FrameSource[] sources, int[] pattern) {
        this.sources = sources.clone();
        this.pattern = pattern.clone();
        this.made = new long[sources.length];
        int max = 0;
        for (FrameSource s : sources) {
            max = Math.max(max, s.maxLength());
        }
        this.maxLength = max;
    }

    @Override
    public int next(MemorySegment dst, long offset) {
        int s = pattern[position];
        position = position + 1 == pattern.length ? 0 : position + 1;
        made[s]++;
        return sources[s].next(dst, offset);
    }

    @Override
    public int maxLength() {
        return maxLength;
    }

    /** Frames made by source {@code s}; exact once the feeder stopped. */
    public long made(int s) {
        return made[s];
    }
}
