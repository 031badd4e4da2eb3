package io.netbypass.backend.vnic;

import io.netbypass.port.BufferPool;
import io.netbypass.port.Ring;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The device side of one RX ring: descriptors the "hardware" (whichever thread drives the wire)
 * fills and the driver's rxsync reads, one producer and one consumer. Descriptor {@code i}
 * belongs to netmap slot {@code i} and uses that slot's buffer; the producer writes the data and
 * length, then publishes {@code produced} (release); the consumer publishes {@code stop}, the
 * slot before the application's head that the producer must not reach (one slot stays empty).
 */
final class HwRxRing {
    private static final VarHandle PRODUCED;
    private static final VarHandle STOP;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            PRODUCED = l.findVarHandle(HwRxRing.class, "produced", int.class);
            STOP = l.findVarHandle(HwRxRing.class, "stop", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final int slots;
    final int[] buffer;
    final int[] length;
    final int[] flags;
    private final MemorySegment memory;
    private final BufferPool pool;
    private final int bufferSize;

    /** Next descriptor the producer fills, as published to the consumer. */
    private int produced;
    /** Next descriptor the producer fills, not yet published: a batch is published once. */
    private int filling;
    /** The producer stops before this descriptor; written by the consumer only. */
    private int stop;

    /** Producer's cached copy of {@link #stop}. */
    private int stopCache;

    HwRxRing(Ring ring) {
        this.slots = ring.slots();
        this.buffer = new int[slots];
        this.length = new int[slots];
        this.flags = new int[slots];
        this.pool = ring.pool();
        this.memory = pool.memory();
        this.bufferSize = pool.bufferSize();
        for (int i = 0; i < slots; i++) {
            buffer[i] = ring.bufferIndex(i);
        }
        stop = slots - 1;
        stopCache = slots - 1;
        VarHandle.releaseFence();
    }

    private int next(int i) {
        return i + 1 == slots ? 0 : i + 1;
    }

    /** Free descriptors from the producer's view, refreshing the cached stop when short. */
    private int freeFor(int needed) {
        int free = stopCache - filling;
        if (free < 0) {
            free += slots;
        }
        if (free < needed) {
            stopCache = (int) STOP.getAcquire(this);
            free = stopCache - filling;
            if (free < 0) {
                free += slots;
            }
        }
        return free;
    }

    /**
     * Producer: copies one frame in ("DMA"), over several descriptors when it is longer than a
     * buffer. Returns false, writing nothing, when the ring lacks room.
     */
    boolean put(MemorySegment source, long offset, int len) {
        int fragments = len <= bufferSize ? 1 : (len + bufferSize - 1) / bufferSize;
        if (freeFor(fragments) < fragments) {
            return false;
        }
        int p = filling;
        int remaining = len;
        long from = offset;
        for (int f = 0; f < fragments; f++) {
            int chunk = Math.min(remaining, bufferSize);
            MemorySegment.copy(source, from, memory, pool.offset(buffer[p]), chunk);
            length[p] = chunk;
            flags[p] = f + 1 < fragments ? Ring.MOREFRAG : 0;
            from += chunk;
            remaining -= chunk;
            p = next(p);
        }
        filling = p;
        return true;
    }

    /** Producer: makes the frames put since the last publish visible to the consumer (release). */
    void publish() {
        if (filling != produced) {
            PRODUCED.setRelease(this, filling);
        }
    }

    /** Consumer: the producer's position (acquire: descriptors before it are complete). */
    int produced() {
        return (int) PRODUCED.getAcquire(this);
    }

    /** Consumer: lets the producer fill up to, not including, {@code stop}. */
    void stop(int stop) {
        STOP.setRelease(this, stop);
    }
}
