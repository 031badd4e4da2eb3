package io.netbypass.util;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Files a command reads and writes, handled so that a local user cannot turn them against us:
 * inputs must be regular files of a bounded size (a FIFO would hang us, {@code /dev/zero} would
 * fill the heap); outputs are never one of this process's open inputs (same inode, hard links
 * included), never followed through a symbolic link and never a FIFO or device; directories we
 * keep state in are ours, not writable by others, and not symbolic links. Every refusal is one
 * {@link IOException} line naming the path and what to do.
 */
public final class SafeFiles {
    /** Inputs open in this process, by file key (device and inode). */
    private static final Set<Object> OPEN_INPUTS = ConcurrentHashMap.newKeySet();

    private SafeFiles() {
    }

    /** What a path is, in words, for a refusal. */
    private static String kind(BasicFileAttributes a) {
        if (a.isDirectory()) {
            return "a directory";
        }
        if (a.isSymbolicLink()) {
            return "a symbolic link";
        }
        return a.isOther() ? "a FIFO, socket or device" : a.isRegularFile() ? "a regular file" : "not a regular file";
    }

    /**
     * Checks an input before it is opened: it exists, is a regular file (after symbolic links)
     * and holds at most {@code maxBytes}. {@code what} names it in the error ("rules file").
     */
    public static BasicFileAttributes checkInput(Path path, long maxBytes, String what) throws IOException {
        if (path.toString().isEmpty()) {
            throw new IOException("an empty file name: give the " + what + "'s path");
        }
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(path, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(path.toString(), null, "no such file");
        }
        if (!a.isRegularFile()) {
            throw new IOException(path + " is " + kind(a) + ": a " + what + " must be a regular file");
        }
        String real = path.toRealPath().toString();
        if (real.startsWith("/proc/") || real.startsWith("/sys/")) {
            // Their files say size 0 and are made as they are read: not a file's content to trust.
            throw new IOException(path + " is a kernel file (" + real.substring(0, real.indexOf('/', 1)) + "): a " + what
                    + " must be a regular file");
        }
        if (a.size() > maxBytes) {
            throw new IOException(path + " holds " + a.size() + " bytes: more than a " + what + " may ("
                    + maxBytes + ")");
        }
        return a;
    }

    /** Marks an input open (outputs may not be it) until {@link #closed(Object)} with the key returned. */
    public static Object opened(Path path) throws IOException {
        Object key = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
        if (key != null) {
            OPEN_INPUTS.add(key);
        }
        return key;
    }

    public static void closed(Object key) {
        if (key != null) {
            OPEN_INPUTS.remove(key);
        }
    }

    /**
     * Opens an output for writing, replacing what a regular file held: never an input this
     * process has open, never through a symbolic link, never a FIFO, device or directory.
     */
    public static FileChannel openOutput(Path path) throws IOException {
        if (path.toString().isEmpty()) {
            throw new IOException("an empty file name: give the output's path");
        }
        BasicFileAttributes a = null;
        try {
            a = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            // a new file
        }
        if (a != null && !a.isRegularFile()) {
            throw new IOException(path + " is " + kind(a) + ": output is written to a new or regular file only");
        }
        Path parent = path.toAbsolutePath().getParent();
        String real = parent == null ? "/" : parent.toRealPath().toString() + "/";
        if (real.startsWith("/proc/") || real.startsWith("/sys/") || real.startsWith("/dev/")) {
            throw new IOException(path + " is in " + real.substring(0, real.indexOf('/', 1) + 1)
                    + ", the kernel's: output is written to a file system");
        }
        if (a != null && a.fileKey() != null && OPEN_INPUTS.contains(a.fileKey())) {
            throw new IOException(path + " is an input of this command (the same file): write the output elsewhere");
        }
        return FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING, LinkOption.NOFOLLOW_LINKS);
    }

    /**
     * Creates a file that must not exist yet (O_EXCL: a symbolic link or anything else at the
     * path is an error), readable by others only when {@code worldReadable}.
     */
    public static FileChannel createNew(Path path, boolean worldReadable) throws IOException {
        Set<PosixFilePermission> mode = PosixFilePermissions.fromString(worldReadable ? "rw-r--r--" : "rw-------");
        try {
            return FileChannel.open(path, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                    StandardOpenOption.WRITE), PosixFilePermissions.asFileAttribute(mode));
        } catch (FileAlreadyExistsException e) {
            throw new FileAlreadyExistsException(path.toString(), null, "exists already");
        }
    }

    /**
     * A directory this process keeps state in (counters files, journals, locks): created with
     * {@code mode} if absent; else it must be a directory (not a symbolic link), owned by this
     * user (or root), and writable by nobody else. Anything else is refused: a local user could
     * have made it to plant files or links for us.
     */
    public static Path stateDirectory(Path dir, String mode) throws IOException {
        Set<PosixFilePermission> wanted = PosixFilePermissions.fromString(mode);
        Path parent = dir.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            stateDirectory(parent, mode);
        }
        try {
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(wanted));
            // The umask may have taken bits away; set exactly what was asked.
            Files.getFileAttributeView(dir, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).setPermissions(wanted);
        } catch (FileAlreadyExistsException e) {
            // checked below
        }
        PosixFileAttributes a = Files.readAttributes(dir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (!a.isDirectory()) {
            throw new IOException(dir + " is " + kind(a) + ", not a directory: remove it (someone else may have put it there)");
        }
        int owner = (Integer) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        int me = currentUid();
        if (owner != me && owner != 0) {
            throw new IOException(dir + " belongs to uid " + owner + ", not to us (uid " + me + "): remove it or choose"
                    + " another path (a local user may have made it)");
        }
        Set<PosixFilePermission> p = a.permissions();
        if (p.contains(PosixFilePermission.GROUP_WRITE) || p.contains(PosixFilePermission.OTHERS_WRITE)) {
            throw new IOException(dir + " is writable by others (" + PosixFilePermissions.toString(p)
                    + "): chmod go-w it or remove it");
        }
        // Its parent too: where others may write without the sticky bit (/tmp and /dev/shm have it), they
        // could rename our directory away and put theirs in its place.
        if (parent != null) {
            int parentMode = (Integer) Files.getAttribute(parent, "unix:mode");
            if ((parentMode & 0022) != 0 && (parentMode & 01000) == 0) {
                throw new IOException(dir + " is in " + parent + ", which others may write to (mode "
                        + Integer.toOctalString(parentMode & 07777) + ", no sticky bit): choose a directory only we can change");
            }
        }
        return dir;
    }

    /** This process's effective uid: /proc/self belongs to it. */
    private static int currentUid() throws IOException {
        return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    }

    /** An I/O error in words, with its path: "permission denied", "no such file", or the message. */
    public static String describe(IOException e) {
        if (e instanceof AccessDeniedException a) {
            return a.getFile() + ": permission denied";
        }
        if (e instanceof NoSuchFileException n) {
            return n.getFile() + ": no such file";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
