package io.netbypass.port;

import io.netbypass.packet.FrameHeaders;
import io.netbypass.util.UserException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static io.netbypass.port.RingDescriptor.*;

/**
 * One ring of a port, over off-heap memory laid out by {@link RingDescriptor}: netmap's
 * {@code netmap_ring}. The application writes {@code head} and {@code cur}; the I/O side writes
 * {@code tail}, and only inside a sync. Slots {@code [head, tail)} belong to the application; one
 * slot is always empty, so a ring of {@code n} slots holds at most {@code n - 1} packets.
 *
 * <p>RX: consume slots from {@code head}, then set {@code head = cur = next(last)}; the next sync
 * gives them back to the receiver. TX: fill slots from {@code head}, advance {@code head/cur};
 * the next sync transmits them.
 */
public final class Ring {
    /** Slot flag: {@code buf_idx} was changed by the application (zero-copy swap). */
    public static final int BUF_CHANGED = 0x1;
    /** Slot flag: ask for a report when this slot is transmitted. */
    public static final int REPORT = 0x2;
    /** Slot flag: hand this RX packet to the host stack at the next sync (needs ring flag {@link #FORWARD}). */
    public static final int SLOT_FORWARD = 0x4;
    /** Slot flag: do not learn the source address (VALE). */
    public static final int NO_LEARN = 0x8;
    /** Slot flag: netmap's {@code ptr} points at the data instead of the buffer (not supported: refused at TX). */
    public static final int INDIRECT = 0x10;
    /** Slot flag: the packet continues in the next slot. */
    public static final int MOREFRAG = 0x20;

    /** Ring flag: update the ring timestamp at every sync. */
    public static final int TIMESTAMP = 0x2;
    /** Ring flag: honour {@link #SLOT_FORWARD} on released RX slots. */
    public static final int FORWARD = 0x4;

    /** A packet may span at most this many slots (netmap's limit for NS_MOREFRAG chains). */
    public static final int MAX_FRAGMENTS = 64;

    public enum Kind { RX, TX }

    private final Kind kind;
    private final int id;
    private final MemorySegment memory;
    private final BufferPool pool;
    private final MemorySegment buffers;
    private final int slots;

    private Ring(Kind kind, int id, MemorySegment memory, BufferPool pool) {
        this.kind = kind;
        this.id = id;
        this.memory = memory;
        this.pool = pool;
        this.buffers = pool.memory();
        this.slots = memory.get(ValueLayout.JAVA_INT, SLOTS_OFFSET);
    }

    /**
     * A ring of {@code slots} slots in {@code arena}, every slot given a buffer of {@code pool};
     * {@code id} is the NIC queue (or host ring) it stands for.
     */
    public static Ring allocate(Arena arena, Kind kind, int id, int slots, BufferPool pool) {
        if (slots < 2 || slots > 65536) {
            throw new UserException("a ring has 2..65536 slots, not " + slots);
        }
        MemorySegment memory = arena.allocate(RingDescriptor.length(slots), 64);
        memory.set(ValueLayout.JAVA_INT, SLOTS_OFFSET, slots);
        memory.set(ValueLayout.JAVA_INT, BUFFER_SIZE_OFFSET, pool.bufferSize());
        Ring ring = new Ring(kind, id, memory, pool);
        for (int i = 0; i < slots; i++) {
            ring.setBufferIndex(i, pool.take());
        }
        return ring;
    }

    /** Gives every slot's buffer back to the pool. */
    public void releaseBuffers() {
        for (int i = 0; i < slots; i++) {
            int b = bufferIndex(i);
            if (pool.valid(b)) {
                pool.give(b);
            }
            setBufferIndex(i, 0);
        }
    }

    public Kind kind() { return kind; }
    /** NIC queue number, or the host ring number for host rings. */
    public int id() { return id; }
    public BufferPool pool() { return pool; }
    /** The pool's memory: a slot's bytes are at {@link #offset(int)} in it. */
    public MemorySegment buffers() { return buffers; }
    public int slots() { return slots; }
    public int bufferSize() { return pool.bufferSize(); }

    public int head() { return memory.get(ValueLayout.JAVA_INT, HEAD_OFFSET); }
    public int cur() { return memory.get(ValueLayout.JAVA_INT, CUR_OFFSET); }
    public int tail() { return memory.get(ValueLayout.JAVA_INT, TAIL_OFFSET); }
    public void head(int head) { memory.set(ValueLayout.JAVA_INT, HEAD_OFFSET, head); }
    public void cur(int cur) { memory.set(ValueLayout.JAVA_INT, CUR_OFFSET, cur); }
    /** I/O side only. */
    public void tail(int tail) { memory.set(ValueLayout.JAVA_INT, TAIL_OFFSET, tail); }

    /** Sets head and cur together: the usual way to release (RX) or submit (TX) slots. */
    public void advance(int to) {
        head(to);
        cur(to);
    }

    public int flags() { return memory.get(ValueLayout.JAVA_INT, FLAGS_OFFSET); }
    public void flags(int flags) { memory.set(ValueLayout.JAVA_INT, FLAGS_OFFSET, flags); }
    public long timestampNanos() { return memory.get(ValueLayout.JAVA_LONG, TIMESTAMP_OFFSET); }
    /** I/O side only. */
    public void timestampNanos(long ts) { memory.set(ValueLayout.JAVA_LONG, TIMESTAMP_OFFSET, ts); }

    /** The slot after {@code i}, wrapping (nm_ring_next). */
    public int next(int i) {
        return i + 1 == slots ? 0 : i + 1;
    }

    /** {@code i + n} wrapped, for {@code 0 <= n <= slots}. */
    public int add(int i, int n) {
        int r = i + n;
        return r >= slots ? r - slots : r;
    }

    /** No slot for the application (nm_ring_empty): RX has nothing to read, TX has no free slot. */
    public boolean isEmpty() {
        return head() == tail();
    }

    /** Slots from {@code cur} to {@code tail} (nm_ring_space). */
    public int space() {
        int n = tail() - cur();
        return n < 0 ? n + slots : n;
    }

    private long slot(int i) {
        return HEADER_LENGTH + (long) i * SLOT_LENGTH;
    }

    public int bufferIndex(int i) { return memory.get(ValueLayout.JAVA_INT, slot(i) + SLOT_BUFFER_INDEX_OFFSET); }
    public void setBufferIndex(int i, int b) { memory.set(ValueLayout.JAVA_INT, slot(i) + SLOT_BUFFER_INDEX_OFFSET, b); }
    public int length(int i) { return memory.get(ValueLayout.JAVA_SHORT, slot(i) + SLOT_LENGTH_OFFSET) & 0xffff; }
    public void setLength(int i, int len) { memory.set(ValueLayout.JAVA_SHORT, slot(i) + SLOT_LENGTH_OFFSET, (short) len); }
    public int slotFlags(int i) { return memory.get(ValueLayout.JAVA_SHORT, slot(i) + SLOT_FLAGS_OFFSET) & 0xffff; }
    public void setSlotFlags(int i, int f) { memory.set(ValueLayout.JAVA_SHORT, slot(i) + SLOT_FLAGS_OFFSET, (short) f); }
    /** Where the slot's frame has its headers ({@link FrameHeaders}), as whoever parsed it left them. */
    public long headers(int i) { return memory.get(ValueLayout.JAVA_LONG, slot(i) + SLOT_HEADERS_OFFSET); }
    public void setHeaders(int i, long h) { memory.set(ValueLayout.JAVA_LONG, slot(i) + SLOT_HEADERS_OFFSET, h); }

    /** Where slot {@code i}'s bytes start in {@link #buffers()}. */
    public long offset(int i) {
        return pool.offset(bufferIndex(i));
    }

    /**
     * Zero-copy move: swaps the buffers of slot {@code i} here and slot {@code j} of {@code other}
     * (same pool), marks both {@link #BUF_CHANGED} and copies the length across. The packet of
     * {@code i} is now in {@code other}'s slot {@code j}; this slot got {@code j}'s old buffer.
     */
    public void swapInto(int i, Ring other, int j) {
        if (other.pool != pool) {
            throw new IllegalArgumentException("buffer swap needs both rings on one pool");
        }
        int mine = bufferIndex(i);
        setBufferIndex(i, other.bufferIndex(j));
        other.setBufferIndex(j, mine);
        other.setLength(j, length(i));
        setSlotFlags(i, slotFlags(i) | BUF_CHANGED);
        other.setSlotFlags(j, (other.slotFlags(j) & ~MOREFRAG) | BUF_CHANGED | (slotFlags(i) & MOREFRAG));
    }

    @Override
    public String toString() {
        return kind + " ring " + id + " [head " + head() + " cur " + cur() + " tail " + tail() + " of " + slots + "]";
    }
}
