package io.netbypass.cli;

import io.netbypass.control.Journal;
import io.netbypass.linux.tune.Tuning;
import io.netbypass.util.UserException;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code netbypass tune IF}: RPS, RFS, XPS and IRQ spread, journaled, undone at exit unless kept. */
@Command(name = "tune", mixinStandardHelpOptions = true,
        description = {"Tune an interface's receive scaling: RPS (rps_cpus per RX queue), RFS (rps_sock_flow_entries,",
                "rps_flow_cnt), XPS (xps_cpus or xps_rxqs per TX queue), IRQ affinity spread over CPUs. Every old value",
                "is journaled first; Ctrl-C, SIGTERM, SIGHUP or --seconds puts them back; --keep leaves them (undo later with",
                "'netbypass restore IF'). --dry-run prints the exact commands and changes nothing."})
final class TuneCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(paramLabel = "IF")
    String ifName;

    @Option(names = "--rps", paramLabel = "CPUS", description = "CPUs for RPS on every RX queue (e.g. 0-3; default: every online CPU).")
    String rps;

    @Option(names = "--no-rps", description = "Leave RPS alone.")
    boolean noRps;

    @Option(names = "--rfs", paramLabel = "ENTRIES", description = "RFS flow entries (rounded up to a power of two; default 32768; 0: leave RFS alone).")
    int rfs = 32768;

    @Option(names = "--xps", paramLabel = "CPUS", description = "CPUs for XPS, one per TX queue in turn (default: every online CPU).")
    String xps;

    @Option(names = "--no-xps", description = "Leave XPS alone.")
    boolean noXps;

    @Option(names = "--xps-rxqs", description = "Also map TX queue i to RX queue i (xps_rxqs).")
    boolean xpsRxqs;

    @Option(names = "--irqs", paramLabel = "CPUS", description = "Spread the interface's IRQs over these CPUs (default: every online CPU).")
    String irqs;

    @Option(names = "--dry-run", description = "Print the commands and change nothing.")
    boolean dryRun;

    @Option(names = "--keep", description = "Leave the settings when done (the journal stays for 'netbypass restore').")
    boolean keep;

    @Option(names = "--seconds", paramLabel = "S", description = "Hold the settings this long, then put them back (default: until Ctrl-C).")
    Double seconds;

    /** An option's CPU list, every CPU online. */
    static List<Integer> cpus(String option, String text, List<Integer> online) {
        List<Integer> list;
        try {
            list = Tuning.cpuList(text);
        } catch (UserException e) {
            throw new UserException(option + " " + e.getMessage());
        }
        for (int c : list) {
            Checks.online(option + " " + text, c, online);
        }
        return list;
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Checks.interfaceName(ifName);
        if (noRps && rps != null || noXps && (xps != null || xpsRxqs)) {
            throw new UserException(noRps && rps != null ? "--no-rps and --rps contradict each other"
                    : "--no-xps and --" + (xps != null ? "xps" : "xps-rxqs") + " contradict each other");
        }
        if (keep && seconds != null) {
            throw new UserException("--keep and --seconds contradict each other (--keep leaves the settings)");
        }
        Tuning tuning = new Tuning();
        List<Integer> online = tuning.onlineCpus();
        if (rfs < 0 || rfs > 1 << 30) {
            throw new UserException("--rfs " + rfs + ": flow entries, 0 (leave RFS alone) to " + (1 << 30));
        }
        Checks.seconds("--seconds", seconds);
        Tuning.Options options = new Tuning.Options(noRps ? null : rps == null ? online : cpus("--rps", rps, online), rfs,
                noXps ? null : xps == null ? online : cpus("--xps", xps, online), xpsRxqs,
                irqs == null ? online : cpus("--irqs", irqs, online));
        List<String> notes = new ArrayList<>();
        List<Tuning.Write> plan;
        try {
            plan = tuning.plan(ifName, options, notes);
        } catch (IOException e) {
            throw new UserException("tune " + ifName + ": " + e.getMessage());
        }
        for (String n : notes) {
            out.println("# " + n);
        }
        for (Tuning.Write w : plan) {
            out.println(w.command());
        }
        out.flush();
        if (dryRun) {
            return 0;
        }
        // Signals are caught before the first change and until the last is put back: none ends the run half-way.
        try (Signals.Stop stop = Signals.Stop.install(); Journal journal = RestoreCommand.journal(ifName)) {
            try {
                Tuning.apply(plan, journal);
            } catch (IOException | RuntimeException e) {
                List<String> failed = journal.rollback();
                throw new UserException("tune " + ifName + ": " + e.getMessage() + "; nothing left changed"
                        + (failed.isEmpty() ? "" : " except: " + String.join("; ", failed)));
            }
            if (keep) {
                journal.keep();
                out.printf(Locale.ROOT, "[+] %d settings changed and kept; undo with: netbypass restore %s (journal %s)%n",
                        plan.size(), ifName, journal.file());
                out.flush();
                return 0;
            }
            out.printf(Locale.ROOT, "[+] %d settings changed (journal %s); Ctrl-C puts them back%n", plan.size(), journal.file());
            out.flush();
            if (!stop.requested()) {
                stop.await(seconds != null ? Math.max(1, (long) (seconds * 1000)) : 0);
            }
            List<String> failed = journal.rollback();
            out.printf(Locale.ROOT, "[+] %d settings put back%s%s%n", plan.size() - failed.size(),
                    stop.signal() == null ? "" : " (" + stop.signal() + ")",
                    failed.isEmpty() ? "" : "; could not: " + String.join("; ", failed));
            out.flush();
            return failed.isEmpty() ? 0 : 1;
        }
    }
}
