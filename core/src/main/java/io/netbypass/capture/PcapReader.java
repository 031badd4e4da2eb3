package io.netbypass.capture;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Classic libpcap files: either byte order, microsecond or nanosecond timestamps. */
public final class PcapReader implements CaptureReader {
    static final int MAGIC_MICROS = 0xa1b2c3d4;
    static final int MAGIC_NANOS = 0xa1b23c4d;
    static final int FILE_HEADER_LENGTH = 24;
    static final int RECORD_HEADER_LENGTH = 16;
    /** Larger than any real snapshot length; a bigger record length means a corrupt file. */
    static final int MAX_RECORD_LENGTH = 256 * 1024 * 1024;

    private final MappedFile file;
    private final MemorySegment data;
    private final ValueLayout.OfInt u32;
    private final boolean nanos;
    private final int linkType;
    private final int snapLength;
    private long position = FILE_HEADER_LENGTH;
    private String truncation;

    static boolean isMagic(int magic) {
        return magic == MAGIC_MICROS || magic == MAGIC_NANOS;
    }

    PcapReader(MappedFile file) throws CaptureFormatException {
        this.file = file;
        this.data = file.segment;
        int magicBe = data.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 0);
        ByteOrder order = isMagic(magicBe) ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        u32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(order);
        nanos = data.get(u32, 0) == MAGIC_NANOS;
        if (data.byteSize() < FILE_HEADER_LENGTH) {
            throw new CaptureFormatException(data.byteSize(), "pcap file header cut short (" + data.byteSize() + " of 24 bytes)");
        }
        int major = data.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(order), 4) & 0xffff;
        if (major != 2) {
            throw new CaptureFormatException(4, "unsupported pcap major version " + major);
        }
        snapLength = data.get(u32, 16);
        linkType = data.get(u32, 20) & 0x03ff_ffff; // upper bits carry FCS length information
    }

    public int linkType() {
        return linkType;
    }

    public int snapLength() {
        return snapLength;
    }

    public boolean nanosecondTimestamps() {
        return nanos;
    }

    @Override
    public boolean next(CaptureRecord r) throws CaptureFormatException {
        long size = data.byteSize();
        if (position == size) {
            return false;
        }
        if (position + RECORD_HEADER_LENGTH > size) {
            truncation = "truncated record header at byte offset " + position + " (" + (size - position) + " of 16 bytes)";
            position = size;
            return false;
        }
        long seconds = data.get(u32, position) & 0xffff_ffffL;
        long fraction = data.get(u32, position + 4) & 0xffff_ffffL;
        int captured = data.get(u32, position + 8);
        int original = data.get(u32, position + 12);
        if (captured < 0 || captured > MAX_RECORD_LENGTH) {
            throw new CaptureFormatException(position + 8, "pcap record with impossible captured length "
                    + Integer.toUnsignedString(captured));
        }
        if (position + RECORD_HEADER_LENGTH + captured > size) {
            truncation = "truncated record at byte offset " + position + ": " + captured + " bytes of data announced, "
                    + (size - position - RECORD_HEADER_LENGTH) + " present";
            position = size;
            return false;
        }
        r.segment = data;
        r.fileOffset = position;
        r.dataOffset = position + RECORD_HEADER_LENGTH;
        r.capturedLength = captured;
        r.originalLength = original;
        r.timestampNanos = seconds * 1_000_000_000L + (nanos ? fraction : fraction * 1000);
        r.interfaceId = 0;
        r.linkType = linkType;
        position += RECORD_HEADER_LENGTH + captured;
        return true;
    }

    @Override
    public String truncation() {
        return truncation;
    }

    @Override
    public String format() {
        return "pcap";
    }

    @Override
    public void close() {
        file.close();
    }
}
