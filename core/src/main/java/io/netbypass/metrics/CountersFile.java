package io.netbypass.metrics;

import io.netbypass.util.SafeFiles;
import io.netbypass.util.UserException;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

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
    /** The inode we created: close removes the path only while it is still that file. */
    private final Object fileKey;

    /**
     * Creates {@code path} with room for {@code capacity} counters. It only ever creates its own
     * file: a path that exists is refused unless it is a counters file of a netbypass process
     * that has ended (then it is replaced); the default directory must be ours
     * ({@link #defaultDirectory()}).
     */
    public CountersFile(Path path, int capacity, String name) throws IOException {
        if (capacity < 1 || capacity > MAX_CAPACITY) {
            throw new UserException("counters file capacity " + capacity + " is out of range 1-" + MAX_CAPACITY);
        }
        Path parent = path.toAbsolutePath().getParent();
        if (parent == null) {
            throw new UserException(path + ": a counters file, not a directory");
        }
        if (parent.equals(defaultDirectory().toAbsolutePath())) {
            SafeFiles.stateDirectory(parent, "rwxr-xr-x"); // ours, not writable by others: 'stat' of any user reads it
        }
        this.path = path;
        this.capacity = capacity;
        removeIfStale(path);
        Arena a = Arena.ofShared();
        // O_EXCL: a new file (a new inode) or an error, never a link followed or a file truncated.
        try (FileChannel ch = SafeFiles.createNew(path, true)) {
            long length = fileLength(capacity);
            ch.truncate(length);
            ch.position(length - 1);
            ch.write(ByteBuffer.wrap(new byte[1]));
            this.memory = ch.map(FileChannel.MapMode.READ_WRITE, 0, length, a);
            this.fileKey = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
        } catch (FileAlreadyExistsException e) {
            a.close();
            throw new IOException(path + " exists (made while we looked?): give this run another --counters path");
        } catch (IOException | RuntimeException e) {
            a.close();
            throw e;
        }
        this.arena = a;
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

    /**
     * A path that exists may only be a counters file of a process that has ended: it is removed.
     * Anything else (another file, a link, a FIFO, a directory, a live process's counters) is
     * refused in one line.
     */
    private static void removeIfStale(Path path) throws IOException {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return;
        }
        String refusal = path + " exists and is not the counters file of a finished netbypass: --counters only creates"
                + " its own file (remove it, or give another path)";
        if (!a.isRegularFile()) {
            throw new IOException(refusal);
        }
        boolean alive;
        long pid;
        try (CountersReader old = new CountersReader(path)) {
            alive = old.alive();
            pid = old.pid();
        } catch (IOException e) {
            throw new IOException(refusal);
        }
        if (alive) {
            throw new IOException(path + " is the counters file of running process " + pid
                    + ": give this one another --counters path");
        }
        Files.delete(path);
    }

    /**
     * Removes the counters files in {@code dir} that processes which have ended left behind
     * (kill -9, a crash): regular files named {@code *.counters} that read as counters files and
     * whose process is gone. Returns how many; nothing else in the directory is touched.
     */
    public static int removeStale(Path dir) {
        int removed = 0;
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return 0;
        }
        try (var files = Files.newDirectoryStream(dir, "*.counters")) {
            for (Path f : files) {
                if (!Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                boolean stale;
                try (CountersReader r = new CountersReader(f)) {
                    stale = !r.alive();
                } catch (IOException | RuntimeException e) {
                    continue; // not a counters file: not ours to remove
                }
                try {
                    if (stale && Files.deleteIfExists(f)) {
                        removed++;
                    }
                } catch (IOException e) {
                    // another user's file in a shared directory: left alone
                }
            }
        } catch (IOException e) {
            // an unreadable directory: nothing removed
        }
        return removed;
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
        try {
            Object now = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
            if (now != null && now.equals(fileKey)) {
                Files.deleteIfExists(path);
            }
        } catch (NoSuchFileException e) {
            // already gone
        }
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
