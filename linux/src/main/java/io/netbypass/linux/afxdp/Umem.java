package io.netbypass.linux.afxdp;

import io.netbypass.linux.LinuxException;
import io.netbypass.linux.Native;
import io.netbypass.port.BufferPool;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static io.netbypass.linux.afxdp.XdpDescriptor.*;

/**
 * The packet memory AF_XDP sockets share with the kernel: {@code chunks} chunks of
 * {@code chunkSize} bytes in one anonymous mapping, registered with the first socket and shared
 * by the others (XDP_SHARED_UMEM). As a {@link BufferPool} a chunk is a buffer whose data starts
 * at the kernel's headroom, so rings of every socket on it can swap buffers without copying.
 */
public final class Umem implements AutoCloseable {
    private final MemorySegment memory;
    private final int chunkSize;
    private final int chunks;
    private final BufferPool pool;

    private Umem(MemorySegment memory, int chunks, int chunkSize) {
        this.memory = memory;
        this.chunks = chunks;
        this.chunkSize = chunkSize;
        this.pool = BufferPool.over(memory, chunks, chunkSize, XDP_PACKET_HEADROOM);
    }

    /** Maps {@code chunks} chunks of {@code chunkSize} (2048 or 4096) bytes, populated up front. */
    public static Umem allocate(int chunks, int chunkSize, String what) throws LinuxException {
        if (chunkSize != 2048 && chunkSize != 4096) {
            throw new IllegalArgumentException("UMEM chunks are 2048 or 4096 bytes, not " + chunkSize);
        }
        MemorySegment m = Native.mmap((long) chunks * chunkSize, Native.PROT_READ | Native.PROT_WRITE,
                Native.MAP_PRIVATE | Native.MAP_ANONYMOUS | Native.MAP_POPULATE, -1, 0, "UMEM for " + what);
        return new Umem(m, chunks, chunkSize);
    }

    /** XDP_UMEM_REG on the socket that owns the UMEM. */
    void register(int fd, String what) throws LinuxException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment reg = a.allocate(UMEM_REG_LENGTH, 8);
            reg.set(ValueLayout.JAVA_LONG, UMEM_REG_ADDR, memory.address());
            reg.set(ValueLayout.JAVA_LONG, UMEM_REG_LEN, memory.byteSize());
            reg.set(ValueLayout.JAVA_INT, UMEM_REG_CHUNK_SIZE, chunkSize);
            reg.set(ValueLayout.JAVA_INT, UMEM_REG_HEADROOM, 0);
            Native.setsockopt(fd, SOL_XDP, XDP_UMEM_REG, reg, "XDP_UMEM_REG, " + what);
        }
    }

    public MemorySegment memory() {
        return memory;
    }

    public int chunkSize() {
        return chunkSize;
    }

    public int chunks() {
        return chunks;
    }

    /** The chunks as a buffer pool: buffer index = chunk number. */
    public BufferPool pool() {
        return pool;
    }

    /** Unmaps the memory: only after every socket on it is closed. */
    @Override
    public void close() {
        Native.munmap(memory);
    }
}
