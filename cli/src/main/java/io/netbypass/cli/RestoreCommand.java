package io.netbypass.cli;

import io.netbypass.control.InterfaceLock;
import io.netbypass.control.Journal;
import io.netbypass.linux.tune.Isolation;
import io.netbypass.linux.tune.Tuning;
import io.netbypass.metrics.CountersFile;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code netbypass restore [IF]}: undoes what runs that ended without cleaning up left in their journals. */
@Command(name = "restore", mixinStandardHelpOptions = true,
        description = {"Put back every setting a netbypass run in this network namespace changed and did not restore",
                "(it was killed, or run with --keep, or an operator's 'nic' change): the journals are replayed as one",
                "history, newest change first across all of them, so each setting ends as it was before the first change."})
final class RestoreCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(paramLabel = "IF", arity = "0..1", description = "Only this interface's settings.")
    String ifName;

    @Option(names = "--force", description = "Also journals of processes still running.")
    boolean force;

    /** Where journals live: $NETBYPASS_JOURNAL_DIR, else /run/netbypass/journal. */
    static Path directory() {
        String d = System.getenv("NETBYPASS_JOURNAL_DIR");
        return Path.of(d != null && !d.isBlank() ? d : "/run/netbypass/journal");
    }

    /** This thread's network namespace, as the inode number of /proc/thread-self/ns/net. */
    static String namespace() {
        try {
            String link = Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString();
            return link.replaceAll("\\D", "");
        } catch (IOException e) {
            return "0";
        }
    }

    static Journal journal() throws IOException {
        return Journal.create(directory(), namespace(), ProcessHandle.current().pid(), Isolation.appliers());
    }

    /** A journal holding {@code ifName}'s lock until it is closed: one command changes an interface at a time. */
    static Journal journal(String ifName) throws IOException {
        Journal j = journal();
        try {
            j.hold(lock(ifName));
        } catch (IOException | RuntimeException e) {
            j.close();
            throw e;
        }
        return j;
    }

    /** {@code ifName}'s lock ({@link InterfaceLock}), beside the journals. */
    static InterfaceLock lock(String ifName) throws IOException {
        return InterfaceLock.acquire(directory().resolveSibling("lock"), namespace(), ifName);
    }

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        if (ifName != null) {
            Checks.interfaceName(ifName);
        }
        int stale = CountersFile.removeStale(CountersFile.defaultDirectory());
        if (stale > 0) {
            out.printf(Locale.ROOT, "[+] removed %d counters file%s of netbypass processes that ended without cleaning up%n",
                    stale, stale == 1 ? "" : "s");
        }
        List<Path> journals = Journal.leftBehind(directory(), namespace(), force);
        if (journals.isEmpty()) {
            out.println("[+] nothing to restore in this network namespace");
            out.flush();
            return 0;
        }
        // One history across every journal: a setting changed by several runs ends as it was before the first.
        List<String> failed;
        try (InterfaceLock held = ifName == null ? null : lock(ifName)) {
            failed = Journal.restore(journals, Isolation.appliers(), ifName == null ? null
                    : t -> t.equals(ifName) || t.startsWith(ifName + ":") || t.startsWith(ifName + "@") || t.contains("/" + ifName + "/"));
        }
        for (Path j : journals) {
            out.printf(Locale.ROOT, "[%s] %s: %s%n", Files.exists(j) && !failed.isEmpty() ? "!" : "+", j, Files.exists(j)
                    ? "kept: what it holds for other interfaces, could not undo or could not read stays in it" : "restored");
        }
        if (!failed.isEmpty()) {
            out.printf(Locale.ROOT, "[!] could not: %s%n", String.join("; ", failed));
        }
        int bad = failed.size();
        out.flush();
        return bad == 0 ? 0 : 1;
    }
}
