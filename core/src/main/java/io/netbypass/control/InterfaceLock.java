package io.netbypass.control;

import io.netbypass.util.SafeFiles;
import io.netbypass.util.UserException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * One command at a time changes an interface: a lock on {@code DIR/<netns>-<interface>.lock}
 * (fcntl, released by the kernel when the process dies, so a crash never leaves it held). Two
 * {@code tune} runs interleaving their writes left an interface neither had planned. The file
 * holds the holder's PID for the refusal's text; it is never removed (removing a lock file
 * lets two holders lock two different files). Within one process the lock is shared: the
 * isolation of {@code offload} and the journal of its own steps may both ask for it.
 */
public final class InterfaceLock implements AutoCloseable {
    private static final Map<Path, InterfaceLock> HELD = new HashMap<>();

    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;
    private int holders = 1;

    private InterfaceLock(Path file, FileChannel channel, FileLock lock) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
    }

    /** Takes the lock of {@code ifName} in namespace {@code netns}, or says who holds it. */
    public static InterfaceLock acquire(Path dir, String netns, String ifName) throws IOException {
        if (ifName.isEmpty() || ifName.contains("/") || ifName.equals(".") || ifName.equals("..")) {
            throw new UserException("'" + ifName + "' is not an interface name");
        }
        SafeFiles.stateDirectory(dir, "rwx------");
        Path file = dir.resolve(netns + "-" + ifName + ".lock");
        synchronized (HELD) {
            InterfaceLock mine = HELD.get(file);
            if (mine != null) {
                mine.holders++;
                return mine;
            }
            FileChannel ch = FileChannel.open(file, Set.of(StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            } catch (IOException | RuntimeException e) {
                ch.close();
                throw e;
            }
            if (lock == null) {
                ByteBuffer b = ByteBuffer.allocate(64);
                ch.read(b, 0);
                ch.close();
                String holder = new String(b.array(), 0, b.position(), StandardCharsets.US_ASCII).strip();
                throw new IOException(ifName + " is being changed by another netbypass (pid " + (holder.isEmpty() ? "?" : holder)
                        + "): wait for it to end, or stop it (it puts its settings back)");
            }
            ch.truncate(0);
            ch.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
            InterfaceLock l = new InterfaceLock(file, ch, lock);
            HELD.put(file, l);
            return l;
        }
    }

    @Override
    public void close() {
        synchronized (HELD) {
            if (--holders > 0) {
                return;
            }
            HELD.remove(file);
            try {
                lock.release();
                channel.close();
            } catch (IOException ignored) {
                // closing the channel releases the lock in any case
            }
        }
    }
}
