package io.netbypass.linux.tap;

import io.netbypass.linux.Errno;
import io.netbypass.linux.LinuxException;
import io.netbypass.linux.Native;
import io.netbypass.offload.ChecksumCompletion;
import io.netbypass.offload.Gso;
import io.netbypass.offload.PacketSink;
import io.netbypass.offload.Gro;
import io.netbypass.offload.VirtioNetHeader;
import io.netbypass.packet.Bytes;
import io.netbypass.packet.Checksums;
import io.netbypass.packet.IpProtocols;
import io.netbypass.packet.LinkType;
import io.netbypass.packet.PacketParser;
import io.netbypass.packet.ParsedPacket;
import io.netbypass.port.BufferPool;
import io.netbypass.port.HostPath;
import io.netbypass.port.KernelRing;
import io.netbypass.port.Port;
import io.netbypass.port.PortException;
import io.netbypass.port.PortName;
import io.netbypass.port.Ring;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.function.ObjLongConsumer;

/**
 * A port on a TAP interface: {@code tap:NAME}, and the host path of a bypassed interface
 * ({@code xdp:IF^}, netmap's host rings). Its TX ring, and {@link #forward}, put frames into the
 * kernel's stack as if the interface had received them, coalesced by {@link Gro} into large
 * frames with GSO metadata (one write and one trip up the stack per run of segments). Its RX ring
 * gets what the kernel sends out of the interface: large frames split by {@link Gso}, checksums
 * the kernel left to "hardware" completed.
 *
 * <p>For {@code xdp:IF^} the TAP takes IF's MAC and MTU, and no reverse-path filtering, so the
 * kernel accepts the frames it is given as traffic for IF's addresses; its IPv6 makes no
 * addresses of its own. The TAP goes away when the port closes, or with the process.
 */
public final class TapPort implements Port, HostPath {
    public static final int DEFAULT_SLOTS = 1024;
    private static final int MAX_FRAME = 64 + 65535;
    private static final int HDR = VirtioNetHeader.LENGTH;

    private final PortName name;
    private final TapDevice tap;
    private final BufferPool pool;
    private final MemorySegment buffers;
    private final Arena arena = Arena.ofShared();
    private final Ring rx;
    private final Ring tx;
    private final KernelRing rxKernel;
    private final KernelRing txKernel;
    private final MemorySegment in;
    private final MemorySegment chain;
    private final MemorySegment header;
    private final MemorySegment vectors;
    private final ParsedPacket parsed = new ParsedPacket();
    private final Gso gso = new Gso();
    private final ChecksumCompletion checksums = new ChecksumCompletion();
    /** The kernel's verdict on what we write: its checksum and socket-buffer drops, the TAP's receive drops. */
    private final io.netbypass.linux.KernelVerdicts verdicts;
    private final Gro gro;
    private final PacketSink writer = (s, offset, length, gsoType, gsoSize) -> writeFrame(s, offset, length, gsoType, gsoSize);
    private final PacketSink intoSlots = this::intoSlot;
    private final String description;
    private volatile boolean closed;
    /** A frame read from the TAP that did not fit the RX ring yet, kept in {@link #in}; 0 when none. */
    private int pending;
    private int slot;

    private long fromKernel;
    private long toKernel;
    private long toKernelFrames;
    private long toKernelCompleted;
    private long toKernelBadChecksums;
    private long writeErrors;
    private long readErrors;
    private long checksumsCompleted;
    private long segmented;
    private long badFrames;
    private long badSlots;
    private long syncErrors;

    private TapPort(PortName name, TapDevice tap, int rxSlots, int txSlots, boolean gro, String description) {
        this.name = name;
        this.tap = tap;
        this.pool = new BufferPool(BufferPool.FIRST_BUFFER + rxSlots + txSlots, BufferPool.DEFAULT_BUFFER_SIZE);
        this.buffers = pool.memory();
        this.rx = Ring.allocate(arena, Ring.Kind.RX, 0, rxSlots, pool);
        this.tx = Ring.allocate(arena, Ring.Kind.TX, 0, txSlots, pool);
        this.rxKernel = new KernelRing(rx);
        this.txKernel = new KernelRing(tx);
        rxKernel.reset(0, 0);
        txKernel.reset(0, txSlots - 1);
        this.in = arena.allocate(HDR + MAX_FRAME, 64);
        this.chain = arena.allocate(MAX_FRAME, 64);
        this.header = arena.allocate(HDR, 8);
        this.vectors = arena.allocate(32, 8);
        this.gro = gro ? new Gro(writer) : null;
        this.description = description;
        this.verdicts = new io.netbypass.linux.KernelVerdicts(tap.name());
    }

    /** {@code tap:NAME}: creates (or joins) TAP NAME, up, with the offloads we complete ourselves. */
    public static TapPort open(PortName name, boolean gro) {
        return open(name, name.device(), null, null, 0, gro, "TAP " + name.device());
    }

    /** {@code xdp:IF^}: a TAP standing for IF toward the kernel, named nbh + IF's index. */
    public static TapPort hostPathOf(PortName name, String ifName, boolean gro) {
        byte[] mac;
        int mtu;
        String tapName;
        try {
            tapName = "nbh" + Native.ifIndex(ifName);
            mac = TapDevice.macOf(ifName);
            mtu = TapDevice.mtuOf(ifName);
        } catch (LinuxException e) {
            throw new PortException(name + ": " + (e.errno() == Errno.ENODEV ? "no such network interface: " + ifName : e.getMessage()));
        }
        String all = rpFilterAll();
        return open(name, tapName, ifName, mac, mtu, gro, "host path of " + ifName + " through TAP " + tapName
                + (gro ? " (GRO on)" : " (GRO off)") + (all.equals("0") ? "" : "; WARNING net.ipv4.conf.all.rp_filter=" + all
                + " makes the kernel drop what the host path gives it (IPReversePathFilter): sysctl -w net.ipv4.conf.all.rp_filter=0"));
    }

    private static String rpFilterAll() {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/sys/net/ipv4/conf/all/rp_filter")).strip();
        } catch (java.io.IOException e) {
            return "0";
        }
    }

    /** /proc/sys/net/ipv6/conf/IF/disable_ipv6 ("0" or "1"), or null without IPv6. */
    private static String ipv6Disabled(String ifName) {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/sys/net/ipv6/conf", ifName, "disable_ipv6")).strip();
        } catch (java.io.IOException | java.nio.file.InvalidPathException e) {
            return null;
        }
    }

    private static TapPort open(PortName name, String tapName, String standsFor, byte[] mac, int mtu, boolean gro, String description) {
        int rxSlots = name.config().rxSlots() == 0 ? DEFAULT_SLOTS : name.config().rxSlots();
        int txSlots = name.config().txSlots() == 0 ? DEFAULT_SLOTS : name.config().txSlots();
        TapDevice tap = null;
        try {
            tap = TapDevice.open(tapName);
            // Whatever the kernel sends us large or unchecksummed, we split and complete (Gso, checksums).
            tap.offloads(TapDevice.TUN_F_CSUM | TapDevice.TUN_F_TSO4 | TapDevice.TUN_F_TSO6 | TapDevice.TUN_F_TSO_ECN);
            if (mac != null) {
                // Off: the TAP has no address of its own, and the kernel's reverse-path check fails every
                // source on an interface without one, strict or loose (conf/all still counts: see below).
                tap.sysctl("ipv4/conf/%s/rp_filter", "0");
                tap.sysctl("ipv6/conf/%s/addr_gen_mode", "1"); // no link-local address, no DAD or RS from it
                tap.sysctl("ipv6/conf/%s/accept_ra", "0");
                // IPv6 as on the interface it stands for: a TAP made where new interfaces get IPv6 off
                // (conf/default) would drop every IPv6 packet the filter passes.
                if (standsFor != null && "0".equals(ipv6Disabled(standsFor))) {
                    tap.sysctl("ipv6/conf/%s/disable_ipv6", "0");
                }
            }
            tap.configure(mac, mtu);
            return new TapPort(name, tap, rxSlots, txSlots, gro, description);
        } catch (LinuxException e) {
            if (tap != null) {
                tap.close();
            }
            String m = e.getMessage();
            throw new PortException(name + ": " + m + (e.errno() == Errno.EPERM || e.errno() == Errno.EACCES
                    ? "; a TAP needs root (CAP_NET_ADMIN)" : e.errno() == Errno.ENOENT ? "; no /dev/net/tun (modprobe tun)" : ""));
        } catch (RuntimeException e) {
            if (tap != null) {
                tap.close();
            }
            throw e instanceof PortException ? e : new PortException(name + ": " + e.getMessage());
        }
    }

    @Override public PortName name() { return name; }
    @Override public BufferPool pool() { return pool; }
    @Override public int rxRings() { return 1; }
    @Override public int txRings() { return 1; }
    @Override public Ring rxRing(int i) { return rx; }
    @Override public Ring txRing(int i) { return tx; }
    @Override public boolean isClosed() { return closed; }
    @Override public String description() { return description; }

    @Override
    public org.agrona.concurrent.IdleStrategy waitStrategy() {
        return new io.netbypass.linux.PollIdleStrategy(new int[] {tap.fd()}, 16, 10);
    }

    // ---- toward the kernel: TX ring and forward() ----

    /**
     * One frame into the kernel. Its TCP/UDP checksum is completed first when the sender left it
     * partial (veth, virtio and local senders hand frames over so, and AF_XDP drops the flag that
     * said it): the kernel takes every frame it is given as a wire would give it. With GRO, which
     * sums every segment anyway, the check is that sum, and a really wrong checksum is counted
     * (and left for the kernel to refuse); without it only a field that holds the pseudo-header
     * sum costs a pass over the data, and the kernel alone counts a wrong one.
     */
    @Override
    public boolean forward(MemorySegment s, long offset, int length) {
        toKernel++;
        int checksum = checksums.check(s, offset, length, gro != null);
        if (checksum == ChecksumCompletion.COMPLETED) {
            toKernelCompleted++;
        } else if (checksum == ChecksumCompletion.BAD) {
            toKernelBadChecksums++;
        }
        if (gro != null) {
            gro.receive(s, offset, length, checksums.parsed(),
                    checksum == ChecksumCompletion.VALID || checksum == ChecksumCompletion.COMPLETED);
            return true;
        }
        return writeFrame(s, offset, length, VirtioNetHeader.GSO_NONE, 0);
    }

    @Override
    public void flush() {
        if (gro != null) {
            gro.flush();
        }
    }

    /**
     * One frame into the kernel. A coalesced frame goes as the kernel's own GSO frames do:
     * NEEDS_CSUM with the pseudo-header sum in the TCP checksum, the segment size and type.
     */
    private boolean writeFrame(MemorySegment s, long offset, int length, int gsoType, int gsoSize) {
        header.fill((byte) 0);
        if (gsoType != VirtioNetHeader.GSO_NONE) {
            PacketParser.parse(s, offset, length, LinkType.ETHERNET, parsed);
            int l3 = parsed.l3Offset();
            int l4 = parsed.l4Offset();
            int l4Length = length - l4;
            int proto = parsed.ipProtocol();
            int checksumAt = proto == IpProtocols.UDP ? 6 : 16;
            long partial = Checksums.transportSum(s, offset + l3, proto, offset + l4, l4Length, 0);
            Bytes.put16(s, offset + l4 + checksumAt, Checksums.fold(partial));
            header.set(ValueLayout.JAVA_BYTE, VirtioNetHeader.FLAGS_OFFSET, (byte) VirtioNetHeader.F_NEEDS_CSUM);
            header.set(ValueLayout.JAVA_BYTE, VirtioNetHeader.GSO_TYPE_OFFSET, (byte) gsoType);
            header.set(ValueLayout.JAVA_SHORT, VirtioNetHeader.HDR_LEN_OFFSET, (short) parsed.payloadOffset());
            header.set(ValueLayout.JAVA_SHORT, VirtioNetHeader.GSO_SIZE_OFFSET, (short) gsoSize);
            header.set(ValueLayout.JAVA_SHORT, VirtioNetHeader.CSUM_START_OFFSET, (short) l4);
            header.set(ValueLayout.JAVA_SHORT, VirtioNetHeader.CSUM_OFFSET_OFFSET, (short) checksumAt);
        }
        vectors.set(ValueLayout.JAVA_LONG, 0, header.address());
        vectors.set(ValueLayout.JAVA_LONG, 8, HDR);
        vectors.set(ValueLayout.JAVA_LONG, 16, s.address() + offset);
        vectors.set(ValueLayout.JAVA_LONG, 24, length);
        long rc = tap.write(vectors, 2);
        if (rc < 0) {
            writeErrors++;
            return false;
        }
        toKernelFrames++;
        return true;
    }

    @Override
    public int txSync() {
        int head = txKernel.prologue();
        if (head < 0) {
            syncErrors++;
            return 1;
        }
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
                badSlots++;
                continue;
            }
            if (tx.next(start) == i) {
                forward(buffers, pool.offset(tx.bufferIndex(start)), total); // one slot: no copy needed
            } else {
                forward(chain, 0, total);
            }
        }
        flush();
        txKernel.consumed(i);
        txKernel.publishTail(i == 0 ? tx.slots() - 1 : i - 1);
        return 0;
    }

    // ---- from the kernel: RX ring ----

    @Override
    public int rxSync() {
        int head = rxKernel.prologue();
        if (head < 0) {
            syncErrors++;
            return 1;
        }
        for (int i = rxKernel.hwcur(); i != head; i = rx.next(i)) {
            if (!pool.valid(rx.bufferIndex(i))) {
                badSlots++;
                rx.setBufferIndex(i, pool.take());
            }
            rx.setSlotFlags(i, 0);
        }
        rxKernel.consumed(head);
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
        return 0;
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

    private void intoSlot(MemorySegment s, long offset, int length, int gsoType, int gsoSize) {
        copyIntoSlots(s, offset, length);
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
    public void statistics(ObjLongConsumer<String> sink) {
        sink.accept("tap_from_kernel", fromKernel);
        sink.accept("tap_segmented", segmented);
        sink.accept("tap_checksums_completed", checksumsCompleted);
        sink.accept("tap_to_kernel", toKernel);
        sink.accept("tap_writes", toKernelFrames);
        sink.accept("tap_to_kernel_csum_completed", toKernelCompleted);
        sink.accept("tap_to_kernel_csum_bad", toKernelBadChecksums);
        if (gro != null) {
            sink.accept("gro_segments_in", gro.segmentsIn());
            sink.accept("gro_merged", gro.merged());
        }
        sink.accept("tap_write_errors", writeErrors);
        verdicts.refresh(500_000_000L);
        sink.accept("tap_rx_dropped_by_kernel", verdicts.interfaceDrops());
        sink.accept("kernel_csum_errors", verdicts.checksumErrors()); // the whole namespace's
        sink.accept("kernel_udp_rcvbuf_errors", verdicts.socketBufferDrops());
        sink.accept("tap_read_errors", readErrors);
        sink.accept("tap_bad_frames", badFrames);
        sink.accept("bad_slots", badSlots);
        sink.accept("sync_errors", syncErrors);
    }
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        flush();
        tap.close();
        arena.close();
        pool.close();
    }

    @Override
    public String toString() {
        return name.toString();
    }
}
