package io.netbypass.capture;

import io.netbypass.packet.Bytes;
import io.netbypass.util.UserException;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;

/** Opens a capture file as pcap or pcapng by its magic number. */
public final class Captures {
    private Captures() {
    }

    public static CaptureReader open(Path path) throws IOException {
        MappedFile file;
        try {
            file = new MappedFile(path);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(path.toString(), null, "no such file");
        }
        try {
            if (file.size() < 4) {
                throw new CaptureFormatException(0, file.size() == 0 ? "empty file, not a pcap or pcapng capture"
                        : "file too short for a pcap or pcapng header (" + file.size() + " bytes)");
            }
            int magicBe = file.segment.get(Bytes.U32_BE, 0);
            if (magicBe == PcapngReader.SHB_TYPE) {
                return new PcapngReader(file);
            }
            if (PcapReader.isMagic(magicBe) || PcapReader.isMagic(Integer.reverseBytes(magicBe))) {
                return new PcapReader(file);
            }
            throw new CaptureFormatException(0, String.format("not a pcap or pcapng file (magic 0x%08x)", magicBe));
        } catch (IOException | RuntimeException e) {
            file.close();
            throw e;
        }
    }

    /** The byte order that {@code name} ("le", "be", "little", "big", "native") stands for. */
    public static ByteOrder byteOrder(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "le", "little" -> ByteOrder.LITTLE_ENDIAN;
            case "be", "big" -> ByteOrder.BIG_ENDIAN;
            case "native" -> ByteOrder.nativeOrder();
            default -> throw new UserException("byte order must be le, be or native, not '" + name + "'");
        };
    }
}
