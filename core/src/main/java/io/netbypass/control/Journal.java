package io.netbypass.control;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Every change netbypass makes to a device or to the kernel's settings, written down (kind,
 * target, old value, new value) and forced to disk before it is made, so that a normal exit
 * ({@link #rollback()}) or, after a crash, {@code netbypass restore} can put every old value
 * back, newest first. One file per process and network namespace:
 * {@code DIR/<netns>-<pid>.journal}, one tab-separated line per change.
 */
public final class Journal implements AutoCloseable {
    /** Makes one kind of change: sets {@code target} to {@code value}. */
    @FunctionalInterface
    public interface Applier {
        void apply(String target, String value) throws IOException;
    }

    /** One recorded change. */
    public record Change(String kind, String target, String oldValue, String newValue) {
        String line() {
            return escape(kind) + '\t' + escape(target) + '\t' + escape(oldValue) + '\t' + escape(newValue) + '\n';
        }

        static Change parse(String line) {
            String[] f = line.split("\t", -1);
            if (f.length != 4) {
                throw new IllegalArgumentException("not a journal line: " + line);
            }
            return new Change(unescape(f[0]), unescape(f[1]), unescape(f[2]), unescape(f[3]));
        }
    }

    private final Path file;
    private final Map<String, Applier> appliers;
    private final List<Change> changes = new ArrayList<>();
    private FileChannel channel;

    private Journal(Path file, Map<String, Applier> appliers) {
        this.file = file;
        this.appliers = appliers;
    }

    /** A new journal for this process in {@code dir}, for namespace {@code netns} (an id, e.g. the netns inode). */
    public static Journal create(Path dir, String netns, long pid, Map<String, Applier> appliers) throws IOException {
        Files.createDirectories(dir);
        return new Journal(dir.resolve(netns + "-" + pid + ".journal"), appliers);
    }

    public Path file() {
        return file;
    }

    public List<Change> changes() {
        return List.copyOf(changes);
    }

    /** Records the change, forces it to disk, then makes it; nothing is made that is not written down first. */
    public void change(String kind, String target, String oldValue, String newValue) throws IOException {
        Applier a = appliers.get(kind);
        if (a == null) {
            throw new IllegalArgumentException("no way to make a '" + kind + "' change");
        }
        Change c = new Change(kind, target, oldValue, newValue);
        if (channel == null) {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        }
        channel.write(StandardCharsets.UTF_8.encode(c.line()));
        channel.force(true);
        changes.add(c);
        a.apply(target, newValue);
    }

    /**
     * Puts every old value back, newest first, then removes the file. A change that cannot be
     * undone is reported in the returned list (one line each) and the others still are.
     */
    public List<String> rollback() {
        List<String> failed = undo(changes, appliers);
        changes.clear();
        closeChannel();
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            failed.add(file + ": " + e.getMessage());
        }
        return failed;
    }

    /** Leaves the changes in place and the file for {@code restore}. */
    public void keep() {
        changes.clear();
        closeChannel();
    }

    @Override
    public void close() {
        if (!changes.isEmpty()) {
            rollback();
        }
        closeChannel();
    }

    private void closeChannel() {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // the records were forced as they were written
            }
            channel = null;
        }
    }

    private static List<String> undo(List<Change> changes, Map<String, Applier> appliers) {
        return undo(changes, appliers, new ArrayList<>());
    }

    /** Undoes newest first; what fails is described in the result and its change added to {@code kept}. */
    private static List<String> undo(List<Change> changes, Map<String, Applier> appliers, List<Change> kept) {
        List<String> failed = new ArrayList<>();
        for (int i = changes.size() - 1; i >= 0; i--) {
            Change c = changes.get(i);
            Applier a = appliers.get(c.kind());
            try {
                if (a == null) {
                    throw new IOException("no way to undo a '" + c.kind() + "' change");
                }
                a.apply(c.target(), c.oldValue());
            } catch (IOException | RuntimeException e) {
                failed.add(c.kind() + " " + c.target() + " back to '" + c.oldValue() + "': " + e.getMessage());
                kept.add(0, c);
            }
        }
        return failed;
    }

    /** Journals in {@code dir} for namespace {@code netns} whose process is gone (or every one, when {@code force}). */
    public static List<Path> leftBehind(Path dir, String netns, boolean force) throws IOException {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (var s = Files.list(dir)) {
            for (Path p : s.sorted().toList()) {
                String n = p.getFileName().toString();
                if (!n.startsWith(netns + "-") || !n.endsWith(".journal")) {
                    continue;
                }
                long pid;
                try {
                    pid = Long.parseLong(n.substring(netns.length() + 1, n.length() - ".journal".length()));
                } catch (NumberFormatException e) {
                    continue;
                }
                if (force || ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true)) {
                    out.add(p);
                }
            }
        }
        return out;
    }

    /**
     * Undoes what the journal file records (newest first), only the targets {@code onlyTargets}
     * accepts when it is not null, and removes what was undone; returns what could not be.
     */
    public static List<String> restore(Path journal, Map<String, Applier> appliers, java.util.function.Predicate<String> onlyTargets)
            throws IOException {
        List<Change> all = new ArrayList<>();
        for (String line : Files.readAllLines(journal, StandardCharsets.UTF_8)) {
            try {
                all.add(Change.parse(line));
            } catch (IllegalArgumentException e) {
                break; // a line torn by a crash while it was written: its change was never made
            }
        }
        List<Change> mine = onlyTargets == null ? all : all.stream().filter(c -> onlyTargets.test(c.target())).toList();
        List<Change> unrestored = new ArrayList<>();
        List<String> failed = undo(mine, appliers, unrestored);
        // What is left: other targets' changes, and those that could not be undone (for another try).
        List<Change> rest = new ArrayList<>();
        for (Change c : all) {
            if (!mine.contains(c) || unrestored.contains(c)) {
                rest.add(c);
            }
        }
        if (rest.isEmpty()) {
            Files.deleteIfExists(journal);
        } else {
            StringBuilder b = new StringBuilder();
            rest.forEach(c -> b.append(c.line()));
            Files.writeString(journal, b.toString(), StandardCharsets.UTF_8);
        }
        return failed;
    }

    static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n");
    }

    static String unescape(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length()) {
                char n = s.charAt(++i);
                b.append(n == 't' ? '\t' : n == 'n' ? '\n' : n);
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
