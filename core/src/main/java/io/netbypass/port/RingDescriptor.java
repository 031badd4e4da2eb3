package io.netbypass.port;

/**
 * Layout of a ring in memory, netmap's {@code struct netmap_ring} reduced to what we use:
 * a 64-byte header, then {@code slots} slots of 16 bytes ({@code struct netmap_slot}).
 */
public final class RingDescriptor {
    private RingDescriptor() {
    }

    public static final int HEAD_OFFSET = 0;
    public static final int CUR_OFFSET = 4;
    public static final int TAIL_OFFSET = 8;
    public static final int SLOTS_OFFSET = 12;
    public static final int FLAGS_OFFSET = 16;
    public static final int BUFFER_SIZE_OFFSET = 20;
    /** Nanoseconds (CLOCK_REALTIME) of the last sync when {@link Ring#TIMESTAMP} is set. */
    public static final int TIMESTAMP_OFFSET = 24;
    public static final int HEADER_LENGTH = 64;

    public static final int SLOT_BUFFER_INDEX_OFFSET = 0;
    public static final int SLOT_LENGTH_OFFSET = 4;
    public static final int SLOT_FLAGS_OFFSET = 6;
    /** netmap's {@code ptr}: here the frame's header offsets ({@code FrameHeaders}), for the host path. */
    public static final int SLOT_HEADERS_OFFSET = 8;
    public static final int SLOT_LENGTH = 16;

    public static long length(int slots) {
        return HEADER_LENGTH + (long) slots * SLOT_LENGTH;
    }
}
