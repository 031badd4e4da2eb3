package io.netbypass.control;

import io.netbypass.util.SafeFiles;
import io.netbypass.util.UserException;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Predicate;

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

        /**
         * Why this kind of change may not be made to {@code target} (null: it may). A journal is
         * a file on disk: restore checks every line before it undoes anything.
         */
        default String refuse(String target) {
            return null;
        }
    }

    /**
     * One recorded change; {@code time} is when it was written (nanoseconds since the epoch,
     * strictly increasing within a journal), so restore can undo several journals' changes
     * newest first; 0 in journals written before times were recorded.
     */
    public record Change(String kind, String target, String oldValue, String newValue, long time) {
        public Change(String kind, String target, String oldValue, String newValue) {
            this(kind, target, oldValue, newValue, 0);
        }

        String line() {
            return escape(kind) + '\t' + escape(target) + '\t' + escape(oldValue) + '\t' + escape(newValue) + '\t' + time + '\n';
        }

        static Change parse(String line) {
            String[] f = line.split("\t", -1);
            if (f.length != 4 && f.length != 5) {
                throw new UserException("not a journal line: " + line);
            }
            long time = 0;
            if (f.length == 5) {
                try {
                    time = Long.parseLong(f[4]);
                } catch (NumberFormatException e) {
                    throw new UserException("not a journal line: " + line);
                }
            }
            return new Change(unescape(f[0]), unescape(f[1]), unescape(f[2]), unescape(f[3]), time);
        }
    }

    private final Path file;
    private final Map<String, Applier> appliers;
    private final List<Change> changes = new ArrayList<>();
    private FileChannel channel;
    private long lastTime;
    /** Locks held while this journal is open ({@link #hold}). */
    private final List<AutoCloseable> held = new ArrayList<>();

    private Journal(Path file, Map<String, Applier> appliers) {
        this.file = file;
        this.appliers = appliers;
    }

    /** A new journal for this process in {@code dir}, for namespace {@code netns} (an id, e.g. the netns inode). */
    public static Journal create(Path dir, String netns, long pid, Map<String, Applier> appliers) throws IOException {
        SafeFiles.stateDirectory(dir, "rwx------"); // ours alone: a journal says what to write where
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
        write(kind, target, oldValue, newValue).apply(target, newValue);
    }

    /** Checks, records and forces one change to disk; returns its applier. */
    private Applier write(String kind, String target, String oldValue, String newValue) throws IOException {
        Applier a = appliers.get(kind);
        if (a == null) {
            throw new UserException("no way to make a '" + kind + "' change");
        }
        String refused = a.refuse(target);
        if (refused != null) {
            throw new UserException(kind + " " + target + ": " + refused);
        }
        Instant now = Instant.now();
        lastTime = Math.max(lastTime + 1, now.getEpochSecond() * 1_000_000_000L + now.getNano());
        Change c = new Change(kind, target, oldValue, newValue, lastTime);
        if (channel == null) {
            // Our own new file (O_EXCL): never a link or a file someone else put there.
            channel = FileChannel.open(file, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                    StandardOpenOption.APPEND), PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rw-------")));
        }
        channel.write(StandardCharsets.UTF_8.encode(c.line()));
        channel.force(true);
        changes.add(c);
        return a;
    }

    /**
     * Records {@code target}'s value without changing it, for restore to put back: a setting the
     * next change will take away with its object (a queue's sysfs files when a channel change
     * removes the queue), to be written again once an undo has brought the object back.
     */
    public void remember(String kind, String target, String value) throws IOException {
        write(kind, target, value, value);
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

    /** Keeps {@code lock} until this journal is closed (an interface's lock: one command changes it at a time). */
    public void hold(AutoCloseable lock) {
        held.add(lock);
    }

    @Override
    public void close() {
        if (!changes.isEmpty()) {
            rollback();
        }
        closeChannel();
        for (AutoCloseable l : held) {
            try {
                l.close();
            } catch (Exception ignored) {
                // released with the process in any case
            }
        }
        held.clear();
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

    /**
     * Undoes newest first; what fails is described in the result and its change added to {@code kept}.
     * What fails is tried once more after the rest: one setting may depend on another undone after
     * it (a NIC feature on one its parent must be on for).
     */
    private static List<String> undo(List<Change> changes, Map<String, Applier> appliers, List<Change> kept) {
        List<Change> newestFirst = new ArrayList<>(changes);
        Collections.reverse(newestFirst);
        List<String> failed = new ArrayList<>();
        for (Change c : undoAll(newestFirst, c -> c, appliers, failed)) {
            kept.add(0, c);
        }
        return failed;
    }

    /**
     * Puts back the old value of each item's change in the order given, then tries the failed ones
     * again (each described in {@code failed} if it fails twice); returns those.
     */
    private static <T> List<T> undoAll(List<T> ordered, Function<T, Change> change,
                                       Map<String, Applier> appliers, List<String> failed) {
        List<T> again = new ArrayList<>();
        for (T t : ordered) {
            if (undoOne(change.apply(t), appliers) != null) {
                again.add(t);
            }
        }
        List<T> still = new ArrayList<>();
        for (T t : again) {
            Change c = change.apply(t);
            String why = undoOne(c, appliers);
            if (why != null) {
                failed.add(c.kind() + " " + c.target() + " back to '" + c.oldValue() + "': " + why);
                still.add(t);
            }
        }
        return still;
    }

    /** Puts one change's old value back; null when done, else why not. */
    private static String undoOne(Change c, Map<String, Applier> appliers) {
        Applier a = appliers.get(c.kind());
        if (a == null) {
            return "no way to undo a '" + c.kind() + "' change";
        }
        try {
            a.apply(c.target(), c.oldValue());
            return null;
        } catch (IOException | RuntimeException e) {
            return e.getMessage();
        }
    }

    /**
     * Journals in {@code dir} for namespace {@code netns} whose process is gone (or every one, when
     * {@code force}). The directory must be ours and safe ({@link SafeFiles#stateDirectory}); only
     * regular files are journals.
     */
    public static List<Path> leftBehind(Path dir, String netns, boolean force) throws IOException {
        List<Path> out = new ArrayList<>();
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return out;
        }
        SafeFiles.stateDirectory(dir, "rwx------");
        try (var s = Files.list(dir)) {
            for (Path p : s.sorted().toList()) {
                String n = p.getFileName().toString();
                if (!n.startsWith(netns + "-") || !n.endsWith(".journal")
                        || !Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
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
    public static List<String> restore(Path journal, Map<String, Applier> appliers, Predicate<String> onlyTargets)
            throws IOException {
        return restore(List.of(journal), appliers, onlyTargets);
    }

    /**
     * Undoes what several journals record as one history: every change (of the targets
     * {@code onlyTargets} accepts, when not null) newest first across all of them, so that a
     * target changed by several runs ends as it was before the first. Changes are ordered by
     * their recorded time; a journal without times counts as written at its file's modification
     * time, its lines in order. Each journal keeps only what was not undone, and is removed when
     * nothing is left; returns what could not be undone.
     *
     * <p>A line that is not a change netbypass writes (corrupt, an unknown kind, a target its
     * kind may not touch: a file outside /sys and /proc) is reported and undoes nothing; the
     * rest is undone, and such a journal is kept as it is for the operator to read. Only a last
     * line without its newline is a write a crash cut short: its change was never made.
     */
    public static List<String> restore(List<Path> journals, Map<String, Applier> appliers,
                                       Predicate<String> onlyTargets) throws IOException {
        record Entry(int journal, int line, Change change, long time) {
        }
        List<List<Change>> all = new ArrayList<>();
        List<Entry> mine = new ArrayList<>();
        List<String> failed = new ArrayList<>();
        BitSet corrupt = new BitSet();
        for (int j = 0; j < journals.size(); j++) {
            Path journal = journals.get(j);
            List<Change> changes = new ArrayList<>();
            SafeFiles.checkInput(journal, 64L << 20, "journal");
            String text = new String(Files.readAllBytes(journal), StandardCharsets.UTF_8);
            String[] lines = text.split("\n", -1);
            for (int i = 0; i < lines.length; i++) {
                boolean last = i == lines.length - 1;
                if (last && lines[i].isEmpty()) {
                    break;
                }
                String why;
                try {
                    Change c = Change.parse(lines[i]);
                    Applier a = appliers.get(c.kind());
                    why = a == null ? "'" + c.kind() + "' is not a change netbypass makes" : a.refuse(c.target());
                    if (why == null) {
                        changes.add(c);
                        continue;
                    }
                    why = c.kind() + " " + c.target() + ": " + why;
                } catch (UserException | IllegalArgumentException e) {
                    if (last) {
                        break; // a write a crash cut short: its change was never made
                    }
                    why = "not a journal line";
                }
                failed.add(journal + ":" + (i + 1) + ": " + why + " (nothing done for it; the journal is kept)");
                corrupt.set(j);
            }
            all.add(changes);
            long fileTime = Files.getLastModifiedTime(journal).to(TimeUnit.NANOSECONDS);
            for (int i = 0; i < changes.size(); i++) {
                Change c = changes.get(i);
                if (onlyTargets == null || onlyTargets.test(c.target())) {
                    mine.add(new Entry(j, i, c, c.time() != 0 ? c.time() : fileTime));
                }
            }
        }
        // Newest first: by time, then (same journal, same time) by line.
        mine.sort(Comparator.comparingLong(Entry::time).thenComparingInt(Entry::journal)
                .thenComparingInt(Entry::line).reversed());
        Set<Entry> kept = new HashSet<>(undoAll(mine, Entry::change, appliers, failed));
        // What is left in each journal: other targets' changes, and those that could not be undone (for another try).
        List<BitSet> undone = new ArrayList<>();
        for (int j = 0; j < journals.size(); j++) {
            undone.add(new BitSet());
        }
        for (Entry e : mine) {
            if (!kept.contains(e)) {
                undone.get(e.journal()).set(e.line());
            }
        }
        for (int j = 0; j < journals.size(); j++) {
            if (corrupt.get(j)) {
                continue; // kept whole: what could not be read is the operator's to judge
            }
            List<Change> changes = all.get(j);
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < changes.size(); i++) {
                if (!undone.get(j).get(i)) {
                    b.append(changes.get(i).line());
                }
            }
            if (b.isEmpty()) {
                Files.deleteIfExists(journals.get(j));
            } else {
                Files.writeString(journals.get(j), b.toString(), StandardCharsets.UTF_8);
            }
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
