package io.netbypass.metrics;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import io.netbypass.util.SafeFiles;
import java.util.ArrayList;
import java.util.List;

import static io.netbypass.metrics.CountersDescriptor.*;

/** Reads a counters file another process (or thread) writes; see {@link CountersDescriptor}. */
public final class CountersReader implements AutoCloseable {
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();

    private final Path path;
    private final Arena arena;
    private final MemorySegment memory;
    private final int capacity;

    public record Counter(int id, String label, long value) {
    }

    public CountersReader(Path path) throws IOException {
        this.path = path;
        // A FIFO would hang the open, a device or a huge file would be mapped: refused first.
        SafeFiles.checkInput(path, fileLength(MAX_CAPACITY), "counters file");
        this.arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < HEADER_LENGTH) {
                throw new IOException(path + ": not a netbypass counters file (too short)");
            }
            this.memory = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            if ((long) LONG.getAcquire(memory, (long) MAGIC_OFFSET) != MAGIC
                    || memory.get(ValueLayout.JAVA_INT, VERSION_OFFSET) != VERSION) {
                throw new IOException(path + ": not a netbypass counters file (version " + VERSION + ")");
            }
            this.capacity = memory.get(ValueLayout.JAVA_INT, CAPACITY_OFFSET);
            if (capacity < 0 || fileLength(capacity) > size) {
                throw new IOException(path + ": counters file is cut short");
            }
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    public Path path() {
        return path;
    }

    public long pid() {
        return memory.get(ValueLayout.JAVA_LONG, PID_OFFSET);
    }

    public long startMillis() {
        return memory.get(ValueLayout.JAVA_LONG, START_MILLIS_OFFSET);
    }

    public long heartbeatMillis() {
        return (long) LONG.getAcquire(memory, (long) HEARTBEAT_MILLIS_OFFSET);
    }

    public String name() {
        int len = Math.min(memory.get(ValueLayout.JAVA_INT, NAME_LENGTH_OFFSET), MAX_NAME_LENGTH);
        return new String(memory.asSlice(NAME_OFFSET, Math.max(0, len)).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
    }

    /**
     * Is the writing process still running? A process with its PID that started after the file
     * was written is another one (the PID was reused): the writer has ended.
     */
    public boolean alive() {
        return ProcessHandle.of(pid()).filter(ProcessHandle::isAlive)
                .map(h -> h.info().startInstant().map(t -> t.toEpochMilli() <= startMillis() + 1000).orElse(true))
                .orElse(false);
    }

    /** The allocated counters now. */
    public List<Counter> counters() {
        List<Counter> out = new ArrayList<>();
        for (int id = 0; id < capacity; id++) {
            long r = recordOffset(id);
            if ((int) INT.getAcquire(memory, r + RECORD_STATE_OFFSET) != STATE_ALLOCATED) {
                continue;
            }
            int len = Math.min(memory.get(ValueLayout.JAVA_INT, r + RECORD_LABEL_LENGTH_OFFSET), MAX_LABEL_LENGTH);
            String label = new String(memory.asSlice(r + RECORD_LABEL_OFFSET, Math.max(0, len)).toArray(ValueLayout.JAVA_BYTE),
                    StandardCharsets.UTF_8);
            long value = (long) LONG.getAcquire(memory, valueOffset(capacity, id));
            out.add(new Counter(id, label, value));
        }
        return out;
    }

    @Override
    public void close() {
        arena.close();
    }
}
