package io.netbypass.backend.vnic;

import java.lang.foreign.MemorySegment;

/** Frames arriving on a wire together: where each one's bytes are in one segment. Reused. */
public final class WireBatch {
    private final MemorySegment segment;
    final long[] offsets;
    final int[] lengths;
    int count;

    public WireBatch(MemorySegment segment, int capacity) {
        this.segment = segment;
        this.offsets = new long[capacity];
        this.lengths = new int[capacity];
    }

    public MemorySegment segment() { return segment; }
    public int capacity() { return offsets.length; }
    public int count() { return count; }
    public long offset(int i) { return offsets[i]; }
    public int length(int i) { return lengths[i]; }

    public void clear() {
        count = 0;
    }

    /** Adds a frame; false when the batch is full. */
    public boolean add(long offset, int length) {
        if (count == offsets.length) {
            return false;
        }
        offsets[count] = offset;
        lengths[count] = length;
        count++;
        return true;
    }

    /** Sets frame {@code i} (for generators that rewrite a batch in place). */
    public void set(int i, long offset, int length) {
        offsets[i] = offset;
        lengths[i] = length;
    }

    public void count(int count) {
        this.count = count;
    }
}
