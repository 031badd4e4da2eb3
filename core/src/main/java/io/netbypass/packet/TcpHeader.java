package io.netbypass.packet;

import java.lang.foreign.MemorySegment;

import static io.netbypass.packet.TcpDescriptor.*;

/** Flyweight over a TCP header; callers have checked the header lies within the frame. */
public final class TcpHeader {
    private MemorySegment segment;
    private long offset;

    public TcpHeader wrap(MemorySegment segment, long offset) {
        this.segment = segment;
        this.offset = offset;
        return this;
    }

    public long offset() { return offset; }
    public int sourcePort() { return Bytes.u16(segment, offset + SOURCE_PORT_OFFSET); }
    public int destinationPort() { return Bytes.u16(segment, offset + DESTINATION_PORT_OFFSET); }
    public long sequence() { return Bytes.u32(segment, offset + SEQUENCE_OFFSET); }
    public long acknowledgment() { return Bytes.u32(segment, offset + ACK_OFFSET); }
    public int headerLength() { return (Bytes.u8(segment, offset + OFFSET_FLAGS_OFFSET) >>> 4) << 2; }
    public int flags() { return Bytes.u16(segment, offset + OFFSET_FLAGS_OFFSET) & FLAGS_MASK; }
    public int window() { return Bytes.u16(segment, offset + WINDOW_OFFSET); }
    public int checksum() { return Bytes.u16(segment, offset + CHECKSUM_OFFSET); }
    public int urgentPointer() { return Bytes.u16(segment, offset + URGENT_OFFSET); }

    public void checksum(int checksum) { Bytes.put16(segment, offset + CHECKSUM_OFFSET, checksum); }
}
