package io.netbypass.capture;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** One packet of a capture file, reused for every record: the data stays in the reader's mapping. */
public final class CaptureRecord {
    MemorySegment segment;
    long dataOffset;
    int capturedLength;
    int originalLength;
    long timestampNanos;
    int interfaceId;
    int linkType;
    long fileOffset;

    /** The mapped file (or buffer) holding the packet's bytes at {@link #dataOffset()}. */
    public MemorySegment segment() { return segment; }
    public long dataOffset() { return dataOffset; }
    public int capturedLength() { return capturedLength; }
    /** Length of the packet on the wire (frame.len); at least {@link #capturedLength()} in a sane file. */
    public int originalLength() { return originalLength; }
    /** Nanoseconds since the Unix epoch. */
    public long timestampNanos() { return timestampNanos; }
    public int interfaceId() { return interfaceId; }
    public int linkType() { return linkType; }
    /** Where the record starts in the file. */
    public long fileOffset() { return fileOffset; }

    /** Fills the record from memory the caller owns, for writers and generators. */
    public CaptureRecord set(MemorySegment segment, long dataOffset, int capturedLength, int originalLength,
                             long timestampNanos, int interfaceId, int linkType) {
        this.segment = segment;
        this.dataOffset = dataOffset;
        this.capturedLength = capturedLength;
        this.originalLength = originalLength;
        this.timestampNanos = timestampNanos;
        this.interfaceId = interfaceId;
        this.linkType = linkType;
        this.fileOffset = -1;
        return this;
    }

    public byte[] copyData() {
        return segment.asSlice(dataOffset, capturedLength).toArray(ValueLayout.JAVA_BYTE);
    }
}
