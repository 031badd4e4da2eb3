package io.netbypass.port;

import io.netbypass.util.UserException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Packet buffers in one off-heap region, addressed by a 32-bit index as netmap's {@code buf_idx}:
 * buffer {@code i} starts at {@code i * bufferSize}. Every ring of every port opened on the pool
 * points into it, so forwarding between such ports is a swap of indices, never a copy.
 * Buffers 0 and 1 are reserved (netmap's convention): a slot holding them is invalid.
 *
 * <p>A pool may also lie over memory a device owns ({@link #over}): an AF_XDP UMEM, whose chunks
 * are the buffers and whose packets start {@code dataOffset} bytes into their chunk (the kernel's
 * headroom). Buffer {@code i}'s bytes then start at {@code i * chunkSize + dataOffset}.
 *
 * <p>Buffers are taken and given back only when rings are set up and torn down, never per packet.
 */
public final class BufferPool implements AutoCloseable {
    public static final int DEFAULT_BUFFER_SIZE = 2048;
    /** First index handed out; 0 and 1 are never valid packet buffers. */
    public static final int FIRST_BUFFER = 2;

    private final Arena arena;
    private final MemorySegment memory;
    private final int bufferSize;
    private final int chunkSize;
    private final int dataOffset;
    private final int count;
    private final int[] free;
    private int freeCount;

    public BufferPool(int count, int bufferSize) {
        if (bufferSize < 64 || Integer.bitCount(bufferSize) != 1) {
            throw new UserException("buffer size must be a power of two >= 64, not " + bufferSize);
        }
        if (count <= FIRST_BUFFER || (long) count * bufferSize > (1L << 40)) {
            throw new UserException("buffer count " + count + " out of range");
        }
        this.arena = Arena.ofShared();
        this.memory = arena.allocate((long) count * bufferSize, 4096);
        this.bufferSize = bufferSize;
        this.chunkSize = bufferSize;
        this.dataOffset = 0;
        this.count = count;
        this.free = new int[count];
        for (int i = count - 1; i >= FIRST_BUFFER; i--) {
            free[freeCount++] = i;
        }
    }

    private BufferPool(MemorySegment memory, int count, int chunkSize, int dataOffset) {
        this.arena = null;
        this.memory = memory;
        this.chunkSize = chunkSize;
        this.dataOffset = dataOffset;
        this.bufferSize = chunkSize - dataOffset;
        this.count = count;
        this.free = new int[count];
        for (int i = count - 1; i >= FIRST_BUFFER; i--) {
            free[freeCount++] = i;
        }
    }

    /**
     * A pool over {@code memory} someone else owns and frees (closing the pool does not): {@code count}
     * chunks of {@code chunkSize} bytes, each buffer's data {@code dataOffset} bytes into its chunk.
     */
    public static BufferPool over(MemorySegment memory, int count, int chunkSize, int dataOffset) {
        if (chunkSize < 64 || Integer.bitCount(chunkSize) != 1 || dataOffset < 0 || dataOffset > chunkSize - 64
                || count <= FIRST_BUFFER || (long) count * chunkSize > memory.byteSize()) {
            throw new IllegalArgumentException("no pool of " + count + " chunks of " + chunkSize + " bytes (data at +"
                    + dataOffset + ") in " + memory.byteSize() + " bytes");
        }
        return new BufferPool(memory, count, chunkSize, dataOffset);
    }

    /** The whole region; a buffer's bytes start at {@link #offset(int)}. */
    public MemorySegment memory() {
        return memory;
    }

    /** Bytes a packet may occupy in one buffer. */
    public int bufferSize() {
        return bufferSize;
    }

    /** Distance from one buffer to the next (the buffer size, or a UMEM's chunk size). */
    public int chunkSize() {
        return chunkSize;
    }

    /** Where a buffer's data starts within its chunk (0, or a UMEM's headroom). */
    public int dataOffset() {
        return dataOffset;
    }

    public int count() {
        return count;
    }

    public long offset(int bufferIndex) {
        return (long) bufferIndex * chunkSize + dataOffset;
    }

    /** Whether a slot may hold this index (in range and not reserved). */
    public boolean valid(int bufferIndex) {
        return bufferIndex >= FIRST_BUFFER && bufferIndex < count;
    }

    public synchronized int available() {
        return freeCount;
    }

    /** Takes a buffer; throws when the pool is exhausted (a configuration error, found at set-up). */
    public synchronized int take() {
        if (freeCount == 0) {
            throw new IllegalStateException("buffer pool exhausted (" + count + " buffers of " + bufferSize + " bytes)");
        }
        return free[--freeCount];
    }

    public synchronized void give(int bufferIndex) {
        if (!valid(bufferIndex) || freeCount == free.length) {
            throw new IllegalArgumentException("buffer " + bufferIndex + " cannot be given back");
        }
        free[freeCount++] = bufferIndex;
    }

    @Override
    public void close() {
        if (arena != null) {
            arena.close();
        }
    }
}
