package io.netbypass.linux.tap;

import io.netbypass.hostpath.ChecksumCompletion;
import io.netbypass.hostpath.Gro;
import io.netbypass.hostpath.PacketSink;
import io.netbypass.hostpath.VirtioNetHeader;
import io.netbypass.linux.KernelVerdicts;
import io.netbypass.packet.Bytes;
import io.netbypass.packet.Checksums;
import io.netbypass.packet.FrameHeaders;
import io.netbypass.packet.IpProtocols;
import io.netbypass.packet.LinkType;
import io.netbypass.packet.PacketParser;
import io.netbypass.packet.ParsedPacket;
import io.netbypass.port.HostPath;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.function.ObjLongConsumer;

/**
 * The way into the kernel's stack through a TAP: each frame written with a virtio-net header as
 * if the interface had received it, its partial checksum completed first, runs of segments
 * coalesced by {@link Gro} into large frames with GSO metadata (one write and one trip up the
 * stack per run). The frame's {@link FrameHeaders}, from the filter's parse or GRO's, spare a
 * second parse. The kernel's verdict on what we write (its checksum and socket-buffer drops, the
 * TAP's receive drops) is part of the statistics.
 */
public final class TapHostPath implements HostPath {
    private static final int HDR = VirtioNetHeader.LENGTH;

    private final TapDevice tap;
    private final boolean ownsTap;
    private final String description;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment header;
    private final MemorySegment vectors;
    private final ParsedPacket parsed = new ParsedPacket();
    private final ChecksumCompletion checksums = new ChecksumCompletion();
    private final KernelVerdicts verdicts;
    private final Gro gro;

    private long toKernel;
    private long toKernelFrames;
    private long toKernelCompleted;
    private long toKernelBadChecksums;
    private long writeErrors;

    /** Writes into {@code tap}; closes it on {@link #close()} when {@code ownsTap}. */
    TapHostPath(TapDevice tap, boolean ownsTap, boolean gro, String description) {
        this.tap = tap;
        this.ownsTap = ownsTap;
        this.description = description;
        this.header = arena.allocate(HDR, 8);
        this.vectors = arena.allocate(32, 8);
        PacketSink writer = (s, offset, length, gsoType, gsoSize, headers) -> write(s, offset, length, gsoType, gsoSize, headers);
        this.gro = gro ? new Gro(writer) : null;
        this.verdicts = new KernelVerdicts(tap.name());
    }

    /**
     * The host path of interface {@code ifName}: a TAP standing for it toward the kernel (see
     * {@link TapSetup#standingFor}), written to only. Errors are one-line {@link io.netbypass.port.PortException}s.
     */
    public static TapHostPath of(String portName, String ifName, boolean gro) {
        TapSetup setup = TapSetup.standingFor(portName, ifName, gro);
        return new TapHostPath(setup.tap(), true, gro, setup.description());
    }

    /**
     * One frame into the kernel. Its TCP/UDP checksum is completed first when the sender left it
     * partial (veth, virtio and local senders hand frames over so, and AF_XDP drops the flag that
     * said it): the kernel takes every frame it is given as a wire would give it. With GRO, which
     * sums every segment anyway, the check is that sum, and a really wrong checksum is counted
     * (and left for the kernel to refuse); without it only a field that holds the pseudo-header
     * sum costs a pass over the data, and the kernel alone counts a wrong one.
     */
    @Override
    public boolean forward(MemorySegment s, long offset, int length, long headers) {
        toKernel++;
        int checksum = checksums.check(s, offset, length, headers, gro != null);
        if (checksum == ChecksumCompletion.COMPLETED) {
            toKernelCompleted++;
        } else if (checksum == ChecksumCompletion.BAD) {
            toKernelBadChecksums++;
        }
        if (gro != null) {
            gro.receive(s, offset, length, checksums.headers(),
                    checksum == ChecksumCompletion.VALID || checksum == ChecksumCompletion.COMPLETED);
            return true;
        }
        return write(s, offset, length, VirtioNetHeader.GSO_NONE, 0, checksums.headers());
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
    private boolean write(MemorySegment s, long offset, int length, int gsoType, int gsoSize, long headers) {
        header.fill((byte) 0);
        if (gsoType != VirtioNetHeader.GSO_NONE) {
            if (!FrameHeaders.fits(headers, length)) {
                PacketParser.parse(s, offset, length, LinkType.ETHERNET, parsed);
                headers = FrameHeaders.of(parsed);
            }
            int l3 = FrameHeaders.l3(headers);
            int l4 = FrameHeaders.l4(headers);
            int l4Length = length - l4;
            int proto = FrameHeaders.protocol(headers);
            int checksumAt = proto == IpProtocols.UDP ? 6 : 16;
            long partial = Checksums.transportSum(s, offset + l3, proto, offset + l4, l4Length, 0);
            Bytes.put16(s, offset + l4 + checksumAt, Checksums.fold(partial));
            header.set(ValueLayout.JAVA_BYTE, VirtioNetHeader.FLAGS_OFFSET, (byte) VirtioNetHeader.F_NEEDS_CSUM);
            header.set(ValueLayout.JAVA_BYTE, VirtioNetHeader.GSO_TYPE_OFFSET, (byte) gsoType);
            header.set(ValueLayout.JAVA_SHORT, VirtioNetHeader.HDR_LEN_OFFSET, (short) FrameHeaders.payload(headers));
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
    public String description() {
        return description;
    }

    @Override
    public void statistics(ObjLongConsumer<String> sink) {
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
    }

    @Override
    public void close() {
        flush();
        if (ownsTap) {
            tap.close();
        }
        arena.close();
    }
}
