package io.netbypass.packet;

import java.lang.foreign.MemorySegment;

import static io.netbypass.packet.Ipv6Descriptor.*;

/** Flyweight over an IPv6 fixed header; callers have checked the 40 bytes lie within the frame. */
public final class Ipv6Header {
    private MemorySegment segment;
    private long offset;

    public Ipv6Header wrap(MemorySegment segment, long offset) {
        this.segment = segment;
        this.offset = offset;
        return this;
    }

    public long offset() { return offset; }
    public int version() { return Bytes.u8(segment, offset) >>> 4; }
    public int trafficClass() { return (Bytes.u16(segment, offset) >>> 4) & 0xff; }
    public int flowLabel() { return (int) (Bytes.u32(segment, offset) & 0xfffff); }
    public int payloadLength() { return Bytes.u16(segment, offset + PAYLOAD_LENGTH_OFFSET); }
    public int nextHeader() { return Bytes.u8(segment, offset + NEXT_HEADER_OFFSET); }
    public int hopLimit() { return Bytes.u8(segment, offset + HOP_LIMIT_OFFSET); }
    public long sourceHigh() { return Bytes.i64(segment, offset + SOURCE_OFFSET); }
    public long sourceLow() { return Bytes.i64(segment, offset + SOURCE_OFFSET + 8); }
    public long destinationHigh() { return Bytes.i64(segment, offset + DESTINATION_OFFSET); }
    public long destinationLow() { return Bytes.i64(segment, offset + DESTINATION_OFFSET + 8); }

    public void hopLimit(int hopLimit) { Bytes.put8(segment, offset + HOP_LIMIT_OFFSET, hopLimit); }
    public void payloadLength(int length) { Bytes.put16(segment, offset + PAYLOAD_LENGTH_OFFSET, length); }
}
