package io.netbypass.capture;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Path;

/** Writes classic pcap: one link type, microsecond or nanosecond timestamps, either byte order. */
public final class PcapWriter implements CaptureWriter {
    private final BlockOutput out;
    private final boolean nanos;
    private final int linkType;
    private final int snapLength;

    public PcapWriter(Path path, int linkType, int snapLength, boolean nanos, ByteOrder order) throws IOException {
        this.out = new BlockOutput(path, order);
        this.nanos = nanos;
        this.linkType = linkType;
        this.snapLength = snapLength;
        out.putInt(nanos ? PcapReader.MAGIC_NANOS : PcapReader.MAGIC_MICROS);
        out.putShort(2);
        out.putShort(4);
        out.putInt(0); // thiszone: timestamps are UTC
        out.putInt(0); // sigfigs
        out.putInt(snapLength);
        out.putInt(linkType);
    }

    @Override
    public void write(CaptureRecord r) throws IOException {
        if (r.linkType() != linkType) {
            throw new IOException("pcap holds one link type (" + linkType + "); packet has " + r.linkType()
                    + ": write pcapng for mixed link types");
        }
        int captured = Math.min(r.capturedLength(), snapLength);
        long ts = r.timestampNanos();
        long seconds = Math.floorDiv(ts, 1_000_000_000L);
        long fraction = Math.floorMod(ts, 1_000_000_000L);
        out.putInt((int) seconds);
        out.putInt((int) (nanos ? fraction : fraction / 1000));
        out.putInt(captured);
        out.putInt(Math.max(r.originalLength(), captured));
        out.putBytes(r.segment(), r.dataOffset(), captured);
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
