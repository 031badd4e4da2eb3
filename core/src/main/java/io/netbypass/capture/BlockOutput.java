package io.netbypass.capture;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

import io.netbypass.util.SafeFiles;

/** A buffered file writer in a chosen byte order, shared by the pcap and pcapng writers. */
final class BlockOutput implements AutoCloseable {
    private final FileChannel channel;
    private final ByteBuffer buffer;

    BlockOutput(Path path, ByteOrder order) throws IOException {
        channel = SafeFiles.openOutput(path); // never an open input, a link, a FIFO or a device

        buffer = ByteBuffer.allocate(1 << 16).order(order);
    }

    ByteBuffer room(int bytes) throws IOException {
        if (buffer.remaining() < bytes) {
            flush();
        }
        return buffer;
    }

    void putInt(int v) throws IOException { room(4).putInt(v); }
    void putShort(int v) throws IOException { room(2).putShort((short) v); }
    void putLong(long v) throws IOException { room(8).putLong(v); }

    void putBytes(MemorySegment segment, long offset, int length) throws IOException {
        while (length > 0) {
            room(1);
            int n = Math.min(length, buffer.remaining());
            MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, offset, buffer.array(), buffer.position(), n);
            buffer.position(buffer.position() + n);
            offset += n;
            length -= n;
        }
    }

    void pad(int bytes) throws IOException {
        for (int i = 0; i < bytes; i++) {
            room(1).put((byte) 0);
        }
    }

    void flush() throws IOException {
        buffer.flip();
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
        buffer.clear();
    }

    @Override
    public void close() throws IOException {
        try {
            flush();
        } finally {
            channel.close();
        }
    }
}
