package io.netbypass.backend.pcap;

import io.netbypass.capture.CaptureFormatException;
import io.netbypass.capture.CaptureReader;
import io.netbypass.capture.CaptureRecord;
import io.netbypass.capture.CaptureWriter;
import io.netbypass.capture.Captures;
import io.netbypass.capture.PcapWriter;
import io.netbypass.packet.LinkType;
import io.netbypass.port.BufferPool;
import io.netbypass.port.KernelRing;
import io.netbypass.port.PortException;
import io.netbypass.port.PortName;
import io.netbypass.port.Ring;
import io.netbypass.port.RingPort;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * A capture file as a port: {@code pcap:FILE} opened for receive replays the file's packets
 * (pcap or pcapng) into one RX ring; opened for transmit, what the TX ring sends is written to
 * a new pcap file (Ethernet, nanosecond timestamps). Frames longer than a buffer span slots
 * with {@link Ring#MOREFRAG}.
 */
public final class PcapPort extends RingPort {
    public static final int SLOTS = 1024;

    private final Arena arena = Arena.ofShared();
    private final BufferPool pool;
    private final CaptureReader reader;
    private final CaptureWriter writer;
    private final CaptureRecord record = new CaptureRecord();
    private final MemorySegment scratch;
    /** Per RX slot: the last valid buffer it had, for a slot the application broke. */
    private int[] lastBuffers;
    private boolean endOfFile;
    private boolean pending;

    private PcapPort(PortName name, BufferPool pool, CaptureReader reader, CaptureWriter writer) {
        super(name, pool);
        this.pool = pool;
        this.reader = reader;
        this.writer = writer;
        if (reader != null) {
            Ring ring = Ring.allocate(arena, Ring.Kind.RX, 0, SLOTS, pool);
            lastBuffers = slotBuffers(ring);
            addRx(ring, this::rxSync);
        } else {
            addTx(Ring.allocate(arena, Ring.Kind.TX, 0, SLOTS, pool), this::txSync);
        }
        scratch = arena.allocate((long) Ring.MAX_FRAGMENTS * pool.bufferSize());
    }

    private static BufferPool newPool() {
        return new BufferPool(SLOTS + 64, BufferPool.DEFAULT_BUFFER_SIZE);
    }

    public static boolean isAvailable() {
        return true;
    }

    /** Opens the file for reading: its packets arrive on the RX ring. */
    public static PcapPort openReceive(PortName name) {
        try {
            return new PcapPort(name, newPool(), Captures.open(Path.of(name.device())), null);
        } catch (IOException e) {
            throw new PortException(name + ": " + oneLine(e));
        }
    }

    /** Creates (or truncates) the file: what the TX ring sends is written to it. */
    public static PcapPort openTransmit(PortName name) {
        try {
            return new PcapPort(name, newPool(), null, new PcapWriter(Path.of(name.device()), LinkType.ETHERNET, 262144, true,
                    ByteOrder.LITTLE_ENDIAN));
        } catch (IOException e) {
            throw new PortException(name + ": " + oneLine(e));
        }
    }

    private static String oneLine(IOException e) {
        String m = e.getMessage();
        return e instanceof NoSuchFileException ? "no such file"
                : e instanceof AccessDeniedException ? "permission denied"
                : m == null ? e.getClass().getSimpleName() : m;
    }

    /** All packets of the file were put in the ring. */
    public boolean endOfFile() { return endOfFile; }

    @Override
    public boolean hasEnd() { return true; }

    /** The end of the file, or of reading it: nothing more comes into the ring. */
    @Override
    public boolean drained() { return endOfFile; }

    /** Reads no further: what is in the ring stays there to be read. */
    @Override
    public void stopReceiving() { endOfFile = true; }

    private void rxSync(KernelRing rx, int head) {
        Ring ring = rx.ring();
        releaseKeepingBuffers(rx, head, lastBuffers);
        int stop = head == 0 ? ring.slots() - 1 : head - 1;
        int t = rx.hwtail();
        try {
            while (!endOfFile) {
                if (!pending) {
                    if (!reader.next(record)) {
                        endOfFile = true;
                        break;
                    }
                    pending = true;
                }
                int len = record.capturedLength();
                int fragments = Math.max(1, (len + pool.bufferSize() - 1) / pool.bufferSize());
                if (fragments > Ring.MAX_FRAGMENTS) {
                    pending = false; // longer than any chain: skipped
                    continue;
                }
                if (rx.distance(t, stop) < fragments) {
                    break;
                }
                long from = record.dataOffset();
                for (int f = 0; f < fragments; f++) {
                    int chunk = Math.min(len, pool.bufferSize());
                    MemorySegment.copy(record.segment(), from, ring.buffers(), ring.offset(t), chunk);
                    ring.setLength(t, chunk);
                    ring.setSlotFlags(t, f + 1 < fragments ? Ring.MOREFRAG : 0);
                    from += chunk;
                    len -= chunk;
                    t = ring.next(t);
                }
                pending = false;
                counters().received(1);
            }
        } catch (CaptureFormatException e) {
            endOfFile = true;
            throw new PortException(name() + ": " + e.getMessage());
        }
        rx.publishTail(t);
    }

    private void txSync(KernelRing tx, int head) {
        Ring ring = tx.ring();
        int i = tx.hwcur();
        int done = i;
        int chainStart = i;
        int slots = 0;
        try {
            boolean bad = false;
            while (i != head) {
                int flags = ring.slotFlags(i);
                slots++;
                bad |= !pool.valid(ring.bufferIndex(i)) || (flags & Ring.INDIRECT) != 0;
                ring.setSlotFlags(i, 0);
                int next = ring.next(i);
                if ((flags & Ring.MOREFRAG) == 0 || slots == Ring.MAX_FRAGMENTS) {
                    if (bad) {
                        counters().badSlots(slots); // a slot the application broke: not written
                    } else {
                        write(ring, chainStart, slots);
                    }
                    bad = false;
                    slots = 0;
                    chainStart = next;
                    done = next;
                }
                i = next;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        tx.consumed(done);
        tx.publishTail(done == 0 ? ring.slots() - 1 : done - 1);
    }

    private void write(Ring ring, int first, int slots) throws IOException {
        long now = System.currentTimeMillis() * 1_000_000L;
        if (slots == 1) {
            int len = Math.min(ring.length(first), pool.bufferSize());
            writer.write(record.set(ring.buffers(), ring.offset(first), len, len, now, 0, LinkType.ETHERNET));
        } else {
            long at = 0;
            int s = first;
            for (int n = 0; n < slots; n++) {
                int len = Math.min(ring.length(s), pool.bufferSize());
                MemorySegment.copy(ring.buffers(), ring.offset(s), scratch, at, len);
                at += len;
                s = ring.next(s);
            }
            writer.write(record.set(scratch, 0, (int) at, (int) at, now, 0, LinkType.ETHERNET));
        }
        counters().transmitted(1);
    }

    @Override
    protected void release() {
        try {
            if (writer != null) {
                txSync();
                writer.close();
            }
            if (reader != null) {
                reader.close();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            arena.close();
            pool.close();
        }
    }
}
