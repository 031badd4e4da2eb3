package io.netbypass.cli;

import io.netbypass.backend.PortOptions;
import io.netbypass.backend.Ports;
import io.netbypass.backend.vnic.VnicControl;
import io.netbypass.backend.vnic.Vnics;
import io.netbypass.control.Journal;
import io.netbypass.control.NicControl;
import io.netbypass.control.QueueIsolation;
import io.netbypass.filter.engine.FilterCounters;
import io.netbypass.filter.engine.FilterEngine;
import io.netbypass.filter.engine.FilterMetrics;
import io.netbypass.filter.engine.FilterProgram;
import io.netbypass.filter.engine.OfflineFilter;
import io.netbypass.filter.engine.WarmUp;
import io.netbypass.filter.rules.RuleSyntaxException;
import io.netbypass.linux.Affinity;
import io.netbypass.linux.Errno;
import io.netbypass.linux.LinuxException;
import io.netbypass.linux.Native;
import io.netbypass.linux.ethtool.LinuxNicControl;
import io.netbypass.linux.tune.Isolation;
import io.netbypass.linux.tune.Tuning;
import io.netbypass.metrics.CountersFile;
import io.netbypass.metrics.MetricsServer;
import io.netbypass.port.Port;
import io.netbypass.port.PortName;
import io.netbypass.scaling.ntuple.RxFlowSpec;
import io.netbypass.util.UserException;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntToLongFunction;

import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;


/** {@code netbypass offload PORT}: the DDoS filter on a bypassed queue, or offline over a capture. */
@Command(name = "offload", mixinStandardHelpOptions = true,
        description = {"Filter a bypassed RX queue: busy-poll it, drop what the rules drop, hand the rest to the kernel,",
                "and print '[+] UDP pps: N' with the verdict counts every interval, then a summary.",
                "PORT: xdp:eth3-4/R (AF_XDP on queue 4 of a real interface; --steer selects flows in XDP),",
                "vnic:eth3-4/R (in process; its wire is fed with the traffic options, as for rx), or",
                "pcap:FILE to classify a capture offline (--write-passed/--write-dropped keep the packets).",
                "Ctrl-C or SIGTERM ends it cleanly; SIGHUP (or --watch) reloads the rules: a valid file replaces",
                "the running set between two batches, an invalid one is reported and the old rules keep running."})
final class OffloadCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "PORT", description = "Port to filter: xdp:eth3-4/R, vnic:eth3-4/R, pcap:FILE;"
            + " or an interface, with QUEUE: the seed's whole session.")
    String port;

    @Parameters(index = "1", arity = "0..1", paramLabel = "QUEUE",
            description = "With an interface name: isolate this RX queue (RSS weight 0, --steer flows to it by ntuple rules or"
                    + " in XDP, LRO/GRO off, IRQs), filter it through xdp:IF-QUEUE/R, and put every setting back on exit.")
    Integer queue;

    @Option(names = "--rules", paramLabel = "FILE", description = "Rules file (docs/FILTER.md); without it every packet passes.")
    Path rules;

    @Option(names = "--cpu", paramLabel = "N", description = "Pin the worker thread to CPU N (sched_setaffinity).")
    Integer cpu;

    @Option(names = "--idle", paramLabel = "wait|busy|backoff",
            description = "When the queue is empty: sleep in poll(2) until the kernel delivers (wait: the default on xdp: and"
                    + " afpacket: ports, measured best both idle and under a flood, scripts/bench-idle), spin (busy), or back"
                    + " off to short sleeps (backoff: the default on vnic: ports, where it decided 1.3-1.4 Mpps against 1.0 when"
                    + " spinning, its wire's thread beside it on 2 CPUs).")
    String idleMode;

    @Option(names = "--no-host-path", description = "xdp: ports: drop passed packets instead of handing them to the kernel"
            + " through the host path (a TAP standing for the interface).")
    boolean noHostPath;

    @Option(names = "--no-gro", description = "Hand passed packets to the kernel one by one, without coalescing TCP segments (GRO).")
    boolean noGro;

    @Option(names = "--sched", paramLabel = "batch|normal",
            description = "Scheduling policy of the worker: batch (SCHED_BATCH: no preemption on wakeup, larger batches where"
                    + " it shares a CPU with the kernel's NAPI thread; give the port deep RX rings) or normal (the default).")
    String sched = "normal";

    @Option(names = "--interval", paramLabel = "MS", description = "Report interval in milliseconds (default: -T, 1000).")
    Long interval;

    @Option(names = "--duration", paramLabel = "S", description = "Stop after S seconds (default: on Ctrl-C, or when the traffic ends).")
    Double duration;

    @Option(names = "--dry-run", description = "With IF QUEUE: print the plan and change nothing.")
    boolean dryRun;

    @Option(names = "--watch", description = "Reload the rules when the file changes (checked twice a second).")
    boolean watch;

    @Option(names = "--write-passed", paramLabel = "OUT.pcap", description = "pcap:FILE only: write the passed packets here.")
    Path writePassed;

    @Option(names = "--write-dropped", paramLabel = "OUT.pcap", description = "pcap:FILE only: write the dropped and rate-limited packets here.")
    Path writeDropped;

    @Option(names = "--counters", paramLabel = "FILE",
            description = "Counters file for 'netbypass stat' (default /dev/shm/netbypass/PID.counters; deleted on exit).")
    Path counters;

    @Option(names = "--metrics", paramLabel = "[HOST:]PORT",
            description = "Serve Prometheus metrics on /metrics (a bare port listens on 127.0.0.1 only).")
    String metrics;

    @Mixin
    TrafficOptions traffic;

    @Mixin
    SteerOptions steering;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Checks.seconds("--duration", duration);
        if (interval != null) {
            Checks.range("--interval", interval, 10, 3_600_000);
        }
        FilterProgram program = load();
        if (queue == null) {
            port = PortNames.resolve(port, out);
        }
        if (port.startsWith("pcap:")) {
            // Offline: options of a live run have no meaning, and one silently ignored is a wrong answer.
            List<String> live = new ArrayList<>();
            if (queue != null) {
                live.add("QUEUE");
            }
            for (picocli.CommandLine.Model.OptionSpec o : spec.commandLine().getParseResult().matchedOptions()) {
                if (!Set.of("--rules", "--write-passed", "--write-dropped").contains(o.longestName())) {
                    live.add(o.longestName());
                }
            }
            if (!live.isEmpty()) {
                throw new UserException(port + " is read offline: " + String.join(", ", live)
                        + (live.size() == 1 ? " has" : " have") + " no meaning there (--rules, --write-passed, --write-dropped do)");
            }
            if (writePassed != null && writeDropped != null && (writePassed.toAbsolutePath().normalize()
                    .equals(writeDropped.toAbsolutePath().normalize()) || (Files.exists(writePassed) && Files.exists(writeDropped)
                    && Files.isSameFile(writePassed, writeDropped)))) {
                throw new UserException("--write-passed and --write-dropped name the same file: one would"
                        + " overwrite the other");
            }
            return offline(Path.of(port.substring("pcap:".length())), program, out);
        }
        if (writePassed != null || writeDropped != null) {
            throw new UserException("--write-passed and --write-dropped are for pcap:FILE ports");
        }
        return live(program, out);
    }

    private FilterProgram load() throws IOException, RuleSyntaxException {
        return rules == null ? FilterProgram.parse("(no rules: pass everything)", "", null) : FilterProgram.load(rules);
    }

    private int offline(Path capture, FilterProgram program, PrintWriter out) throws IOException {
        long t0 = System.nanoTime();
        OfflineFilter.Result r = OfflineFilter.run(capture, program, writePassed, writeDropped);
        summary(out, "pcap:" + capture, r.counters(), program, (System.nanoTime() - t0) / 1e9);
        if (r.truncation() != null) {
            out.println("[!] " + r.truncation());
        }
        out.flush();
        return 0;
    }

    private int live(FilterProgram first, PrintWriter out) throws Exception {
        if (cpu != null) {
            Checks.online("--cpu " + cpu, cpu, new Tuning().onlineCpus());
        }
        idleStrategy(idleMode, null); // a bad --idle or --sched is reported before anything opens
        if (!sched.equals("normal") && !sched.equals("batch")) {
            throw new UserException("--sched is batch or normal, not '" + sched + "'");
        }
        if (dryRun && queue == null) {
            throw new UserException("--dry-run prints the plan of 'offload IF QUEUE'; a port alone changes no settings");
        }
        long intervalNanos = (interval != null ? interval : traffic.reportMillis) * 1_000_000L;
        if (intervalNanos <= 0) {
            throw new UserException("--interval must be positive");
        }
        Path countersPath = counters != null ? counters : CountersFile.defaultPath(ProcessHandle.current().pid());
        int capacity = 16 + 3 * Math.max(1024, 2 * (first.rules().size() + 1));
        ruleCounterRoom = (capacity - 16) / 3;
        // Signals are caught from before the first change until the last one is put back: none ends the run half-way.
        AtomicReference<FilterEngine> running = new AtomicReference<>();
        try (Signals.Stop stop = Signals.Stop.install(s -> hangup(running.get(), out))) {
            Journal session = null;
            try {
                if (queue != null) {
                    session = isolate(out);
                    if (session == null) {
                        return 0; // --dry-run
                    }
                }
                return run(first, out, intervalNanos, countersPath, capacity, stop, running);
            } finally {
                if (session != null) {
                    List<String> failed = session.rollback();
                    out.printf(Locale.ROOT, "[+] settings put back%s%s%n", stop.signal() == null ? "" : " (" + stop.signal() + ")",
                            failed.isEmpty() ? "" : "; could not: " + String.join("; ", failed));
                    out.flush();
                }
            }
        }
    }

    /** SIGHUP: reloads the rules of the running engine. */
    private void hangup(FilterEngine engine, PrintWriter out) {
        if (engine == null) {
            out.println("[!] SIGHUP: not filtering yet; the rules are read when the filter starts");
        } else if (rules != null && reloader != null) {
            reloader.request("SIGHUP");
        } else {
            out.println("[!] SIGHUP: there is no --rules file to reload; still passing everything");
        }
        out.flush();
    }

    /**
     * The seed's session: plans the isolation of {@code queue} on {@code port} (a kernel interface,
     * or the software NIC {@code vnic:NAME}: one {@link io.netbypass.control.NicControl} either way),
     * prints it, applies it as one journaled transaction, and leaves {@link #port} naming the queue's
     * port ({@code xdp:IF-QUEUE/R}, or {@code vnic:NAME-QUEUE/R} fed by the traffic options).
     */
    private Journal isolate(PrintWriter out) throws Exception {
        boolean software = port.startsWith("vnic:");
        String device;
        NicControl nic;
        if (software) {
            PortName name = PortName.parse(port, "vnic");
            if (name.register() != PortName.Register.ALL_NIC) {
                throw new UserException("offload NIC QUEUE takes the NIC (vnic:eth3), not one of its rings ('" + port + "')");
            }
            device = name.device();
            nic = new VnicControl(Vnics.get(device));
        } else {
            if (port.contains(":")) {
                throw new UserException("offload IF QUEUE takes an interface name, or vnic:NAME, not '" + port + "'");
            }
            device = port;
            try {
                Native.ifIndex(device);
            } catch (LinuxException e) {
                throw new UserException(e.errno() == Errno.ENODEV
                        ? "no such network interface: " + device + " (offload IF QUEUE takes an interface here, or vnic:NAME)"
                        : e.getMessage());
            }
            nic = new LinuxNicControl(device);
        }
        Tuning tuning = software ? null : new Tuning();
        List<Integer> online = new Tuning().onlineCpus();
        int workerCpu = cpu != null ? cpu : online.get(online.size() - 1);
        var rules = steering.options(Ports.Direction.RECEIVE).steering();
        QueueIsolation.Plan plan;
        try {
            plan = QueueIsolation.plan(nic, queue, rules, workerCpu, tuning == null ? null : Isolation.interrupts(tuning));
        } catch (IOException e) {
            throw new UserException("offload " + nic.name() + " " + queue + ": " + e.getMessage());
        }
        String taken = (software ? "vnic:" : "xdp:") + device + (plan.steerInXdp() ? "/R" : "-" + queue + "/R");
        out.printf(Locale.ROOT, "[+] plan for %s queue %d%s:%n", nic.name(), queue, software ? "" : " (worker on CPU " + workerCpu + ")");
        for (var s : plan.steps()) {
            out.println("    " + s.description());
        }
        out.println("    filter " + taken + (plan.steerInXdp() ? ": the --steer flows on every RX queue, selected in XDP"
                : rules.isEmpty() ? ": every packet of RX queue " + queue : ": RX queue " + queue + ", where the ntuple rules send the flows"));
        for (String n : plan.notes()) {
            out.println("[!] " + n);
        }
        out.flush();
        if (dryRun) {
            out.println("[+] --dry-run: nothing changed");
            out.flush();
            return null;
        }
        // The software NIC lives in this process: its journal has no use after it, so it is kept apart from restore's.
        Journal journal = software
                ? Journal.create(Files.createTempDirectory("netbypass-vnic-journal"), "vnic",
                        ProcessHandle.current().pid(), Isolation.appliers())
                : RestoreCommand.journal(device);
        try {
            QueueIsolation.apply(plan, journal);
        } catch (IOException e) {
            throw new UserException("offload " + nic.name() + " " + queue + ": " + e.getMessage());
        }
        out.printf(Locale.ROOT, "[+] %d settings changed%s%n", plan.steps().size(), software ? ""
                : " (journal " + journal.file() + "; 'netbypass restore " + device + "' if this run dies)");
        port = taken;
        xdpSteering = plan.steerInXdp() ? rules : List.of();
        if (cpu == null && !software) {
            cpu = workerCpu;
        }
        return journal;
    }

    /** The lines of what was lost outside the filter (XDP, the kernel, the host path). */
    private LossReport losses = new LossReport(List.of());

    /** Flow steering rules for the XDP program in a session on a device without ntuple filters. */
    private List<RxFlowSpec> xdpSteering;

    private int run(FilterProgram first, PrintWriter out, long intervalNanos, Path countersPath, int capacity,
                    Signals.Stop stop, AtomicReference<FilterEngine> running) throws Exception {
        PortOptions options = steering.options(first.transmits() ? Ports.Direction.BOTH : Ports.Direction.RECEIVE);
        if (queue != null) {
            options = new PortOptions(options.direction(), xdpSteering); // the NIC steers, or XDP does
        }
        if (!noHostPath) {
            options = options.withHostPath(!noGro); // passed packets go back to the kernel (a backend with a host stack of its own has it anyway)
        }
        options = options.withWire(traffic.wire()); // for a device without a real wire (vnic)
        losses = new LossReport(options.steering());
        // Compiled before it takes a queue: a cold worker falls behind a flood, and the kernel drops what it cannot hold.
        long t0 = System.nanoTime();
        long decided = WarmUp.run(first, 400_000_000L);
        out.printf(Locale.ROOT, "[+] warmed up: %d made-up packets decided in %.2f s, before taking the queue%n", decided,
                (System.nanoTime() - t0) / 1e9);
        out.flush();
        try (Port p = Ports.open(port, options);
             CountersFile file = new CountersFile(countersPath, capacity, "netbypass offload " + port);
             MetricsServer server = metrics == null ? null : new MetricsServer(metrics, countersPath)) {
            int stale = CountersFile.removeStale(CountersFile.defaultDirectory());
            if (stale > 0) {
                out.printf(Locale.ROOT, "[+] removed %d counters file%s of netbypass processes that ended without cleaning up%n",
                        stale, stale == 1 ? "" : "s");
            }
            FilterEngine engine = new FilterEngine(p, first);
            FilterMetrics published = new FilterMetrics(file, engine);
            running.set(engine);
            RulesReloader reloads = rules != null ? reloader(engine, out) : null;
            reloader = reloads;
            out.printf(Locale.ROOT, "[+] offload %s: %s (%d rules, default %s), worker%s idle: %s%n", p.name(), first.rules().source(),
                    first.rules().size(), first.rules().defaultAction(), cpu == null ? "" : " on CPU " + cpu, idleMode(idleMode, p));
            if (p.description() != null) {
                out.printf(Locale.ROOT, "[+] %s: %s%n", p.name(), p.description());
            }
            if (noHostPath && first.passes() && !p.forwardsToHost()) {
                out.println("[!] --no-host-path: packets the rules pass are counted as forward_unavailable and dropped");
            } else if (p.receivesCopies()) {
                out.println("[!] afpacket: sees copies: the kernel still receives every frame, so verdicts are counted"
                        + " but take nothing from it (take a queue with xdp: to drop)");
            }
            out.printf(Locale.ROOT, "[+] counters: %s (netbypass stat)%s%n", countersPath,
                    server == null ? "" : ", metrics: http://" + (metrics.contains(":")
                            ? metrics.substring(0, metrics.lastIndexOf(':')) : "127.0.0.1") + ":" + server.port() + "/metrics");
            out.flush();
            AtomicReference<Throwable> failed = new AtomicReference<>();
            Thread worker = new Thread(() -> {
                try {
                    if (cpu != null) {
                        Affinity.pin(cpu);
                    }
                    scheduling(sched);
                    run(engine, published, stop, intervalNanos, out);
                } catch (Throwable t) {
                    failed.set(t);
                }
            }, "filter-worker");
            worker.start();
            worker.join();
            running.set(null);
            if (reloads != null) {
                reloader = null;
                reloads.close();
            }
            if (failed.get() != null) {
                Throwable t = failed.get();
                if (t instanceof Exception e) {
                    throw e;
                }
                throw (Error) t;
            }
            return 0;
        }
    }

    private void run(FilterEngine engine, FilterMetrics published, Signals.Stop stop, long intervalNanos, PrintWriter out) {
        Port port = engine.port();
        long publishEvery = 100_000_000L;
        long nextPublish = System.nanoTime() + publishEvery;
        IdleStrategy idle = idleStrategy(idleMode, engine.port());
        long start = System.nanoTime();
        long end = Checks.end(start, duration);
        long nextReport = start + intervalNanos;
        long lastReport = start;
        long[] before = engine.counters().snapshot();
        Map<String, Long> portBefore = LossReport.snapshot(engine.port());
        while (!stop.requested()) {
            long now = System.nanoTime();
            if (engine.doWork(now - start) == 0) {
                if (port.hasEnd() && port.drained()) {
                    break; // the traffic ended and every frame is decided
                }
                idle.idle(0);
            } else {
                idle.reset();
            }
            if (now >= nextPublish) {
                published.publish();
                nextPublish = now + publishEvery;
            }
            if (now >= nextReport) {
                long[] c = engine.counters().snapshot();
                double seconds = (now - lastReport) / 1e9;
                Map<String, Long> portNow = LossReport.snapshot(engine.port());
                report(out, before, c, seconds, losses.interval(portBefore, portNow, seconds));
                before = c;
                portBefore = portNow;
                lastReport = now;
                nextReport += intervalNanos;
                if (nextReport < now) {
                    nextReport = now + intervalNanos;
                }
            }
            if (now >= end) {
                break;
            }
        }
        // The queues back to the kernel (a software wire stopped) first, then what is already in the rings decided:
        // nothing arriving is lost.
        port.stopReceiving();
        while (port.hasEnd() && !port.drained()) {
            engine.doWork(System.nanoTime() - start); // a device that knows its end: to the last frame (a paused wire waits for ring space)
        }
        long drainEnd = System.nanoTime() + 200_000_000L;
        for (int idleRounds = 0; idleRounds < 3 && System.nanoTime() < drainEnd; ) {
            idleRounds = engine.doWork(System.nanoTime() - start) == 0 ? idleRounds + 1 : 0;
        }
        engine.doWork(System.nanoTime() - start); // forwards the slots released by the last batch
        published.publish();
        summary(out, engine.port().name().toString(), engine.counters(), engine.program(), (System.nanoTime() - start) / 1e9);
        for (String line : losses.totals(LossReport.snapshot(engine.port()))) {
            out.println("    " + line);
        }
        portStatistics(out, engine.port());
    }

    /** The port's own counters (the kernel's AF_XDP drops, say), those that are not zero. */
    static void portStatistics(PrintWriter out, Port p) {
        StringBuilder b = new StringBuilder();
        p.statistics((name, value) -> {
            if (value != 0) {
                b.append(b.isEmpty() ? "" : ", ").append(name).append(' ').append(value);
            }
        });
        if (!b.isEmpty()) {
            out.printf(Locale.ROOT, "    port %s: %s%n", p.name(), b);
            out.flush();
        }
    }

    /** Applies {@code --sched} to the calling thread. */
    static void scheduling(String mode) {
        switch (mode) {
            case "normal" -> { }
            case "batch" -> Affinity.batchScheduling();
            default -> throw new UserException("--sched is batch or normal, not '" + mode + "'");
        }
    }

    /**
     * The {@code --idle} mode in effect for {@code port}: the one asked for, else waiting in the
     * kernel where the port can, else backoff. Waiting is the default whatever the worker's CPU:
     * on a veth pair it used ~4% of a CPU on an idle queue where spinning used 100%, and under a
     * flood it received the most, on the CPU of the queue's NAPI thread (spinning there starves
     * NAPI) and apart from it (scripts/bench-idle). On the software NIC backing off beat spinning
     * too (1.3-1.4 against 1.0 Mpps with the wire's thread on the other of 2 CPUs).
     */
    static String idleMode(String asked, Port port) {
        return asked != null ? asked : port != null && port.waitStrategy() != null ? "wait" : "backoff";
    }

    /** The idle strategy of {@link #idleMode}; with {@code port} null only checks the name. */
    static IdleStrategy idleStrategy(String asked, Port port) {
        String m = idleMode(asked, port);
        return switch (m) {
            case "busy" -> new BusySpinIdleStrategy();
            case "backoff" -> new BackoffIdleStrategy();
            case "wait" -> {
                IdleStrategy wait = port == null ? null : port.waitStrategy();
                if (port != null && wait == null) {
                    throw new UserException("--idle wait: " + port.name() + " has nothing to wait on in the kernel"
                            + " (busy or backoff)");
                }
                yield wait;
            }
            default -> throw new UserException("--idle is wait, busy or backoff, not '" + m + "'");
        };
    }

    private static void report(PrintWriter out, long[] a, long[] b, double seconds, List<String> losses) {
        IntToLongFunction pps = i -> Math.round((b[i] - a[i]) / seconds);
        out.printf(Locale.ROOT, "[+] UDP pps: %d%n", pps.applyAsLong(FilterCounters.UDP));
        out.printf(Locale.ROOT, "    rx %d pps: dropped %d, passed %d, rate-limited %d, tx %d, malformed %d%n",
                pps.applyAsLong(FilterCounters.RECEIVED), pps.applyAsLong(FilterCounters.DROPPED),
                pps.applyAsLong(FilterCounters.PASSED), pps.applyAsLong(FilterCounters.LIMITED),
                pps.applyAsLong(FilterCounters.TRANSMITTED), pps.applyAsLong(FilterCounters.MALFORMED));
        for (String line : losses) {
            out.println("    " + line);
        }
        out.flush();
    }

    static void summary(PrintWriter out, String name, FilterCounters c, FilterProgram program, double seconds) {
        out.printf(Locale.ROOT, "[+] summary: %s: %d packets (%d bytes) in %.1f s: dropped %d, passed %d, rate-limited %d,"
                        + " tx %d, malformed %d%s%n", name, c.received(), c.receivedBytes(), seconds, c.dropped(), c.passed(),
                c.limited(), c.transmitted(), c.malformed(),
                (c.txRingFull() > 0 ? ", tx ring full " + c.txRingFull() : "") + (c.reloads() > 0 ? ", reloads " + c.reloads() : ""));
        out.printf(Locale.ROOT, "    %-24s %12s %14s %12s  %s%n", "rule", "packets", "bytes", "over rate", "action");
        for (int i = 0; i <= program.rules().size(); i++) {
            String action = i < program.rules().size() ? program.rules().rule(i).action().toString()
                    : program.rules().defaultAction().toString();
            out.printf(Locale.ROOT, "    %-24s %12d %14d %12s  %s%n", program.name(i), program.packets(i), program.bytes(i),
                    program.limited(i) > 0 || action.startsWith("ratelimit") ? Long.toString(program.limited(i)) : "-", action);
        }
        out.flush();
    }

    /** Rules (the default included) whose counters fit the counters file, sized at start. */
    private volatile int ruleCounterRoom = Integer.MAX_VALUE;

    /** The reloader of the running engine (SIGHUP, --watch): one compile at a time, never blocking the caller. */
    private volatile RulesReloader reloader;

    private RulesReloader reloader(FilterEngine engine, PrintWriter out) {
        return new RulesReloader(rules, engine, watch, 500, line -> {
            out.println(line);
            out.flush();
        }, next -> {
            if (next.rules().size() + 1 > ruleCounterRoom) {
                out.printf(Locale.ROOT, "[!] the counters file holds per-rule counters for %d rules; rules past that are"
                        + " counted in the summary but not published to stat or metrics (restart to resize)%n", ruleCounterRoom - 1);
            }
        });
    }
}
