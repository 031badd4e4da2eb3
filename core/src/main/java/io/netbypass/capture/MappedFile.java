package io.netbypass.capture;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import io.netbypass.util.SafeFiles;

/**
 * A whole file mapped read-only: packet data is read in place, never copied. Only a regular file
 * (a FIFO would hang the open); while mapped it is an open input, which no output of this process
 * may overwrite ({@link SafeFiles#openOutput}: truncating a mapped file faults every later read).
 */
final class MappedFile implements AutoCloseable {
    final Arena arena;
    final MemorySegment segment;
    private final Object inputKey;

    MappedFile(Path path) throws IOException {
        SafeFiles.checkInput(path, Long.MAX_VALUE, "capture");
        Arena a = Arena.ofShared();
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = channel.size();
            segment = size == 0 ? MemorySegment.NULL.reinterpret(0) : channel.map(FileChannel.MapMode.READ_ONLY, 0, size, a);
        } catch (IOException | RuntimeException e) {
            a.close();
            throw e;
        }
        arena = a;
        inputKey = SafeFiles.opened(path);
    }

    long size() {
        return segment.byteSize();
    }

    @Override
    public void close() {
        SafeFiles.closed(inputKey);
        arena.close();
    }
}
