package io.netbypass.cli;

import io.netbypass.metrics.CountersFile;
import io.netbypass.metrics.CountersReader;
import io.netbypass.util.UserException;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code netbypass stat}: the counters of running netbypass processes, read from their counters files. */
@Command(name = "stat", mixinStandardHelpOptions = true,
        description = {"Print the counters of running 'netbypass offload' processes (per port and per rule), read from",
                "their counters files: the given FILEs, or every file in " + "/dev/shm/netbypass (the default place).",
                "With --interval, print them again every interval with the change per second."})
final class StatCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(paramLabel = "FILE", arity = "0..*", description = "Counters files (default: all in the default directory).")
    List<Path> files = new ArrayList<>();

    @Option(names = "--interval", paramLabel = "MS", description = "Print again every MS milliseconds, with rates.")
    long interval;

    @Option(names = "--count", paramLabel = "N", description = "With --interval: stop after N prints (default: until Ctrl-C).")
    long count;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (interval < 0) {
            throw new UserException("--interval " + interval + ": milliseconds, 0 (print once) or more");
        }
        if (interval > 3_600_000) {
            throw new UserException("--interval " + interval + ": milliseconds, at most 3600000 (an hour)");
        }
        if (count < 0) {
            throw new UserException("--count " + count + ": a number of prints, 1 or more (0: until Ctrl-C)");
        }
        if (count != 0 && interval == 0) {
            throw new UserException("--count " + count + " needs --interval MS (without it stat prints once)");
        }
        List<CountersReader> readers = new ArrayList<>();
        try {
            if (files.isEmpty()) {
                // The default directory: regular files of running processes only. What a process
                // killed with -9 left is skipped (and removed by the next offload or restore).
                Path dir = CountersFile.defaultDirectory();
                List<Path> found = new ArrayList<>();
                if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                    try (Stream<Path> s = Files.list(dir)) {
                        s.filter(p -> p.getFileName().toString().endsWith(".counters"))
                                .filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).sorted().forEach(found::add);
                    }
                }
                for (Path p : found) {
                    try {
                        CountersReader r = new CountersReader(p);
                        if (r.alive()) {
                            readers.add(r);
                        } else {
                            r.close();
                        }
                    } catch (IOException e) {
                        // not a counters file: not ours to show
                    }
                }
                if (readers.isEmpty()) {
                    throw new UserException("no netbypass process is publishing counters (none running in " + dir + ")");
                }
            }
            for (Path p : files) {
                readers.add(new CountersReader(p)); // named: shown even after its process ended
            }
            Map<String, Long> before = new HashMap<>();
            long last = System.nanoTime();
            for (long n = 0; ; n++) {
                long now = System.nanoTime();
                double seconds = (now - last) / 1e9;
                for (CountersReader r : readers) {
                    print(out, r, before, n > 0, seconds);
                }
                out.flush();
                last = now;
                if (interval <= 0 || (count > 0 && n + 1 >= count)) {
                    return 0;
                }
                Thread.sleep(interval);
            }
        } finally {
            readers.forEach(CountersReader::close);
        }
    }

    private static void print(PrintWriter out, CountersReader r, Map<String, Long> before, boolean rates, double seconds) {
        long uptime = (System.currentTimeMillis() - r.startMillis()) / 1000;
        long quiet = (System.currentTimeMillis() - r.heartbeatMillis()) / 1000;
        out.printf(Locale.ROOT, "%s: pid %d, %s, up %d s%s%n", r.path(), r.pid(), r.name(), uptime,
                !r.alive() ? " (the process has exited: these are its last values)"
                        : quiet > 5 ? " (no update for " + quiet + " s)" : "");
        for (CountersReader.Counter c : r.counters()) {
            String key = r.path() + " " + c.label();
            Long was = before.put(key, c.value());
            if (rates) {
                long delta = was == null ? 0 : c.value() - was;
                out.printf(Locale.ROOT, "  %16d %12.0f/s  %s%n", c.value(), delta / Math.max(seconds, 1e-9), c.label());
            } else {
                out.printf(Locale.ROOT, "  %16d  %s%n", c.value(), c.label());
            }
        }
    }
}
