package io.netbypass.packet;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Network-byte-order reads and writes on a {@link MemorySegment}; unsigned results widened to int/long. */
public final class Bytes {
    public static final ValueLayout.OfShort U16_BE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    public static final ValueLayout.OfInt U32_BE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    public static final ValueLayout.OfLong U64_BE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private Bytes() {
    }

    public static int u8(MemorySegment s, long offset) {
        return s.get(ValueLayout.JAVA_BYTE, offset) & 0xff;
    }

    public static int u16(MemorySegment s, long offset) {
        return s.get(U16_BE, offset) & 0xffff;
    }

    public static long u32(MemorySegment s, long offset) {
        return s.get(U32_BE, offset) & 0xffff_ffffL;
    }

    /** The 32-bit big-endian word as a signed int: for addresses and hashing. */
    public static int i32(MemorySegment s, long offset) {
        return s.get(U32_BE, offset);
    }

    public static long i64(MemorySegment s, long offset) {
        return s.get(U64_BE, offset);
    }

    public static void put8(MemorySegment s, long offset, int value) {
        s.set(ValueLayout.JAVA_BYTE, offset, (byte) value);
    }

    public static void put16(MemorySegment s, long offset, int value) {
        s.set(U16_BE, offset, (short) value);
    }

    public static void put32(MemorySegment s, long offset, int value) {
        s.set(U32_BE, offset, value);
    }
}
