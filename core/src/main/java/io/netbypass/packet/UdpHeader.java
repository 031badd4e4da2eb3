package io.netbypass.packet;

import java.lang.foreign.MemorySegment;

import static io.netbypass.packet.UdpDescriptor.*;

/** Flyweight over a UDP header; callers have checked the 8 bytes lie within the frame. */
public final class UdpHeader {
    private MemorySegment segment;
    private long offset;

    public UdpHeader wrap(MemorySegment segment, long offset) {
        this.segment = segment;
        this.offset = offset;
        return this;
    }

    public long offset() { return offset; }
    public int sourcePort() { return Bytes.u16(segment, offset + SOURCE_PORT_OFFSET); }
    public int destinationPort() { return Bytes.u16(segment, offset + DESTINATION_PORT_OFFSET); }
    public int length() { return Bytes.u16(segment, offset + LENGTH_OFFSET); }
    public int checksum() { return Bytes.u16(segment, offset + CHECKSUM_OFFSET); }

    public void checksum(int checksum) { Bytes.put16(segment, offset + CHECKSUM_OFFSET, checksum); }
}
