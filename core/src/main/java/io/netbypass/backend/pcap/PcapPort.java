package io.netbypass.backend.pcap;

import io.netbypass.capture.CaptureReader;
import io.netbypass.capture.CaptureRecord;
import io.netbypass.capture.CaptureWriter;
import io.netbypass.capture.Captures;
import io.netbypass.capture.PcapWriter;
import io.netbypass.packet.LinkType;
import io.netbypass.port.BufferPool;
import io.netbypass.port.KernelRing;
import io.netbypass.port.Port;
import io.netbypass.port.PortException;
import io.netbypass.port.PortName;
import io.netbypass.port.Ring;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.nio.file.Path;

/**
 * A capture file as a port: {@code pcap:FILE} opened for receive replays the file's packets
 * (pcap or pcapng) into one RX ring; opened for transmit, what the TX ring sends is written to
 * a new pcap file (Ethernet, nanosecond timestamps). Frames longer than a buffer span slots
 * with {@link Ring#MOREFRAG}.
 */
public final class PcapPort implements Port {
    public static final int SLOTS = 1024;

    private final PortName name;
    private final Arena arena = Arena.ofShared();
    private final BufferPool pool;
    private final KernelRing rx;
    private final KernelRing tx;
    private final CaptureReader reader;
    private final CaptureWriter writer;
    private final CaptureRecord record = new CaptureRecord();
    private final MemorySegment scratch;
    private boolean endOfFile;
    private boolean pending;
    private long received;
    private long transmitted;
    private long syncErrors;
    private boolean closed;

    private PcapPort(PortName name, CaptureReader reader, CaptureWriter writer) {
        this.name = name;
        this.reader = reader;
        this.writer = writer;
        this.pool = new BufferPool(SLOTS + 64, BufferPool.DEFAULT_BUFFER_SIZE);
        Ring ring = Ring.allocate(arena, reader != null ? Ring.Kind.RX : Ring.Kind.TX, 0, SLOTS, pool);
        KernelRing k = new KernelRing(ring);
        if (reader != null) {
            rx = k;
            tx = null;
        } else {
            k.reset(0, SLOTS - 1);
            tx = k;
            rx = null;
        }
        scratch = arena.allocate((long) Ring.MAX_FRAGMENTS * pool.bufferSize());
    }

    public static boolean isAvailable() {
        return true;
    }

    /** Opens the file for reading: its packets arrive on the RX ring. */
    public static PcapPort openReceive(PortName name) {
        try {
            return new PcapPort(name, Captures.open(Path.of(name.device())), null);
        } catch (IOException e) {
            throw new PortException(name + ": " + oneLine(e));
        }
    }

    /** Creates (or truncates) the file: what the TX ring sends is written to it. */
    public static PcapPort openTransmit(PortName name) {
        try {
            return new PcapPort(name, null, new PcapWriter(Path.of(name.device()), LinkType.ETHERNET, 262144, true,
                    ByteOrder.LITTLE_ENDIAN));
        } catch (IOException e) {
            throw new PortException(name + ": " + oneLine(e));
        }
    }

    private static String oneLine(IOException e) {
        String m = e.getMessage();
        return e instanceof java.nio.file.NoSuchFileException ? "no such file"
                : e instanceof java.nio.file.AccessDeniedException ? "permission denied"
                : m == null ? e.getClass().getSimpleName() : m;
    }

    @Override public PortName name() { return name; }
    @Override public BufferPool pool() { return pool; }
    @Override public int rxRings() { return rx == null ? 0 : 1; }
    @Override public int txRings() { return tx == null ? 0 : 1; }
    @Override public Ring rxRing(int i) { return rx.ring(); }
    @Override public Ring txRing(int i) { return tx.ring(); }
    @Override public boolean isClosed() { return closed; }

    /** All packets of the file were put in the ring. */
    public boolean endOfFile() { return endOfFile; }
    public long received() { return received; }
    public long transmitted() { return transmitted; }

    @Override
    public int rxSync() {
        if (rx == null) {
            return 0;
        }
        Ring ring = rx.ring();
        int head = rx.prologue();
        if (head < 0) {
            syncErrors++;
            return 1;
        }
        for (int i = rx.hwcur(); i != head; i = ring.next(i)) {
            ring.setSlotFlags(i, 0);
        }
        rx.consumed(head);
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
                received++;
            }
        } catch (io.netbypass.capture.CaptureFormatException e) {
            endOfFile = true;
            throw new PortException(name + ": " + e.getMessage());
        }
        rx.publishTail(t);
        return 0;
    }

    @Override
    public int txSync() {
        if (tx == null) {
            return 0;
        }
        Ring ring = tx.ring();
        int head = tx.prologue();
        if (head < 0) {
            syncErrors++;
            return 1;
        }
        int i = tx.hwcur();
        int done = i;
        int chainStart = i;
        int slots = 0;
        try {
            while (i != head) {
                int flags = ring.slotFlags(i);
                slots++;
                int next = ring.next(i);
                if ((flags & Ring.MOREFRAG) == 0 || slots == Ring.MAX_FRAGMENTS) {
                    write(ring, chainStart, slots);
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
        return 0;
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
        transmitted++;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
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
