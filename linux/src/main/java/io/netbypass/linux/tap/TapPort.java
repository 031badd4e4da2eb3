package io.netbypass.linux.tap;

import io.netbypass.hostpath.Gso;
import io.netbypass.hostpath.PacketSink;
import io.netbypass.hostpath.VirtioNetHeader;
import io.netbypass.linux.Errno;
import io.netbypass.linux.PollIdleStrategy;
import io.netbypass.packet.Bytes;
import io.netbypass.packet.Checksums;
import io.netbypass.packet.FrameHeaders;
import io.netbypass.packet.IpProtocols;
import io.netbypass.packet.LinkType;
import io.netbypass.packet.PacketParser;
import io.netbypass.packet.ParsedPacket;
import io.netbypass.port.BufferPool;
import io.netbypass.port.KernelRing;
import io.netbypass.port.PortName;
import io.netbypass.port.Ring;
import io.netbypass.port.RingPort;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.function.ObjLongConsumer;

import org.agrona.concurrent.IdleStrategy;

/**
 * A port on a TAP interface: {@code tap:NAME}, and the host rings of a bypassed interface
 * ({@code xdp:IF^}, netmap's host rings, on a TAP standing for IF: {@link TapSetup}). Its TX ring
 * puts frames into the kernel's stack as if the interface had received them, through a
 * {@link TapHostPath} (checksums completed, GRO). Its RX ring gets what the kernel sends out of
 * the interface: large frames split by {@link Gso}, checksums the kernel left to "hardware"
 * completed.
 */
public final class TapPort extends RingPort {
    public static final int DEFAULT_SLOTS = 1024;
    private static final int MAX_FRAME = 64 + 65535;
    private static final int HDR = VirtioNetHeader.LENGTH;

    private final TapDevice tap;
    private final TapHostPath toKernel;
    private final BufferPool pool;
    private final MemorySegment buffers;
    private final Arena arena = Arena.ofShared();
    private final Ring rx;
    /** Per RX slot: the last valid buffer it had, for a slot the application broke. */
    private final int[] lastBuffers;
    private final MemorySegment in;
    private final MemorySegment chain;
    private final ParsedPacket parsed = new ParsedPacket();
    private final Gso gso = new Gso();
    private final PacketSink intoSlots = (s, offset, length, gsoType, gsoSize, headers) -> copyIntoSlots(s, offset, length);
    private final String description;
    /** A frame read from the TAP that did not fit the RX ring yet, kept in {@link #in}; 0 when none. */
    private int pending;
    private int slot;

    private long fromKernel;
    private long readErrors;
    private long checksumsCompleted;
    private long segmented;
    private long badFrames;

    private TapPort(PortName name, BufferPool pool, TapSetup setup, int rxSlots, int txSlots, boolean gro) {
        super(name, pool);
        this.tap = setup.tap();
        this.description = setup.description();
        this.toKernel = new TapHostPath(tap, false, gro, description);
        this.pool = pool;
        this.buffers = pool.memory();
        this.rx = Ring.allocate(arena, Ring.Kind.RX, 0, rxSlots, pool);
        this.lastBuffers = slotBuffers(rx);
        addRx(rx, this::rxSync);
        addTx(Ring.allocate(arena, Ring.Kind.TX, 0, txSlots, pool), this::txSync);
        this.in = arena.allocate(HDR + MAX_FRAME, 64);
        this.chain = arena.allocate(MAX_FRAME, 64);
    }

    /** {@code tap:NAME}: creates (or joins) TAP NAME, up, with the offloads we complete ourselves. */
    public static TapPort open(PortName name, boolean gro) {
        return open(name, TapSetup.named(name.toString(), name.device()), gro);
    }

    /** {@code xdp:IF^}: the host rings of IF, on a TAP standing for IF toward the kernel. */
    public static TapPort standingFor(PortName name, String ifName, boolean gro) {
        return open(name, TapSetup.standingFor(name.toString(), ifName, gro), gro);
    }

    private static TapPort open(PortName name, TapSetup setup, boolean gro) {
        int rxSlots = name.config().rxSlots() == 0 ? DEFAULT_SLOTS : name.config().rxSlots();
        int txSlots = name.config().txSlots() == 0 ? DEFAULT_SLOTS : name.config().txSlots();
        try {
            return new TapPort(name, new BufferPool(BufferPool.FIRST_BUFFER + rxSlots + txSlots, BufferPool.DEFAULT_BUFFER_SIZE),
                    setup, rxSlots, txSlots, gro);
        } catch (RuntimeException | Error e) {
            setup.tap().close();
            throw e;
        }
    }

    @Override public String description() { return description; }

    @Override
    public IdleStrategy waitStrategy() {
        return new PollIdleStrategy(pollDescriptors(), 16, PollIdleStrategy.IDLE_TIMEOUT_MILLIS);
    }

    @Override
    public int[] pollDescriptors() {
        return new int[] {tap.fd()};
    }

    // ---- toward the kernel: the TX ring ----

    private void txSync(KernelRing txKernel, int head) {
        Ring tx = txKernel.ring();
        int size = pool.bufferSize();
        int i = txKernel.hwcur();
        while (i != head) {
            int start = i;
            int total = 0;
            boolean bad = false;
            int flags;
            do {
                int b = tx.bufferIndex(i);
                int len = tx.length(i);
                flags = tx.slotFlags(i);
                if (!pool.valid(b) || len > size || total + len > MAX_FRAME) {
                    bad = true;
                } else {
                    MemorySegment.copy(buffers, pool.offset(b), chain, total, len);
                    total += len;
                }
                tx.setSlotFlags(i, 0);
                i = tx.next(i);
            } while ((flags & Ring.MOREFRAG) != 0 && i != head);
            if (bad || total == 0 || (flags & Ring.MOREFRAG) != 0) {
                counters().badSlots(1);
                continue;
            }
            counters().transmitted(1);
            if (tx.next(start) == i) {
                toKernel.forward(buffers, pool.offset(tx.bufferIndex(start)), total, FrameHeaders.UNKNOWN); // one slot: no copy needed
            } else {
                toKernel.forward(chain, 0, total, FrameHeaders.UNKNOWN);
            }
        }
        toKernel.flush();
        txKernel.consumed(i);
        txKernel.publishTail(i == 0 ? tx.slots() - 1 : i - 1);
    }

    // ---- from the kernel: RX ring ----

    private void rxSync(KernelRing rxKernel, int head) {
        releaseKeepingBuffers(rxKernel, head, lastBuffers);
        int room = rxKernel.distance(rxKernel.hwtail(), head == 0 ? rx.slots() - 1 : head - 1);
        slot = rxKernel.hwtail();
        while (room > 0) {
            if (pending == 0) {
                long n = tap.read(in, in.byteSize());
                if (n == -Errno.EAGAIN) {
                    break;
                }
                if (n < 0) {
                    readErrors++;
                    break;
                }
                if (n < HDR + 14) {
                    badFrames++;
                    continue;
                }
                pending = (int) n;
                fromKernel++;
                counters().received(1);
            }
            int length = pending - HDR;
            int flags = in.get(ValueLayout.JAVA_BYTE, VirtioNetHeader.FLAGS_OFFSET) & 0xff;
            int gsoType = in.get(ValueLayout.JAVA_BYTE, VirtioNetHeader.GSO_TYPE_OFFSET) & 0x7f;
            int gsoSize = in.get(ValueLayout.JAVA_SHORT, VirtioNetHeader.GSO_SIZE_OFFSET) & 0xffff;
            int need;
            if (gsoType != VirtioNetHeader.GSO_NONE) {
                need = gso.pieces(in, HDR, length, gsoSize);
            } else {
                need = (length + pool.bufferSize() - 1) / pool.bufferSize();
            }
            if (need > room) {
                if (need > Math.min(rx.slots() - 1, Ring.MAX_FRAGMENTS * 8)) {
                    badFrames++; // could never fit: drop it rather than stall the ring
                    pending = 0;
                    continue;
                }
                break; // waits in 'in' until the application frees slots
            }
            if ((flags & VirtioNetHeader.F_NEEDS_CSUM) != 0 && gsoType == VirtioNetHeader.GSO_NONE) {
                completeChecksum(length);
            }
            if (gsoType != VirtioNetHeader.GSO_NONE) {
                int made = gso.segment(in, HDR, length, gsoSize, intoSlots);
                segmented += made;
                if (made == 0) {
                    badFrames++;
                }
            } else {
                copyIntoSlots(in, HDR, length);
            }
            room = rxKernel.distance(slot, head == 0 ? rx.slots() - 1 : head - 1);
            pending = 0;
        }
        rxKernel.publishTail(slot);
    }

    /** NEEDS_CSUM: the sum over [csum_start, end), complemented, at csum_start + csum_offset. */
    private void completeChecksum(int length) {
        int start = in.get(ValueLayout.JAVA_SHORT, VirtioNetHeader.CSUM_START_OFFSET) & 0xffff;
        int at = in.get(ValueLayout.JAVA_SHORT, VirtioNetHeader.CSUM_OFFSET_OFFSET) & 0xffff;
        if (start + at + 2 > length) {
            badFrames++;
            return;
        }
        int c = Checksums.finish(Checksums.add(in, HDR + start, length - start, 0));
        PacketParser.parse(in, HDR, length, LinkType.ETHERNET, parsed);
        if (c == 0 && parsed.ipProtocol() == IpProtocols.UDP) {
            c = 0xffff;
        }
        Bytes.put16(in, HDR + start + at, c);
        checksumsCompleted++;
    }

    private void copyIntoSlots(MemorySegment s, long offset, int length) {
        int size = pool.bufferSize();
        int written = 0;
        do {
            int part = Math.min(size, length - written);
            MemorySegment.copy(s, offset + written, buffers, rx.offset(slot), part);
            rx.setLength(slot, part);
            written += part;
            rx.setSlotFlags(slot, written < length ? Ring.MOREFRAG : 0);
            slot = rx.next(slot);
        } while (written < length);
    }

    @Override
    protected void deviceStatistics(ObjLongConsumer<String> sink) {
        sink.accept("tap_from_kernel", fromKernel);
        sink.accept("tap_segmented", segmented);
        sink.accept("tap_checksums_completed", checksumsCompleted);
        toKernel.statistics(sink);
        sink.accept("tap_read_errors", readErrors);
        sink.accept("tap_bad_frames", badFrames);
    }

    @Override
    protected void release() {
        toKernel.close(); // what GRO holds goes in first
        tap.close();
        arena.close();
        pool.close();
    }
}
