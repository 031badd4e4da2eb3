package io.netbypass.cli;

import io.netbypass.backend.PortOptions;
import io.netbypass.backend.PortSet;
import io.netbypass.backend.Ports;
import io.netbypass.backend.vnic.VnicControl;
import io.netbypass.backend.vnic.Vnics;
import io.netbypass.control.Journal;
import io.netbypass.control.NicControl;
import io.netbypass.control.QueueIsolation;
import io.netbypass.filter.engine.Blocklist;
import io.netbypass.filter.engine.FilterCounter;
import io.netbypass.filter.engine.FilterCounters;
import io.netbypass.filter.engine.FilterWorker;
import io.netbypass.filter.engine.FilterEngine;
import io.netbypass.filter.engine.FilterMetrics;
import io.netbypass.filter.engine.FilterProgram;
import io.netbypass.filter.engine.OfflineFilter;
import io.netbypass.filter.engine.WarmUp;
import io.netbypass.filter.rules.Action;
import io.netbypass.filter.rules.RuleSet;
import io.netbypass.filter.rules.RuleSyntaxException;
import io.netbypass.linux.Affinity;
import io.netbypass.linux.Errno;
import io.netbypass.linux.LinuxException;
import io.netbypass.linux.Native;
import io.netbypass.linux.PollIdleStrategy;
import io.netbypass.linux.ethtool.LinuxNicControl;
import io.netbypass.linux.tune.Isolation;
import io.netbypass.linux.tune.Tuning;
import io.netbypass.metrics.CountersFile;
import io.netbypass.metrics.MetricsServer;
import io.netbypass.port.DriverRules;
import io.netbypass.port.Port;
import io.netbypass.port.PortName;
import io.netbypass.port.RingPort;
import io.netbypass.scaling.ntuple.RxFlowSpec;
import io.netbypass.util.UserException;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
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
                "the running set between two batches, an invalid one is reported and the old rules keep running.",
                "--workers N: N threads, each on its own RX queues (xdp:IF/R: a socket per queue); rate limits hold",
                "in total. While it runs, 'netbypass ctl' adds or removes queues, reloads, and shows the workers."})
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

    @Option(names = "--workers", paramLabel = "N",
            description = "Worker threads (default: one, or one per CPU of --cpus). With more than one the port names every"
                    + " queue of its device (xdp:IF/R, vnic:NAME/R): a port per RX queue, queue q to worker q mod N.")
    Integer workers;

    @Option(names = "--cpus", paramLabel = "LIST", description = "Pin worker i to the i-th CPU of LIST (2,3 or 2-3).")
    String cpus;

    @Option(names = "--idle", paramLabel = "wait|busy|backoff",
            description = "When the queue is empty: sleep in poll(2) until the kernel delivers (wait: the default on xdp: and"
                    + " afpacket: ports, measured best both idle and under a flood, scripts/bench-idle), spin (busy), or back"
                    + " off to short sleeps (backoff: the default on vnic: ports, where it decided 1.3-1.4 Mpps against 1.0 when"
                    + " spinning, its wire's thread beside it on 2 CPUs).")
    String idleMode;

    @Option(names = "--no-host-path", description = "xdp: ports: drop passed packets instead of handing them to the kernel"
            + " through the host path (a TAP standing for the interface).")
    boolean noHostPath;

    @Option(names = "--xdp-verdicts", paramLabel = "on|off",
            description = "xdp: ports in queue mode: compile the rules into the XDP program, so the driver drops and passes"
                    + " what it can decide exactly as the rules would (the plan printed at start says which rules), and"
                    + " only the rest reaches user space (on, the default); off: every packet of the queue comes up.")
    String xdpVerdicts = "on";

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
        workerCpus = workerCpus();
        if (workers == null) {
            workers = workerCpus != null ? workerCpus.size() : 1;
        }
        Checks.range("--workers", workers, 1, 1024);
        if (workerCpus != null && workerCpus.size() != workers) {
            throw new UserException(cpu != null ? "--cpu pins one worker; --workers " + workers + " takes --cpus with a CPU each"
                    : "--workers " + workers + " and --cpus " + cpus + " (" + workerCpus.size() + " CPU"
                    + (workerCpus.size() == 1 ? "" : "s") + "): a CPU per worker");
        }
        if (queue == null && workers > 1 && PortName.hasBackend(port)) {
            PortSet.checkWorkers(PortName.parse(port, "none"), workers); // before the warm-up: a wrong name is one line at once
        }
        if (queue != null && workers > 1) {
            throw new UserException("offload IF QUEUE filters one queue with one worker; --workers is for a port over"
                    + " several queues (xdp:IF/R)");
        }
        idleStrategy(idleMode, List.of()); // a bad --idle or --sched is reported before anything opens
        if (!xdpVerdicts.equals("on") && !xdpVerdicts.equals("off")) {
            throw new UserException("--xdp-verdicts is on or off, not '" + xdpVerdicts + "'");
        }
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
        int fixed = 256 + FilterCounter.COUNT * (workers + 1) + FilterMetrics.BLOCKED_SHOWN + 1;
        // Five series per rule: packets, bytes and over rate in user space, packets and bytes in XDP.
        int capacity = fixed + 5 * Math.max(1024, 2 * (first.rules().size() + 1));
        ruleCounterRoom = (capacity - fixed) / 5;
        // Signals are caught from before the first change until the last one is put back: none ends the run half-way.
        AtomicReference<FilterEngine> running = new AtomicReference<>();
        try (Signals.Stop stop = Signals.Stop.install(s -> hangup(running.get(), out))) {
            Journal journal = null;
            try {
                if (queue != null) {
                    journal = isolate(out);
                    if (journal == null) {
                        return 0; // --dry-run
                    }
                }
                return run(first, out, intervalNanos, countersPath, capacity, stop, running);
            } finally {
                if (journal != null) {
                    List<String> failed = journal.rollback();
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
        int workerCpu = workerCpus != null ? workerCpus.getFirst() : online.get(online.size() - 1);
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
        session = new Session(nic, journal, tuning == null ? null : Isolation.interrupts(tuning));
        session.bypassed.put(queue, plan.steps());
        port = taken;
        xdpSteering = plan.steerInXdp() ? rules : List.of();
        if (cpu == null && !software) {
            cpu = workerCpu;
            workerCpus = List.of(workerCpu);
        }
        return journal;
    }

    /** The lines of what was lost outside the filter (XDP, the kernel, the host path). */
    private LossReport losses = new LossReport(List.of());

    /** The seed's session (offload IF QUEUE): what a queue added or removed while it runs changes, journaled. */
    private record Session(NicControl nic, Journal journal, QueueIsolation.Interrupts interrupts,
                           Map<Integer, List<QueueIsolation.Step>> bypassed) {
        Session(NicControl nic, Journal journal, QueueIsolation.Interrupts interrupts) {
            this(nic, journal, interrupts, new TreeMap<>());
        }
    }

    private Session session;

    /** Flow steering rules for the XDP program in a session on a device without ntuple filters. */
    private List<RxFlowSpec> xdpSteering;

    /** The CPUs of --cpus, or of --cpu, or null (no pinning). */
    private List<Integer> workerCpus() throws IOException {
        if (cpu != null && cpus != null) {
            throw new UserException("--cpu and --cpus: give one (--cpus for several workers)");
        }
        if (cpu == null && cpus == null) {
            return null;
        }
        List<Integer> list = new ArrayList<>();
        if (cpu != null) {
            list.add(cpu);
        } else {
            try {
                Tuning.cpuList(cpus); // the whole list checked first: its refusal quotes it as given
            } catch (UserException e) {
                throw new UserException("--cpus " + e.getMessage());
            }
            for (String part : cpus.split(",", -1)) {
                list.addAll(Tuning.cpuList(part)); // part by part: two workers may share a CPU (1,1)
            }
        }
        List<Integer> online = new Tuning().onlineCpus();
        for (int c : list) {
            Checks.online(cpu != null ? "--cpu " + c : "--cpus: CPU " + c, c, online);
        }
        return list;
    }

    /** The CPU of each worker (null: not pinned). */
    private List<Integer> workerCpus;

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
        try (PortSet set = PortSet.open(port, options, workers);
             CountersFile file = new CountersFile(countersPath, capacity, "netbypass offload " + port);
             MetricsServer server = metrics == null ? null : new MetricsServer(metrics, countersPath, FilterCounter::helpOf)) {
            int stale = CountersFile.removeStale(CountersFile.defaultDirectory());
            if (stale > 0) {
                out.printf(Locale.ROOT, "[+] removed %d counters file%s of netbypass processes that ended without cleaning up%n",
                        stale, stale == 1 ? "" : "s");
            }
            FilterEngine engine = new FilterEngine(set.perWorker(), first);
            Port p = engine.port();
            String name = workers == 1 ? p.name().toString() : set.name().toString();
            FilterMetrics published = new FilterMetrics(file, engine, name);
            running.set(engine);
            RulesReloader reloads = rules != null ? reloader(engine, out) : null;
            reloader = reloads;
            String idle = idleMode(idleMode, set.perWorker().getFirst());
            out.printf(Locale.ROOT, "[+] offload %s: %s (%d rules, default %s), %s idle: %s%n", name, first.rules().source(),
                    first.rules().size(), first.rules().defaultAction(), workersLine(set), idle);
            for (Port each : engine.ports()) {
                if (each.description() != null) {
                    out.printf(Locale.ROOT, "[+] %s: %s%n", each.name(), each.description());
                }
            }
            if (noHostPath && first.passes() && !p.forwardsToHost()) {
                out.println("[!] --no-host-path: packets the rules pass are counted as forward_unavailable and dropped");
            } else if (p.receivesCopies()) {
                out.println("[!] afpacket: sees copies: the kernel still receives every frame, so verdicts are counted"
                        + " but take nothing from it (take a queue with xdp: to drop)");
            }
            installInDrivers(engine.drivers(), first, out);
            for (DriverRules d : engine.drivers()) {
                if (xdpVerdicts.equals("on")) {
                    first.blocklist().addListener(new Blocklist.Listener() { // blocked sources dropped in the driver too
                        @Override
                        public void blocked(int version, long high, long low, long untilMonotonicNanos) {
                            d.block(version, high, low, untilMonotonicNanos);
                        }

                        @Override
                        public void unblocked(int version, long high, long low) {
                            d.unblock(version, high, low);
                        }
                    });
                }
            }
            out.printf(Locale.ROOT, "[+] counters: %s (netbypass stat)%s%n", countersPath,
                    server == null ? "" : ", metrics: http://" + (metrics.contains(":")
                            ? metrics.substring(0, metrics.lastIndexOf(':')) : "127.0.0.1") + ":" + server.port() + "/metrics");
            for (List<Port> ports : set.perWorker()) {
                idleStrategy(idleMode, ports); // --idle wait on a port with nothing to wait on: refused before any thread runs
            }
            Control handler = new Control(engine, set, published, out);
            ControlSocket control = control(handler, out);
            out.flush();
            try {
                engine.start(ports -> idleStrategy(idleMode, ports), w -> {
                    if (workerCpus != null) {
                        Affinity.pin(workerCpus.get(w));
                    }
                    scheduling(sched);
                });
                set.startTraffic(); // a software NIC's wire, now that the workers run
                int errors = run(engine, set, published, stop, intervalNanos, out, name, () -> {
                    // No queue comes or goes once the run ends: the request in progress finishes, later ones are refused.
                    handler.stopping = true;
                    if (control != null) {
                        control.close();
                    }
                });
                return errors == 0 && engine.failed() == null ? 0 : 1;
            } finally {
                if (control != null) {
                    handler.stopping = true;
                    control.close();
                    CONTROL_TAKEN.set(false);
                }
                engine.close();
                running.set(null);
                if (reloads != null) {
                    reloader = null;
                    reloads.close();
                }
            }
        }
    }

    /**
     * Puts the rules into the driver of each device that has one (XDP, queue mode), printing the
     * plan; a failure leaves the previous rules there (none at start: every packet comes to user
     * space, where the same rules decide it) and says why in one line.
     */
    private void installInDrivers(List<DriverRules> drivers, FilterProgram program, PrintWriter out) {
        if (xdpVerdicts.equals("off")) {
            return;
        }
        if (drivers.isEmpty() && port.startsWith("xdp:") && ((xdpSteering != null && !xdpSteering.isEmpty())
                || !steering.options(Ports.Direction.RECEIVE).steering().isEmpty())) {
            out.println("[+] the rules run in user space only: the XDP program selects the --steer flows on every queue");
        }
        for (DriverRules d : drivers) {
            try {
                // Without a host path user space drops what passes: so must the driver (it leaves passes to user space).
                for (String line : d.install(program.rules(), !noHostPath)) {
                    out.printf(Locale.ROOT, "[+] %s: %s%n", d.where(), line);
                }
            } catch (Exception e) {
                // The old rules must not go on deciding in the driver while user space runs the new ones.
                String old = "";
                if (d.installed() != null) {
                    try {
                        d.uninstall();
                        old = "; the driver's old rules taken out: every packet comes up until a reload succeeds";
                    } catch (Exception again) {
                        old = "; the driver's old rules could not be taken out (" + Errors.oneLine(again) + ")";
                    }
                }
                out.printf(Locale.ROOT, "[!] %s: the rules stay in user space (%s)%s%n", d.where(), Errors.oneLine(e), old);
            }
        }
        out.flush();
    }

    /** Only one offload of a process answers on its control socket (tests run several in one JVM). */
    private static final AtomicBoolean CONTROL_TAKEN = new AtomicBoolean();

    /** Opens the control socket for 'netbypass ctl', or says in one line why there is none. */
    private static ControlSocket control(Control handler, PrintWriter out) {
        if (!CONTROL_TAKEN.compareAndSet(false, true)) {
            out.println("[!] ctl: another offload in this process answers on its control socket; none for this one");
            return null;
        }
        try {
            ControlSocket c = new ControlSocket(CtlCommand.directory, handler::answer);
            out.printf(Locale.ROOT, "[+] ctl: %s (netbypass ctl %d add-queue N | remove-queue N | reload | status)%n", c.path(),
                    ProcessHandle.current().pid());
            return c;
        } catch (IOException | RuntimeException e) {
            CONTROL_TAKEN.set(false);
            out.println("[!] ctl: no control socket (" + Errors.oneLine(e) + "): queues cannot be added or removed while it runs");
            return null;
        }
    }

    /**
     * What 'netbypass ctl' asks of this run: its status, a reload, a queue added or given back. One
     * request at a time (the socket's thread); a queue change waits for the workers (bounded).
     */
    private final class Control {
        /** Set when the run ends: requests are refused from then on. */
        volatile boolean stopping;
        private final FilterEngine engine;
        private final PortSet set;
        private final FilterMetrics published;
        private final PrintWriter out;

        Control(FilterEngine engine, PortSet set, FilterMetrics published, PrintWriter out) {
            this.engine = engine;
            this.set = set;
            this.published = published;
            this.out = out;
        }

        List<String> answer(String request) {
            if (stopping) {
                throw new UserException("the filter is stopping: no more changes");
            }
            String[] w = request.split(" ");
            return switch (w[0]) {
                case "status" -> status();
                case "reload" -> List.of(reload());
                case "add-queue" -> List.of(addQueue(queueNumber(w)));
                case "remove-queue" -> List.of(removeQueue(queueNumber(w)));
                case "blocklist" -> blocklist(w);
                default -> throw new UserException("unknown request '" + request + "': add-queue N, remove-queue N, reload,"
                        + " status, blocklist");
            };
        }

        /** {@code blocklist list}, {@code blocklist add ADDRESS SECONDS}, {@code blocklist del ADDRESS}. */
        private List<String> blocklist(String[] w) {
            Blocklist b = engine.program().blocklist();
            long now = engine.now();
            String what = w.length > 1 ? w[1] : "";
            switch (what) {
                case "list" -> {
                    List<Blocklist.Entry> entries = b.list(now);
                    List<String> lines = new ArrayList<>();
                    lines.add(entries.size() + " source" + (entries.size() == 1 ? "" : "s") + " blocked"
                            + (b.lostOffers() > 0 ? " (" + b.lostOffers() + " blocks lost to a full queue, offered again)" : ""));
                    for (Blocklist.Entry e : entries) {
                        lines.add(String.format(Locale.ROOT, "%-40s %8.1f s left", e.address(), (e.untilNanos() - now) / 1e9));
                    }
                    return lines;
                }
                case "add" -> {
                    if (w.length != 4 || !w[3].matches("[0-9]{1,7}")) {
                        throw new UserException("blocklist add takes an address and a number of seconds");
                    }
                    long seconds = Long.parseLong(w[3]);
                    if (seconds < 1 || seconds > Action.MAX_BLOCK_SECONDS) {
                        throw new UserException("a block lasts 1 s to 7 days, not " + seconds + " s");
                    }
                    boolean changed = b.add(w[2], now + seconds * 1_000_000_000L, now);
                    String line = (changed ? "blocked " : "already blocked at least that long: ") + w[2] + " for " + seconds + " s";
                    out.println("[+] ctl blocklist: " + line);
                    out.flush();
                    return List.of(line);
                }
                case "del" -> {
                    if (w.length != 3) {
                        throw new UserException("blocklist del takes an address");
                    }
                    boolean removed = b.remove(w[2]);
                    String line = removed ? "unblocked " + w[2] : w[2] + " was not blocked";
                    out.println("[+] ctl blocklist: " + line);
                    out.flush();
                    return List.of(line);
                }
                default -> throw new UserException("blocklist list, blocklist add ADDRESS SECONDS or blocklist del ADDRESS");
            }
        }

        private int queueNumber(String[] w) {
            if (w.length != 2 || !w[1].matches("[0-9]{1,4}")) {
                throw new UserException(w[0] + " takes a queue number");
            }
            return Integer.parseInt(w[1]);
        }

        private List<String> status() {
            List<String> lines = new ArrayList<>();
            FilterProgram p = engine.program();
            FilterCounters t = engine.counters();
            lines.add(String.format(Locale.ROOT, "offload %s, pid %d: %s (%d rules, default %s), %d worker%s", set.name(),
                    ProcessHandle.current().pid(), p.rules().source(), p.rules().size(), p.rules().defaultAction(),
                    engine.workers(), engine.workers() == 1 ? "" : "s"));
            lines.add(String.format(Locale.ROOT, "total: rx %d, dropped %d, passed %d, rate-limited %d, tx %d, malformed %d,"
                    + " reloads %d, errors %d%s", t.received(), t.dropped(), t.passed(), t.limited(), t.transmitted(), t.malformed(),
                    t.reloads(), t.errors(), t.blocked() > 0 ? ", blocked " + t.blocked() : ""));
            for (DriverRules d : engine.drivers()) {
                if (d.installed() != null) {
                    lines.add(String.format(Locale.ROOT, "%s: dropped %d (blocked sources %d), passed %d", d.where(), d.dropped(),
                            d.blocked(), d.passed()));
                }
            }
            for (int i = 0; i < engine.workers(); i++) {
                FilterWorker w = engine.worker(i);
                FilterCounters c = w.counters();
                StringBuilder queues = new StringBuilder();
                for (Port port : w.ports()) {
                    for (int r = 0; r < port.rxRings(); r++) {
                        queues.append(queues.isEmpty() ? "" : ",").append(port.rxRing(r).id());
                    }
                }
                lines.add(String.format(Locale.ROOT, "worker %d%s: queues %s: rx %d, dropped %d, passed %d, rate-limited %d,"
                                + " tx %d, errors %d", i, workerCpus == null ? "" : " (CPU " + workerCpus.get(i) + ")",
                        queues.isEmpty() ? "none" : queues, c.received(), c.dropped(), c.passed(), c.limited(), c.transmitted(),
                        c.errors()));
            }
            return lines;
        }

        private String reload() {
            RulesReloader r = reloader;
            if (rules == null || r == null) {
                throw new UserException("this run has no --rules file to reload (it passes everything)");
            }
            String result = r.reloadNow("ctl reload", 120_000);
            if (result.startsWith("[!]")) {
                throw new UserException(result.substring(4));
            }
            return result.substring(4);
        }

        private String addQueue(int q) {
            if (set.noQueues() != null) {
                throw new UserException(set.noQueues());
            }
            if (set.queue(q) != null) {
                throw new UserException("queue " + q + " is already filtered (" + set.queue(q).name() + ")");
            }
            int w = engine.leastLoaded();
            List<String> done = new ArrayList<>();
            if (session != null) {
                isolateMore(q, w, done);
            }
            Port p;
            try {
                p = set.openQueue(q);
            } catch (RuntimeException e) {
                undoIsolation(q);
                throw e;
            }
            CompletableFuture<Void> taken = engine.add(w, p);
            try {
                taken.get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                if (!taken.cancel(false)) {
                    // Taken after all (just as we gave up): give it back before it is closed.
                    try {
                        engine.remove(p).get(60, TimeUnit.SECONDS);
                    } catch (Exception again) {
                        throw new UserException("queue " + q + ": worker " + w + " neither took it in time nor gave it back: "
                                + Errors.oneLine(again) + "; it stays open until the run ends");
                    }
                }
                synchronized (published.lock()) {
                    set.forget(q);
                    p.close();
                }
                undoIsolation(q);
                throw new UserException("queue " + q + ": worker " + w + " did not take it: " + Errors.oneLine(e));
            }
            String line = String.format(Locale.ROOT, "queue %d: %s on worker %d%s", q, p.name(), w,
                    done.isEmpty() ? "" : " (" + String.join("; ", done) + ")");
            out.println("[+] ctl add-queue: " + line);
            out.flush();
            return line;
        }

        private String removeQueue(int q) {
            Port p = set.queue(q);
            if (p == null) {
                throw new UserException(set.noQueues() != null ? set.noQueues() : "queue " + q + " is not filtered here (queues: "
                        + set.queues().keySet() + ")");
            }
            try {
                engine.remove(p).get(60, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new UserException("queue " + q + ": its worker did not give it back: " + Errors.oneLine(e));
            }
            long decided = ((RingPort) p).received();
            synchronized (published.lock()) {
                set.forget(q);
                p.close();
            }
            String undone = session != null ? undoIsolation(q) : "";
            String line = String.format(Locale.ROOT, "queue %d: back to the kernel after its ring was decided (%d packets"
                    + " in all)%s", q, decided, undone);
            out.println("[+] ctl remove-queue: " + line);
            out.flush();
            return line;
        }

        /** Isolates queue {@code q} as the session's first queue was (journaled), for worker {@code w}'s CPU. */
        private void isolateMore(int q, int w, List<String> done) {
            int cpuOf = workerCpus == null ? 0 : workerCpus.get(w);
            try {
                QueueIsolation.Plan plan = QueueIsolation.plan(session.nic(), q, List.of(), cpuOf, session.interrupts(),
                        session.bypassed().keySet());
                QueueIsolation.applyMore(plan, session.journal());
                session.bypassed().put(q, plan.steps());
                for (QueueIsolation.Step s : plan.steps()) {
                    done.add(s.description());
                }
            } catch (IOException e) {
                throw new UserException("add-queue " + q + ": " + e.getMessage());
            }
        }

        /** Gives back what was changed for queue {@code q} alone (journaled); "" or a note of what was put back. */
        private String undoIsolation(int q) {
            if (session == null) {
                return "";
            }
            List<QueueIsolation.Step> made = session.bypassed().remove(q);
            if (made == null) {
                return "";
            }
            try {
                QueueIsolation.Plan back = QueueIsolation.giveBack(session.nic(), q, session.bypassed().keySet(), made);
                QueueIsolation.applyMore(back, session.journal());
                List<String> lines = new ArrayList<>();
                for (QueueIsolation.Step s : back.steps()) {
                    lines.add(s.description());
                }
                return lines.isEmpty() ? "" : "; " + String.join("; ", lines);
            } catch (IOException e) {
                return "; could not put its settings back (" + e.getMessage() + "): the session's end puts everything back";
            }
        }
    }

    /** "worker on CPU 3", or "2 workers (queues 0,2 on CPU 0; 1,3 on CPU 1)". */
    private String workersLine(PortSet set) {
        if (workers == 1) {
            return "worker" + (workerCpus == null ? "" : " on CPU " + workerCpus.getFirst()) + ",";
        }
        StringBuilder b = new StringBuilder(workers + " workers (");
        for (int w = 0; w < workers; w++) {
            b.append(w == 0 ? "" : "; ").append("queue");
            List<Port> ports = set.perWorker().get(w);
            b.append(ports.size() == 1 ? " " : "s ");
            for (int i = 0; i < ports.size(); i++) {
                b.append(i == 0 ? "" : ",").append(ports.get(i).rxRing(0).id());
            }
            if (workerCpus != null) {
                b.append(" on CPU ").append(workerCpus.get(w));
            }
        }
        return b.append("),").toString();
    }

    /**
     * The main thread while the workers filter: publishes the counters, prints the per-second line
     * from them (workers never print), reports a worker's errors, and ends the run on a signal, the
     * duration or the end of the traffic: the traffic stops, the workers drain their rings, the
     * summary follows. Returns the errors the workers' duty cycles threw.
     */
    private int run(FilterEngine engine, PortSet set, FilterMetrics published, Signals.Stop stop, long intervalNanos,
                    PrintWriter out, String name, Runnable ending) {
        long publishEvery = 100_000_000L;
        long start = System.nanoTime();
        long nextPublish = start + publishEvery;
        long end = Checks.end(start, duration);
        long nextReport = start + intervalNanos;
        long lastReport = start;
        long[] before = engine.totals();
        long[] xdpBefore = driverVerdicts(engine);
        long[][] workersBefore = workerSnapshots(engine);
        long[] errorsSeen = new long[engine.workers()];
        Map<String, Long> portBefore = portSnapshot(engine, published);
        while (!stop.requested() && !engine.ended() && engine.failed() == null) {
            long now = System.nanoTime();
            if (now >= nextPublish) {
                engine.refreshBlocklist();
                published.publish();
                nextPublish = now + publishEvery;
            }
            if (now >= nextReport) {
                long[] c = engine.totals();
                long[][] w = workerSnapshots(engine);
                double seconds = (now - lastReport) / 1e9;
                Map<String, Long> portNow = portSnapshot(engine, published);
                long[] xdpNow = driverVerdicts(engine);
                report(out, before, c, seconds, losses.interval(portBefore, portNow, seconds));
                if (xdpNow != null && xdpBefore != null) {
                    out.printf(Locale.ROOT, "    driver %d pps: dropped %d%s, passed %d (decided in XDP)%n",
                            Math.round((xdpNow[0] + xdpNow[1] - xdpBefore[0] - xdpBefore[1]) / seconds),
                            Math.round((xdpNow[0] - xdpBefore[0]) / seconds), xdpNow[2] == 0 ? ""
                                    : " (blocked sources " + Math.round((xdpNow[2] - xdpBefore[2]) / seconds) + ")",
                            Math.round((xdpNow[1] - xdpBefore[1]) / seconds));
                }
                xdpBefore = xdpNow;
                if (engine.workers() > 1) {
                    for (int i = 0; i < w.length; i++) {
                        workerLine(out, engine.worker(i), workersBefore[i], w[i], seconds);
                    }
                }
                reportErrors(out, engine, errorsSeen);
                out.flush();
                before = c;
                workersBefore = w;
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
            try {
                // Until the next publish or report, or the end: a signal wakes it at once (a wakeup costs the
                // receiving CPU, which the driver shares when the rules run there).
                long next = Math.min(Math.min(nextPublish, nextReport), end);
                stop.await(Math.max(1, Math.min(100, (next - now) / 1_000_000)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        ending.run();
        FilterWorker failed = engine.failed();
        if (failed != null) {
            out.printf(Locale.ROOT, "[!] worker %d gave up after %d failed duty cycles in a row (its queues went back to the"
                    + " kernel), the last: %s; the run ends%n", failed.index(), FilterWorker.GIVE_UP,
                    failed.lastError() == null ? "?" : Errors.oneLine(failed.lastError()));
        }
        // The traffic we feed ourselves ends, the queues go back to the kernel, then what is already in the rings is
        // decided: nothing arriving is lost.
        set.endTraffic();
        boolean drained = engine.stop(30_000_000_000L);
        published.publish();
        summary(out, name, engine.counters(), engine.program(), engine.ruleCounts(engine.program()),
                (System.nanoTime() - start) / 1e9);
        driverSummary(out, engine);
        for (String line : losses.totals(portSnapshot(engine, published))) {
            out.println("    " + line);
        }
        synchronized (published.lock()) {
            for (Port each : engine.ports()) {
                portStatistics(out, each);
            }
        }
        if (!drained) {
            out.println("[!] a worker did not finish deciding its rings within 30 s: the run ended without it");
        }
        reportErrors(out, engine, errorsSeen);
        out.flush();
        return (int) Math.min(Integer.MAX_VALUE, engine.counters().errors());
    }

    /** The ports' statistics, read under the lock a port given back is closed under. */
    private static Map<String, Long> portSnapshot(FilterEngine engine, FilterMetrics published) {
        synchronized (published.lock()) {
            return LossReport.snapshot(engine.ports());
        }
    }

    private static long[][] workerSnapshots(FilterEngine engine) {
        long[][] s = new long[engine.workers()][];
        for (int w = 0; w < s.length; w++) {
            s[w] = engine.worker(w).counters().snapshot();
        }
        return s;
    }

    /** A worker's errors since the last report: how many, and the last one in a line. */
    private static void reportErrors(PrintWriter out, FilterEngine engine, long[] seen) {
        for (int w = 0; w < engine.workers(); w++) {
            long n = engine.worker(w).counters().errors();
            if (n > seen[w]) {
                Throwable t = engine.worker(w).lastError();
                out.printf(Locale.ROOT, "[!] worker %d: %d error%s in its duty cycle (it goes on), the last: %s%n", w, n - seen[w],
                        n - seen[w] == 1 ? "" : "s", t == null ? "?" : Errors.oneLine(t));
                seen[w] = n;
            }
        }
    }

    private static void workerLine(PrintWriter out, FilterWorker worker, long[] a, long[] b, double seconds) {
        StringBuilder queues = new StringBuilder();
        for (Port p : worker.ports()) {
            for (int r = 0; r < p.rxRings(); r++) {
                queues.append(queues.isEmpty() ? "" : ",").append(p.rxRing(r).id());
            }
        }
        IntToLongFunction pps = i -> Math.round((b[i] - a[i]) / seconds);
        out.printf(Locale.ROOT, "    worker %d (queue%s %s): rx %d pps: dropped %d, passed %d, rate-limited %d, tx %d%n",
                worker.index(), worker.ports().size() == 1 ? "" : "s", queues.isEmpty() ? "none" : queues,
                pps.applyAsLong(FilterCounter.RECEIVED.ordinal()), pps.applyAsLong(FilterCounter.DROPPED.ordinal()),
                pps.applyAsLong(FilterCounter.PASSED.ordinal()), pps.applyAsLong(FilterCounter.LIMITED.ordinal()),
                pps.applyAsLong(FilterCounter.TRANSMITTED.ordinal()));
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
        return idleMode(asked, port == null ? List.of() : List.of(port));
    }

    /** The mode for a worker over {@code ports}: waiting needs every one of them to have something to wait on. */
    static String idleMode(String asked, List<Port> ports) {
        if (asked != null) {
            return asked;
        }
        for (Port p : ports) {
            if (p.pollDescriptors() == null && p.waitStrategy() == null) {
                return "backoff";
            }
        }
        return ports.isEmpty() ? "backoff" : "wait";
    }

    /** The idle strategy of {@link #idleMode} for one port. */
    static IdleStrategy idleStrategy(String asked, Port port) {
        return idleStrategy(asked, List.of(port));
    }

    /**
     * The idle strategy of a worker over {@code ports}: for wait, poll(2) on every one's descriptors
     * (one port's own strategy when it is alone); a worker left without ports backs off.
     */
    static IdleStrategy idleStrategy(String asked, List<Port> ports) {
        String m = idleMode(asked, ports);
        return switch (m) {
            case "busy" -> new BusySpinIdleStrategy();
            case "backoff" -> new BackoffIdleStrategy();
            case "wait" -> {
                if (ports.isEmpty()) {
                    yield new BackoffIdleStrategy(); // nothing to wait on yet (or no longer): a queue may be added
                }
                if (ports.size() == 1 && ports.getFirst().waitStrategy() != null) {
                    yield ports.getFirst().waitStrategy();
                }
                int[] fds = new int[0];
                for (Port p : ports) {
                    int[] more = p.pollDescriptors();
                    if (more == null) {
                        throw new UserException("--idle wait: " + p.name() + " has nothing to wait on in the kernel"
                                + " (busy or backoff)");
                    }
                    int at = fds.length;
                    fds = Arrays.copyOf(fds, at + more.length);
                    System.arraycopy(more, 0, fds, at, more.length);
                }
                yield new PollIdleStrategy(fds, 16, PollIdleStrategy.IDLE_TIMEOUT_MILLIS);
            }
            default -> throw new UserException("--idle is wait, busy or backoff, not '" + m + "'");
        };
    }

    /** What the drivers decided so far (dropped, passed), or null when no rules are in a driver. */
    private static long[] driverVerdicts(FilterEngine engine) {
        long[] v = null;
        for (DriverRules d : engine.drivers()) {
            if (d.installed() != null) {
                v = v == null ? new long[3] : v;
                v[0] += d.dropped();
                v[1] += d.passed();
                v[2] += d.blocked();
            }
        }
        return v;
    }

    /** The drivers' part of the summary: their verdicts and, per rule, what they decided. */
    private static void driverSummary(PrintWriter out, FilterEngine engine) {
        for (DriverRules d : engine.drivers()) {
            RuleSet rules = d.installed();
            if (rules == null) {
                continue;
            }
            out.printf(Locale.ROOT, "[+] %s decided %d packets: dropped %d%s, passed %d (user space never saw them)%n", d.where(),
                    d.dropped() + d.passed(), d.dropped(), d.blocked() == 0 ? "" : " (" + d.blocked() + " from blocked sources)",
                    d.passed());
            long[][] counts = d.ruleCounts();
            for (int r = 0; r < counts[0].length; r++) {
                if (counts[0][r] > 0) {
                    out.printf(Locale.ROOT, "    %-24s %12d %14d  %s (in the driver)%n", r < rules.size() ? rules.rule(r).name() : "default",
                            counts[0][r], counts[1][r], r < rules.size() ? rules.rule(r).action() : rules.defaultAction());
                }
            }
        }
        out.flush();
    }

    private static void report(PrintWriter out, long[] a, long[] b, double seconds, List<String> losses) {
        IntToLongFunction pps = i -> Math.round((b[i] - a[i]) / seconds);
        out.printf(Locale.ROOT, "[+] UDP pps: %d%n", pps.applyAsLong(FilterCounter.UDP.ordinal()));
        out.printf(Locale.ROOT, "    rx %d pps: dropped %d, passed %d, rate-limited %d, tx %d, malformed %d%s%n",
                pps.applyAsLong(FilterCounter.RECEIVED.ordinal()), pps.applyAsLong(FilterCounter.DROPPED.ordinal()),
                pps.applyAsLong(FilterCounter.PASSED.ordinal()), pps.applyAsLong(FilterCounter.LIMITED.ordinal()),
                pps.applyAsLong(FilterCounter.TRANSMITTED.ordinal()), pps.applyAsLong(FilterCounter.MALFORMED.ordinal()),
                (b[FilterCounter.BLOCKED.ordinal()] > 0 ? ", blocked " + pps.applyAsLong(FilterCounter.BLOCKED.ordinal()) : "")
                        + (b[FilterCounter.ERRORS.ordinal()] > a[FilterCounter.ERRORS.ordinal()]
                        ? ", errors " + (b[FilterCounter.ERRORS.ordinal()] - a[FilterCounter.ERRORS.ordinal()]) : ""));
        for (String line : losses) {
            out.println("    " + line);
        }
        out.flush();
    }

    static void summary(PrintWriter out, String name, FilterCounters c, FilterProgram program, double seconds) {
        long[][] counts = new long[3][program.rules().size() + 1];
        for (int r = 0; r < counts[0].length; r++) {
            counts[0][r] = program.packets(r);
            counts[1][r] = program.bytes(r);
            counts[2][r] = program.limited(r);
        }
        summary(out, name, c, program, counts, seconds);
    }

    /** The summary with per-rule {@code counts} (packets, bytes, over rate; the default last). */
    static void summary(PrintWriter out, String name, FilterCounters c, FilterProgram program, long[][] counts, double seconds) {
        out.printf(Locale.ROOT, "[+] summary: %s: %d packets (%d bytes) in %.1f s: dropped %d, passed %d, rate-limited %d,"
                        + " tx %d, malformed %d%s%n", name, c.received(), c.receivedBytes(), seconds, c.dropped(), c.passed(),
                c.limited(), c.transmitted(), c.malformed(),
                (c.blocked() > 0 ? ", blocked " + c.blocked() : "")
                        + (c.txRingFull() > 0 ? ", tx ring full " + c.txRingFull() : "") + (c.reloads() > 0 ? ", reloads " + c.reloads() : "")
                        + (c.errors() > 0 ? ", worker errors " + c.errors() : ""));
        out.printf(Locale.ROOT, "    %-24s %12s %14s %12s  %s%n", "rule", "packets", "bytes", "over rate", "action");
        for (int i = 0; i <= program.rules().size(); i++) {
            String action = i < program.rules().size() ? program.rules().rule(i).action().toString()
                    : program.rules().defaultAction().toString();
            out.printf(Locale.ROOT, "    %-24s %12d %14d %12s  %s%n", program.name(i), counts[0][i], counts[1][i],
                    counts[2][i] > 0 || action.startsWith("ratelimit") ? Long.toString(counts[2][i]) : "-", action);
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
            installInDrivers(engine.drivers(), next, out);
            if (next.rules().size() + 1 > ruleCounterRoom) {
                out.printf(Locale.ROOT, "[!] the counters file holds per-rule counters for %d rules; rules past that are"
                        + " counted in the summary but not published to stat or metrics (restart to resize)%n", ruleCounterRoom - 1);
            }
        });
    }
}
