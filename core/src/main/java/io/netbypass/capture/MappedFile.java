package io.netbypass.capture;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** A whole file mapped read-only: packet data is read in place, never copied. */
final class MappedFile implements AutoCloseable {
    final Arena arena;
    final MemorySegment segment;

    MappedFile(Path path) throws IOException {
        Arena a = Arena.ofShared();
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = channel.size();
            segment = size == 0 ? MemorySegment.NULL.reinterpret(0) : channel.map(FileChannel.MapMode.READ_ONLY, 0, size, a);
        } catch (IOException | RuntimeException e) {
            a.close();
            throw e;
        }
        arena = a;
    }

    long size() {
        return segment.byteSize();
    }

    @Override
    public void close() {
        arena.close();
    }
}
