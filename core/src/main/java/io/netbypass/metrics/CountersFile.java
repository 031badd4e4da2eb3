package io.netbypass.metrics;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static io.netbypass.metrics.CountersDescriptor.*;

/**
 * The writing side of a counters file (layout: {@link CountersDescriptor}), memory-mapped so
 * another process reads the values live. One thread allocates, frees and sets counters; the file
 * is deleted on close.
 */
public final class CountersFile implements AutoCloseable {
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();

    private final Path path;
    private final Arena arena;
    private final MemorySegment memory;
    private final int capacity;

    /** Creates (or replaces) {@code path} with room for {@code capacity} counters. */
    public CountersFile(Path path, int capacity, String name) throws IOException {
        if (path.getParent() != null) {
            Files.createDirectories(path.getParent());
        }
        this.path = path;
        this.capacity = capacity;
        this.arena = Arena.ofShared();
        refuseLiveOwner(path);
        // A new file (a new inode), never a truncated one: a reader still mapping an old file keeps it whole.
        Files.deleteIfExists(path);
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE_NEW,
                StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long length = fileLength(capacity);
            ch.truncate(length);
            ch.position(length - 1);
            ch.write(java.nio.ByteBuffer.wrap(new byte[1]));
            this.memory = ch.map(FileChannel.MapMode.READ_WRITE, 0, length, arena);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        int len = Math.min(n.length, MAX_NAME_LENGTH);
        memory.set(ValueLayout.JAVA_INT, VERSION_OFFSET, VERSION);
        memory.set(ValueLayout.JAVA_INT, CAPACITY_OFFSET, capacity);
        memory.set(ValueLayout.JAVA_LONG, PID_OFFSET, ProcessHandle.current().pid());
        memory.set(ValueLayout.JAVA_LONG, START_MILLIS_OFFSET, System.currentTimeMillis());
        memory.set(ValueLayout.JAVA_LONG, HEARTBEAT_MILLIS_OFFSET, System.currentTimeMillis());
        memory.set(ValueLayout.JAVA_INT, NAME_LENGTH_OFFSET, len);
        MemorySegment.copy(n, 0, memory, ValueLayout.JAVA_BYTE, NAME_OFFSET, len);
        LONG.setRelease(memory, (long) MAGIC_OFFSET, MAGIC); // last: a reader sees a whole header or none
    }

    public Path path() {
        return path;
    }

    private static void refuseLiveOwner(Path path) throws IOException {
        if (!Files.exists(path)) {
            return;
        }
        try (CountersReader old = new CountersReader(path)) {
            if (old.pid() != ProcessHandle.current().pid() && old.alive()) {
                throw new IOException(path + " is the counters file of running process " + old.pid()
                        + ": give this one another --counters path");
            }
        } catch (IOException e) {
            if (e.getMessage() != null && e.getMessage().contains("running process")) {
                throw e;
            }
            // not a counters file, or a broken one: it is replaced
        }
    }

    /** Takes a free counter for {@code label}, value 0; -1 when the file is full. */
    public int allocate(String label) {
        byte[] b = label.getBytes(StandardCharsets.UTF_8);
        if (b.length > MAX_LABEL_LENGTH) {
            throw new IllegalArgumentException("counter label longer than " + MAX_LABEL_LENGTH + " bytes: " + label);
        }
        // Never-used records first: a reader in the middle of a freed record should not see it relabelled.
        int id = -1;
        for (int i = 0; i < capacity && id < 0; i++) {
            long r = recordOffset(i);
            if ((int) INT.getAcquire(memory, r + RECORD_STATE_OFFSET) == STATE_FREE
                    && memory.get(ValueLayout.JAVA_INT, r + RECORD_LABEL_LENGTH_OFFSET) == 0) {
                id = i;
            }
        }
        for (int i = 0; i < capacity && id < 0; i++) {
            if ((int) INT.getAcquire(memory, recordOffset(i) + RECORD_STATE_OFFSET) == STATE_FREE) {
                id = i;
            }
        }
        if (id < 0) {
            return -1;
        }
        long r = recordOffset(id);
        LONG.setRelease(memory, valueOffset(capacity, id), 0L);
        memory.set(ValueLayout.JAVA_INT, r + RECORD_LABEL_LENGTH_OFFSET, b.length);
        MemorySegment.copy(b, 0, memory, ValueLayout.JAVA_BYTE, r + RECORD_LABEL_OFFSET, b.length);
        INT.setRelease(memory, r + RECORD_STATE_OFFSET, STATE_ALLOCATED);
        return id;
    }

    public void free(int id) {
        if (id >= 0) {
            INT.setRelease(memory, recordOffset(id) + RECORD_STATE_OFFSET, STATE_FREE);
        }
    }

    /** Publishes a value (release: a reader that sees it sees what the writer did before). */
    public void set(int id, long value) {
        if (id >= 0) {
            LONG.setRelease(memory, valueOffset(capacity, id), value);
        }
    }

    public void heartbeat() {
        LONG.setRelease(memory, (long) HEARTBEAT_MILLIS_OFFSET, System.currentTimeMillis());
    }

    @Override
    public void close() throws IOException {
        arena.close();
        Files.deleteIfExists(path);
    }

    /** Where a process's counters file goes by default: /dev/shm/netbypass/PID.counters, else the temp directory. */
    public static Path defaultPath(long pid) {
        Path shm = Path.of("/dev/shm");
        Path dir = Files.isDirectory(shm) && Files.isWritable(shm) ? shm.resolve("netbypass")
                : Path.of(System.getProperty("java.io.tmpdir"), "netbypass");
        return dir.resolve(pid + ".counters");
    }

    public static Path defaultDirectory() {
        return defaultPath(0).getParent();
    }
}
