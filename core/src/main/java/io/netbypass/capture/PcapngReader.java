package io.netbypass.capture;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * pcapng files (draft-ietf-opsawg-pcapng): sections of either byte order, several interfaces
 * each with its own link type and timestamp resolution, Enhanced, Simple and (obsolete) Packet
 * Blocks. Other blocks are skipped by their length.
 */
public final class PcapngReader implements CaptureReader {
    static final int SHB_TYPE = 0x0a0d0d0a;
    static final int IDB_TYPE = 1;
    static final int OPB_TYPE = 2;
    static final int SPB_TYPE = 3;
    static final int EPB_TYPE = 6;
    static final int BYTE_ORDER_MAGIC = 0x1a2b3c4d;
    static final int OPT_END = 0;
    static final int OPT_IF_TSRESOL = 9;
    static final int OPT_IF_TSOFFSET = 14;
    private static final int MAX_BLOCK_LENGTH = 256 * 1024 * 1024;

    private final MappedFile file;
    private final MemorySegment data;
    private ValueLayout.OfInt u32;
    private ValueLayout.OfShort u16;
    private long position;
    private String truncation;
    // Interfaces of the current section: link type, snap length, ticks per second, offset in seconds.
    private int interfaces;
    private int[] linkTypes = new int[4];
    private int[] snapLengths = new int[4];
    private long[] ticksPerSecond = new long[4];
    private long[] offsetSeconds = new long[4];

    PcapngReader(MappedFile file) {
        this.file = file;
        this.data = file.segment;
    }

    public int interfaceCount() {
        return interfaces;
    }

    public int linkType(int interfaceId) {
        return linkTypes[interfaceId];
    }

    @Override
    public boolean next(CaptureRecord r) throws CaptureFormatException {
        long size = data.byteSize();
        while (position < size) {
            long block = position;
            if (block + 12 > size) {
                return truncated(block, "truncated block header (" + (size - block) + " bytes left)");
            }
            int type = data.get(Bytes32.BE, block);
            if (type == SHB_TYPE) {
                readSectionHeader(block, size);
                continue;
            }
            if (u32 == null) {
                throw new CaptureFormatException(block, "pcapng file does not start with a section header block");
            }
            type = data.get(u32, block);
            long length = data.get(u32, block + 4) & 0xffff_ffffL;
            checkLength(block, length);
            if (block + length > size) {
                return truncated(block, "truncated block of type " + type + ": " + length + " bytes announced, "
                        + (size - block) + " present");
            }
            checkTrailer(block, length);
            position = block + length;
            switch (type) {
                case IDB_TYPE -> readInterface(block, length);
                case EPB_TYPE -> {
                    readPacketBlock(block, length, r, false);
                    return true;
                }
                case SPB_TYPE -> {
                    readSimple(block, length, r);
                    return true;
                }
                case OPB_TYPE -> {
                    readPacketBlock(block, length, r, true);
                    return true;
                }
                default -> {
                    // name resolution, statistics, decryption secrets, custom blocks: not packets
                }
            }
        }
        return false;
    }

    private boolean truncated(long block, String what) {
        truncation = what + " at byte offset " + block;
        position = data.byteSize();
        return false;
    }

    private void readSectionHeader(long block, long size) throws CaptureFormatException {
        if (block + 28 > size) {
            truncated(block, "truncated section header block");
            return;
        }
        int magic = data.get(Bytes32.LE, block + 8);
        ByteOrder order;
        if (magic == BYTE_ORDER_MAGIC) {
            order = ByteOrder.LITTLE_ENDIAN;
        } else if (Integer.reverseBytes(magic) == BYTE_ORDER_MAGIC) {
            order = ByteOrder.BIG_ENDIAN;
        } else {
            throw new CaptureFormatException(block + 8, String.format("bad pcapng byte-order magic 0x%08x", magic));
        }
        u32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(order);
        u16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(order);
        long length = data.get(u32, block + 4) & 0xffff_ffffL;
        checkLength(block, length);
        if (length < 28) {
            throw new CaptureFormatException(block + 4, "section header block too short (" + length + " bytes)");
        }
        if (block + length > size) {
            truncated(block, "truncated section header block: " + length + " bytes announced, " + (size - block) + " present");
            return;
        }
        checkTrailer(block, length);
        int major = data.get(u16, block + 12) & 0xffff;
        if (major != 1) {
            throw new CaptureFormatException(block + 12, "unsupported pcapng major version " + major);
        }
        interfaces = 0; // interface ids are per section
        position = block + length;
    }

    private void checkLength(long block, long length) throws CaptureFormatException {
        if (length < 12 || (length & 3) != 0 || length > MAX_BLOCK_LENGTH) {
            throw new CaptureFormatException(block + 4, "bad pcapng block total length " + length);
        }
    }

    private void checkTrailer(long block, long length) throws CaptureFormatException {
        long trailer = data.get(u32, block + length - 4) & 0xffff_ffffL;
        if (trailer != length) {
            throw new CaptureFormatException(block + length - 4, "pcapng block length " + length
                    + " does not match its trailing copy " + trailer);
        }
    }

    private void readInterface(long block, long length) throws CaptureFormatException {
        if (length < 20) {
            throw new CaptureFormatException(block, "interface description block too short (" + length + " bytes)");
        }
        if (interfaces == linkTypes.length) {
            int n = interfaces * 2;
            linkTypes = Arrays.copyOf(linkTypes, n);
            snapLengths = Arrays.copyOf(snapLengths, n);
            ticksPerSecond = Arrays.copyOf(ticksPerSecond, n);
            offsetSeconds = Arrays.copyOf(offsetSeconds, n);
        }
        int id = interfaces++;
        linkTypes[id] = data.get(u16, block + 8) & 0xffff;
        snapLengths[id] = data.get(u32, block + 12);
        ticksPerSecond[id] = 1_000_000;
        offsetSeconds[id] = 0;
        long option = block + 16;
        long end = block + length - 4;
        while (option + 4 <= end) {
            int code = data.get(u16, option) & 0xffff;
            int optionLength = data.get(u16, option + 2) & 0xffff;
            if (code == OPT_END) {
                break;
            }
            if (option + 4 + optionLength > end) {
                throw new CaptureFormatException(option, "interface option " + code + " runs past its block");
            }
            if (code == OPT_IF_TSRESOL && optionLength >= 1) {
                int resolution = data.get(ValueLayout.JAVA_BYTE, option + 4) & 0xff;
                int exponent = resolution & 0x7f;
                boolean binary = (resolution & 0x80) != 0;
                if (binary ? exponent > 62 : exponent > 18) {
                    throw new CaptureFormatException(option + 4, "unsupported timestamp resolution 0x"
                            + Integer.toHexString(resolution));
                }
                ticksPerSecond[id] = binary ? 1L << exponent : pow10(exponent);
            } else if (code == OPT_IF_TSOFFSET && optionLength >= 8) {
                offsetSeconds[id] = data.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(u32.order()), option + 4);
            }
            option += 4 + ((optionLength + 3) & ~3);
        }
    }

    private static long pow10(int exponent) {
        long v = 1;
        for (int i = 0; i < exponent; i++) {
            v *= 10;
        }
        return v;
    }

    private long nanos(int id, long ticks) {
        long perSecond = ticksPerSecond[id];
        long seconds = Long.divideUnsigned(ticks, perSecond);
        long remainder = Long.remainderUnsigned(ticks, perSecond);
        long fraction = perSecond <= 1_000_000_000L && 1_000_000_000L % perSecond == 0
                ? remainder * (1_000_000_000L / perSecond)
                : (long) ((double) remainder * 1e9 / perSecond);
        return (seconds + offsetSeconds[id]) * 1_000_000_000L + fraction;
    }

    private int checkInterface(long at, int id) throws CaptureFormatException {
        if (id < 0 || id >= interfaces) {
            throw new CaptureFormatException(at, "packet names interface " + Integer.toUnsignedString(id)
                    + " but the section describes " + interfaces);
        }
        return id;
    }

    /**
     * Enhanced Packet Block, and the obsolete Packet Block it replaced: the same layout but for a
     * 16-bit interface id followed by a 16-bit drop count.
     */
    private void readPacketBlock(long block, long length, CaptureRecord r, boolean obsolete) throws CaptureFormatException {
        String name = obsolete ? "packet block" : "enhanced packet block";
        if (length < 32) {
            throw new CaptureFormatException(block, name + " too short (" + length + " bytes)");
        }
        int id = checkInterface(block + 8, obsolete ? data.get(u16, block + 8) & 0xffff : data.get(u32, block + 8));
        long ticks = ((data.get(u32, block + 12) & 0xffff_ffffL) << 32) | (data.get(u32, block + 16) & 0xffff_ffffL);
        int captured = data.get(u32, block + 20);
        if (captured < 0 || 28 + (long) captured + 4 > length) {
            throw new CaptureFormatException(block + 20, name + "'s captured length "
                    + Integer.toUnsignedString(captured) + " exceeds its block (" + length + " bytes)");
        }
        fill(r, block, block + 28, captured, data.get(u32, block + 24), nanos(id, ticks), id);
    }

    private void readSimple(long block, long length, CaptureRecord r) throws CaptureFormatException {
        if (length < 16) {
            throw new CaptureFormatException(block, "simple packet block too short (" + length + " bytes)");
        }
        int id = checkInterface(block, 0);
        int original = data.get(u32, block + 8);
        long room = length - 16;
        long captured = Integer.toUnsignedLong(original);
        if (snapLengths[0] != 0) {
            captured = Math.min(captured, Integer.toUnsignedLong(snapLengths[0]));
        }
        captured = Math.min(captured, room);
        fill(r, block, block + 12, (int) captured, original, 0, id);
    }

    private void fill(CaptureRecord r, long block, long dataOffset, int captured, int original, long nanos, int id) {
        r.set(data, dataOffset, captured, original, nanos, id, linkTypes[id]);
        r.fileOffset = block;
    }

    @Override
    public String truncation() {
        return truncation;
    }

    @Override
    public String format() {
        return "pcapng";
    }

    @Override
    public void close() {
        file.close();
    }

    /** Fixed-order 32-bit reads used before a section's byte order is known. */
    private static final class Bytes32 {
        static final ValueLayout.OfInt BE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
        static final ValueLayout.OfInt LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    }
}
