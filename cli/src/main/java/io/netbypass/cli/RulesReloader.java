package io.netbypass.cli;

import io.netbypass.filter.engine.FilterEngine;
import io.netbypass.filter.engine.FilterProgram;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Reloads the rules of a running engine, one compile at a time, on one thread of its own.
 * Requests (SIGHUP, a file that changed) never wait: one arriving while a compile runs is kept,
 * and any number of them make one more compile (a newer request supersedes a waiting one), so
 * two compiles of a 10-million-prefix list never share the heap. Every failure of any kind is
 * reported in one line and the old rules keep running; the thread never dies of it.
 *
 * <p>With {@code watch}, it follows the rules file and every list file the rules name: a file
 * is loaded once it has stopped changing (the same size, time and inode at two polls in a
 * row), or at once when a new file was renamed into place (a new inode: complete by
 * construction). The inode catches a swap to a file with the same modification time.
 */
final class RulesReloader implements AutoCloseable {
    private final Path rules;
    private final Supplier<FilterProgram> current;
    private final Consumer<FilterProgram> apply;
    private final Consumer<String> report;
    private final Consumer<FilterProgram> loaded;
    private final boolean watch;
    private final long pollMillis;
    private final Thread thread;
    private final Object lock = new Object();
    private String pending;
    private volatile boolean closed;
    private volatile long compiles;
    /** Compiles finished, and the report line of the last one (under {@link #lock}). */
    private long finished;
    private String lastReport;

    /** What identifies a file's content without reading it: size, modification time, inode (or null if absent). */
    private record Fingerprint(long size, long modified, Object inode) {
        static Fingerprint of(Path p) {
            try {
                BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
                return new Fingerprint(a.size(), a.lastModifiedTime().toMillis(), a.fileKey());
            } catch (IOException e) {
                return null;
            }
        }
    }

    /** For a running engine: its program, and its reload between two batches. */
    RulesReloader(Path rules, FilterEngine engine, boolean watch, long pollMillis, Consumer<String> report,
                  Consumer<FilterProgram> loaded) {
        this(rules, engine::program, engine::reload, watch, pollMillis, report, loaded);
    }

    RulesReloader(Path rules, Supplier<FilterProgram> current, Consumer<FilterProgram> apply, boolean watch,
                  long pollMillis, Consumer<String> report, Consumer<FilterProgram> loaded) {
        this.rules = rules;
        this.current = current;
        this.apply = apply;
        this.watch = watch;
        this.pollMillis = pollMillis;
        this.report = report;
        this.loaded = loaded;
        // What is on disk now is what the running rules were read from: fingerprinted before this
        // returns, so a change made right after is a change.
        List<Path> watched = watched(current.get());
        List<Fingerprint> seen = fingerprints(watched);
        thread = new Thread(() -> run(watched, seen), "rules-reload");
        thread.setDaemon(true);
        thread.start();
    }

    /** Asks for a reload ({@code why} names the cause in the report); returns at once. */
    void request(String why) {
        synchronized (lock) {
            pending = why;
            lock.notifyAll();
        }
    }

    /**
     * Asks for a reload and waits (up to {@code timeoutMillis}) for a compile that started after
     * the request: returns its report line ("[+] ..." or "[!] ...").
     */
    String reloadNow(String why, long timeoutMillis) {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        synchronized (lock) {
            long after = compiles;
            pending = why;
            lock.notifyAll();
            while (finished <= after) {
                long left = deadline - System.currentTimeMillis();
                if (left <= 0 || closed) {
                    return "[!] " + why + ": the reload did not finish within " + timeoutMillis / 1000 + " s (it goes on)";
                }
                try {
                    lock.wait(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return "[!] " + why + ": interrupted";
                }
            }
            return lastReport;
        }
    }

    /** Compiles started so far. */
    long compiles() {
        return compiles;
    }

    private void run(List<Path> watched, List<Fingerprint> seen) {
        List<Fingerprint> changing = null; // what a change looked like at the last poll, until it settles
        while (!closed) {
            String why;
            synchronized (lock) {
                if (pending == null) {
                    try {
                        lock.wait(watch ? pollMillis : 0);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                why = pending;
                pending = null;
            }
            if (closed) {
                return;
            }
            if (why == null && watch) {
                List<Fingerprint> now = fingerprints(watched);
                if (now.equals(seen)) {
                    changing = null;
                    continue;
                }
                boolean renamedIn = false;
                for (int i = 0; i < now.size(); i++) {
                    Fingerprint a = seen.get(i);
                    Fingerprint b = now.get(i);
                    renamedIn |= a != null && b != null && !Objects.equals(a.inode(), b.inode());
                }
                if (!renamedIn && !now.equals(changing)) {
                    changing = now; // still being written, or just done: look again at the next poll
                    continue;
                }
                why = "file changed";
            }
            if (why == null) {
                continue;
            }
            changing = null;
            List<Fingerprint> before = fingerprints(watched); // taken first: a change during the compile is seen next time
            FilterProgram next = compile(why);
            List<Path> now = watched(next != null ? next : current.get());
            seen = now.equals(watched) ? before : fingerprints(now);
            watched = now;
        }
    }

    private FilterProgram compile(String why) {
        long number;
        synchronized (lock) {
            number = ++compiles;
        }
        String line;
        FilterProgram next = null;
        try {
            next = FilterProgram.load(rules);
            apply.accept(next);
            line = "[+] " + why + ": reloaded " + rules + " (" + next.rules().size() + " rules, default "
                    + next.rules().defaultAction() + ")";
        } catch (Throwable e) { // a rule error, a file refused, the heap: reported, and the old rules run on
            line = "[!] " + why + ": " + Errors.oneLine(e) + "; the old rules keep running";
            next = null;
        }
        report.accept(line);
        if (next != null) {
            loaded.accept(next);
        }
        synchronized (lock) {
            finished = number;
            lastReport = line;
            lock.notifyAll();
        }
        return next;
    }

    private List<Path> watched(FilterProgram program) {
        List<Path> out = new ArrayList<>();
        out.add(rules);
        if (program != null) {
            out.addAll(program.rules().listFiles());
        }
        return out;
    }

    private static List<Fingerprint> fingerprints(List<Path> paths) {
        List<Fingerprint> out = new ArrayList<>();
        for (Path p : paths) {
            out.add(Fingerprint.of(p));
        }
        return out;
    }

    @Override
    public void close() {
        closed = true;
        synchronized (lock) {
            lock.notifyAll();
        }
        thread.interrupt();
    }
}
