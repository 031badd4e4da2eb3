package io.netbypass.capture;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;

/** Writes pcapng: one section, any number of interfaces, Enhanced Packet Blocks, either byte order. */
public final class PcapngWriter implements CaptureWriter {
    private final BlockOutput out;
    private int interfaces;
    private boolean[] nanos = new boolean[4];
    private int[] linkTypes = new int[4];

    public PcapngWriter(Path path, ByteOrder order) throws IOException {
        out = new BlockOutput(path, order);
        byte[] app = "netbypass".getBytes(StandardCharsets.US_ASCII);
        int options = 4 + pad4(app.length) + 4; // shb_userappl, opt_endofopt
        int length = 28 + options;
        out.putInt(PcapngReader.SHB_TYPE);
        out.putInt(length);
        out.putInt(PcapngReader.BYTE_ORDER_MAGIC);
        out.putShort(1);
        out.putShort(0);
        out.putLong(-1L); // section length not known in advance
        putStringOption(4, app);
        out.putInt(0);
        out.putInt(length);
    }

    /** Describes an interface; returns its id for {@link CaptureRecord#interfaceId()}. */
    public int addInterface(int linkType, int snapLength, boolean nanosecondTimestamps, String name) throws IOException {
        if (interfaces == linkTypes.length) {
            linkTypes = Arrays.copyOf(linkTypes, interfaces * 2);
            nanos = Arrays.copyOf(nanos, interfaces * 2);
        }
        byte[] nameBytes = name == null ? new byte[0] : name.getBytes(StandardCharsets.UTF_8);
        int options = (nameBytes.length > 0 ? 4 + pad4(nameBytes.length) : 0) + (nanosecondTimestamps ? 8 : 0) + 4;
        int length = 20 + options;
        out.putInt(PcapngReader.IDB_TYPE);
        out.putInt(length);
        out.putShort(linkType);
        out.putShort(0);
        out.putInt(snapLength);
        if (nameBytes.length > 0) {
            putStringOption(2, nameBytes); // if_name
        }
        if (nanosecondTimestamps) {
            out.putShort(PcapngReader.OPT_IF_TSRESOL);
            out.putShort(1);
            out.room(4).put((byte) 9).put((byte) 0).put((byte) 0).put((byte) 0);
        }
        out.putInt(0);
        out.putInt(length);
        linkTypes[interfaces] = linkType;
        nanos[interfaces] = nanosecondTimestamps;
        return interfaces++;
    }

    private void putStringOption(int code, byte[] value) throws IOException {
        out.putShort(code);
        out.putShort(value.length);
        out.room(value.length).put(value);
        out.pad(pad4(value.length) - value.length);
    }

    private static int pad4(int n) {
        return (n + 3) & ~3;
    }

    @Override
    public void write(CaptureRecord r) throws IOException {
        int id = r.interfaceId();
        if (id < 0 || id >= interfaces) {
            throw new IOException("packet for interface " + id + " but " + interfaces + " interfaces were added");
        }
        if (linkTypes[id] != r.linkType()) {
            throw new IOException("interface " + id + " has link type " + linkTypes[id] + ", packet " + r.linkType());
        }
        int captured = r.capturedLength();
        int length = 32 + pad4(captured);
        long ticks = nanos[id] ? r.timestampNanos() : Math.floorDiv(r.timestampNanos(), 1000L);
        out.putInt(PcapngReader.EPB_TYPE);
        out.putInt(length);
        out.putInt(id);
        out.putInt((int) (ticks >>> 32));
        out.putInt((int) ticks);
        out.putInt(captured);
        out.putInt(Math.max(r.originalLength(), captured));
        out.putBytes(r.segment(), r.dataOffset(), captured);
        out.pad(pad4(captured) - captured);
        out.putInt(length);
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
