package io.netbypass.packet;

import java.lang.foreign.MemorySegment;

import static io.netbypass.packet.Ipv4Descriptor.*;

/** Flyweight over an IPv4 header; callers have checked the header lies within the frame. */
public final class Ipv4Header {
    private MemorySegment segment;
    private long offset;

    public Ipv4Header wrap(MemorySegment segment, long offset) {
        this.segment = segment;
        this.offset = offset;
        return this;
    }

    public long offset() { return offset; }
    public int version() { return Bytes.u8(segment, offset) >>> 4; }
    public int headerLength() { return (Bytes.u8(segment, offset) & 0x0f) << 2; }
    public int dsfield() { return Bytes.u8(segment, offset + DSFIELD_OFFSET); }
    public int totalLength() { return Bytes.u16(segment, offset + TOTAL_LENGTH_OFFSET); }
    public int id() { return Bytes.u16(segment, offset + ID_OFFSET); }
    public int flagsAndFragment() { return Bytes.u16(segment, offset + FLAGS_FRAGMENT_OFFSET); }
    public boolean dontFragment() { return (flagsAndFragment() & FLAG_DF) != 0; }
    public boolean moreFragments() { return (flagsAndFragment() & FLAG_MF) != 0; }
    /** Fragment offset in bytes. */
    public int fragmentOffset() { return (flagsAndFragment() & FRAGMENT_OFFSET_MASK) << 3; }
    public boolean isFragment() { return (flagsAndFragment() & (FLAG_MF | FRAGMENT_OFFSET_MASK)) != 0; }
    public int ttl() { return Bytes.u8(segment, offset + TTL_OFFSET); }
    public int protocol() { return Bytes.u8(segment, offset + PROTOCOL_OFFSET); }
    public int checksum() { return Bytes.u16(segment, offset + CHECKSUM_OFFSET); }
    public int source() { return Bytes.i32(segment, offset + SOURCE_OFFSET); }
    public int destination() { return Bytes.i32(segment, offset + DESTINATION_OFFSET); }

    public void ttl(int ttl) { Bytes.put8(segment, offset + TTL_OFFSET, ttl); }
    public void totalLength(int length) { Bytes.put16(segment, offset + TOTAL_LENGTH_OFFSET, length); }
    public void checksum(int checksum) { Bytes.put16(segment, offset + CHECKSUM_OFFSET, checksum); }
    public void source(int address) { Bytes.put32(segment, offset + SOURCE_OFFSET, address); }
    public void destination(int address) { Bytes.put32(segment, offset + DESTINATION_OFFSET, address); }

    public boolean checksumValid() { return Checksums.verifyIpv4Header(segment, offset, headerLength()); }
}
