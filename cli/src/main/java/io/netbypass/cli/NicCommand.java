package io.netbypass.cli;

import io.netbypass.control.Journal;
import io.netbypass.control.QueueIsolation;
import io.netbypass.linux.LinuxException;
import io.netbypass.linux.ethtool.Ethtool;
import io.netbypass.linux.ethtool.EthtoolNetlink;
import io.netbypass.linux.ethtool.EthtoolStructs;
import io.netbypass.linux.tune.Tuning;
import io.netbypass.scaling.ntuple.NtupleFormatter;
import io.netbypass.scaling.ntuple.NtupleParser;
import io.netbypass.scaling.ntuple.NtupleRuleException;
import io.netbypass.scaling.ntuple.NtupleSyntaxException;
import io.netbypass.scaling.ntuple.RxFlowSpec;
import io.netbypass.scaling.rss.IndirectionTable;
import io.netbypass.util.UserException;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code netbypass nic}: ethtool's operations on a real interface, through ethtool netlink. */
@Command(name = "nic", mixinStandardHelpOptions = true,
        description = "ethtool's operations on a network interface (in this namespace), through the kernel's ethtool netlink.",
        subcommands = {NicCommand.Show.class, NicCommand.Features.class, NicCommand.Channels.class, NicCommand.Rss.class, NicCommand.Ntuple.class})
final class NicCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 0;
    }

    static String fail(String ifName, String operation, LinuxException e) {
        String m = e.getMessage();
        if (m.contains("ENODEV")) {
            return "nic " + operation + " " + ifName + ": no such network interface: " + ifName;
        }
        if (m.contains("bit name not found")) {
            return "nic " + operation + " " + ifName + ": no such feature (" + m + "; 'nic features " + ifName + "' lists them)";
        }
        if (m.contains("EOPNOTSUPP")) {
            String what = switch (operation) {
                case "rss" -> "has no RSS indirection table";
                case "ntuple" -> "has no ntuple filters";
                default -> "does not support " + operation;
            };
            return "nic " + operation + " " + ifName + ": " + ifName + " " + what + " (" + m + ")"
                    + (operation.equals("ntuple") ? "; steer flows in XDP instead (--steer)" : "");
        }
        return "nic " + operation + " " + ifName + ": " + m;
    }

    @Command(name = "features", mixinStandardHelpOptions = true,
            description = {"Show the interface's features (ethtool -k), or turn some on or off (ethtool -K):",
                    "kernel names (rx-gro, tx-tcp-segmentation) or ethtool's short ones (gro lro gso tso sg rx tx ...)."})
    static final class Features implements Callable<Integer> {
        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "IF")
        String ifName;

        @Parameters(index = "1..*", paramLabel = "NAME on|off", arity = "0..*")
        List<String> changes = List.of();

        @Override
        public Integer call() {
            Checks.interfaceName(ifName);
            PrintWriter out = spec.commandLine().getOut();
            if (changes.size() % 2 != 0) {
                throw new UserException("nic features " + ifName + ": give NAME on|off pairs, not '" + String.join(" ", changes) + "'");
            }
            Map<String, Boolean> wanted = new LinkedHashMap<>();
            for (int i = 0; i < changes.size(); i += 2) {
                String v = changes.get(i + 1);
                if (!v.equals("on") && !v.equals("off")) {
                    throw new UserException("nic features " + ifName + ": '" + changes.get(i) + " " + v + "': on or off");
                }
                if (wanted.put(changes.get(i), v.equals("on")) != null) {
                    throw new UserException("nic features " + ifName + ": '" + changes.get(i) + "' is given twice");
                }
            }
            try (EthtoolNetlink e = EthtoolNetlink.open()) {
                if (wanted.isEmpty()) {
                    out.printf(Locale.ROOT, "Features for %s:%n", ifName);
                    e.features(ifName).forEach((name, f) -> out.printf(Locale.ROOT, "%s: %s%s%n", name, f.active() ? "on" : "off",
                            f.changeable() ? "" : " [fixed]"));
                } else {
                    var now = e.features(ifName);
                    try (var journal = RestoreCommand.journal(ifName)) {
                        for (var w : EthtoolNetlink.expand(wanted, now.keySet()).entrySet()) {
                            var f = now.get(w.getKey());
                            if (f != null && f.changeable() && f.active() != w.getValue()) {
                                journal.change(QueueIsolation.FEATURE, ifName + ":" + w.getKey(),
                                        f.active() ? "on" : "off", w.getValue() ? "on" : "off");
                            }
                        }
                        journal.keep(); // an operator's change stays; 'netbypass restore IF' undoes it
                    } catch (IOException x) {
                        throw new UserException("nic features " + ifName + ": " + x.getMessage());
                    }
                    List<String> refused = e.setFeatures(ifName, wanted);
                    if (!refused.isEmpty()) {
                        out.printf(Locale.ROOT, "Could not change: %s%n", String.join(", ", refused));
                        out.flush();
                        return 1;
                    }
                }
            } catch (LinuxException x) {
                throw new UserException(fail(ifName, "features", x));
            }
            out.flush();
            return 0;
        }
    }

    @Command(name = "channels", mixinStandardHelpOptions = true,
            description = "Show the interface's channels (ethtool -l), or set them: [rx N] [tx N] [other N] [combined N] (ethtool -L).")
    static final class Channels implements Callable<Integer> {
        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "IF")
        String ifName;

        @Parameters(index = "1..*", paramLabel = "rx|tx|other|combined N", arity = "0..*")
        List<String> changes = List.of();

        @Override
        public Integer call() {
            Checks.interfaceName(ifName);
            PrintWriter out = spec.commandLine().getOut();
            long[] set = {-1, -1, -1, -1};
            List<String> kinds = List.of("rx", "tx", "other", "combined");
            if (changes.size() % 2 != 0) {
                throw new UserException("nic channels " + ifName + ": give KIND N pairs (rx, tx, other, combined)");
            }
            for (int i = 0; i < changes.size(); i += 2) {
                int k = kinds.indexOf(changes.get(i));
                if (k < 0 || !changes.get(i + 1).matches("\\d{1,9}")) {
                    throw new UserException("nic channels " + ifName + ": '" + changes.get(i) + " " + changes.get(i + 1)
                            + "': rx, tx, other or combined and a count");
                }
                if (set[k] >= 0) {
                    throw new UserException("nic channels " + ifName + ": '" + changes.get(i) + "' is given twice");
                }
                set[k] = Long.parseLong(changes.get(i + 1));
            }
            try (EthtoolNetlink e = EthtoolNetlink.open()) {
                if (changes.isEmpty()) {
                    EthtoolNetlink.Channels c = e.channels(ifName);
                    out.printf(Locale.ROOT, "Channel parameters for %s:%nPre-set maximums:%n", ifName);
                    print(out, c.rxMax(), c.txMax(), c.otherMax(), c.combinedMax());
                    out.println("Current hardware settings:");
                    print(out, c.rx(), c.tx(), c.other(), c.combined());
                } else {
                    EthtoolNetlink.Channels c = e.channels(ifName);
                    long[] next = {set[0] < 0 ? c.rx() : set[0], set[1] < 0 ? c.tx() : set[1], set[2] < 0 ? c.other() : set[2],
                            set[3] < 0 ? c.combined() : set[3]};
                    try (var journal = RestoreCommand.journal(ifName)) {
                        // Queues this change removes take their sysfs settings with them: remembered
                        // first, so that restore writes them again once it has brought the queues back.
                        rememberQueues(journal, "rx", c.rx() + c.combined(), next[0] + next[3], "rps_cpus", "rps_flow_cnt");
                        rememberQueues(journal, "tx", c.tx() + c.combined(), next[1] + next[3], "xps_cpus", "xps_rxqs");
                        journal.change(QueueIsolation.CHANNELS, ifName,
                                c.rx() + "," + c.tx() + "," + c.other() + "," + c.combined(),
                                next[0] + "," + next[1] + "," + next[2] + "," + next[3]);
                        journal.keep();
                    } catch (IOException x) {
                        throw new UserException("nic channels " + ifName + ": " + x.getMessage().replace("java.io.IOException: ", ""));
                    }
                }
            } catch (LinuxException x) {
                throw new UserException(fail(ifName, "channels", x));
            }
            out.flush();
            return 0;
        }

        /** Journals the settings of queues {@code [next, now)} of a kind, as they are, before a change removes them. */
        private void rememberQueues(Journal journal, String kind, long now, long next, String... files)
                throws IOException {
            for (long q = next; q < now; q++) {
                for (String f : files) {
                    Path p = Path.of("/sys/class/net", ifName, "queues", kind + "-" + q, f);
                    try {
                        journal.remember(Tuning.FILE, p.toString(),
                                Files.readString(p, StandardCharsets.US_ASCII).strip());
                    } catch (NoSuchFileException | AccessDeniedException e) {
                        // not on this device (xps_rxqs on older kernels): nothing to keep
                    }
                }
            }
        }

        private static void print(PrintWriter out, long rx, long tx, long other, long combined) {
            out.printf(Locale.ROOT, "RX:\t\t%s%nTX:\t\t%s%nOther:\t\t%s%nCombined:\t%s%n", n(rx), n(tx), n(other), n(combined));
        }

        private static String n(long v) {
            return v == 0 ? "n/a" : Long.toString(v);
        }
    }

    @Command(name = "rss", mixinStandardHelpOptions = true,
            description = {"Set the RSS indirection table (ethtool -X): equal N | weight W0 W1 ... | default.",
                    "The table's size is the device's (ETHTOOL_GRXFH)."})
    static final class Rss implements Callable<Integer> {
        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "IF")
        String ifName;

        @Parameters(index = "1..*", paramLabel = "equal N | weight W... | default", arity = "1..*")
        List<String> how = List.of();

        @Override
        public Integer call() {
            Checks.interfaceName(ifName);
            try {
                int[] sizes = Ethtool.rssSizes(ifName);
                int size = sizes[0];
                if (size == 0) {
                    throw new UserException("nic rss " + ifName + ": " + ifName + " has no RSS indirection table");
                }
                if (how.get(0).equals("hkey")) {
                    byte[] key = HexFormat.ofDelimiter(":").parseHex(how.get(1));
                    if (key.length != sizes[1]) {
                        throw new UserException("nic rss " + ifName + ": the key is " + sizes[1] + " bytes on " + ifName
                                + ", not " + key.length);
                    }
                    Ethtool.send(ifName, EthtoolStructs.setRssKey(0, key),
                            "ETHTOOL_SRSSH key");
                    return 0;
                }
                IndirectionTable table = switch (how.get(0)) {
                    case "equal" -> IndirectionTable.equal(size, Integer.parseInt(how.get(1)), 0);
                    case "weight" -> IndirectionTable.weight(size,
                            how.subList(1, how.size()).stream().mapToInt(Integer::parseInt).toArray(), 0);
                    case "default" -> IndirectionTable.defaultFill(size,
                            (int) Math.max(1, Ethtool.rxQueues(ifName)));
                    default -> throw new UserException("nic rss " + ifName + ": equal N, weight W..., hkey K or default");
                };
                int[] before = Ethtool.rssTable(ifName);
                try (var journal = RestoreCommand.journal(ifName)) {
                    journal.change(QueueIsolation.RSS, ifName, join(before), join(table.toArray()));
                    journal.keep(); // 'netbypass restore IF' puts the old table back
                } catch (IOException x) {
                    throw new UserException("nic rss " + ifName + ": " + x.getMessage());
                }
            } catch (LinuxException x) {
                throw new UserException(fail(ifName, "rss", x));
            } catch (NumberFormatException | IndexOutOfBoundsException x) {
                throw new UserException("nic rss " + ifName + ": equal N, weight W..., hkey K (aa:bb:...) or default");
            } catch (IllegalArgumentException x) {
                // HexFormat: not hexadecimal, or not aa:bb:... (NumberFormatException, caught above, is one too)
                throw new UserException("nic rss " + ifName + ": hkey takes hexadecimal bytes as aa:bb:..., not '" + how.get(1) + "'");
            }
            return 0;
        }
    }

    static String join(int[] entries) {
        return Arrays.stream(entries).mapToObj(Integer::toString).collect(Collectors.joining(","));
    }

    @Command(name = "ntuple", mixinStandardHelpOptions = true,
            description = "List the ntuple rules (ethtool -n), add one (ethtool -N/-U syntax) or delete one by location: list | add RULE | delete LOC.")
    static final class Ntuple implements Callable<Integer> {
        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "IF")
        String ifName;

        @Parameters(index = "1..*", paramLabel = "list | add RULE... | delete LOC", arity = "1..*")
        List<String> how = List.of();

        @Override
        public Integer call() {
            Checks.interfaceName(ifName);
            PrintWriter out = spec.commandLine().getOut();
            try {
                switch (how.get(0)) {
                    case "list" -> {
                        var rules = Ethtool.ntupleRules(ifName);
                        out.print(NtupleFormatter.header(Ethtool.rxQueues(ifName),
                                rules.size()));
                        for (byte[] r : rules) {
                            out.print(NtupleFormatter.block(RxFlowSpec.fromBytes(r, 0)));
                        }
                    }
                    case "add" -> {
                        String rule = String.join(" ", how.subList(1, how.size()));
                        var spec = NtupleParser.parse(rule.startsWith("flow-type") ? rule : "flow-type " + rule);
                        Set<Integer> used = new HashSet<>();
                        for (byte[] r : Ethtool.ntupleRules(ifName)) {
                            used.add(RxFlowSpec.fromBytes(r, 0).location());
                        }
                        if (!spec.hasLocation()) { // as ethtool: the highest free location, so newer rules win
                            int loc = 1023;
                            while (used.contains(loc)) {
                                loc--;
                            }
                            spec.setLocation(loc);
                        }
                        String command = NtupleFormatter.toCommand(spec);
                        try (var journal = RestoreCommand.journal(ifName)) {
                            journal.change(QueueIsolation.NTUPLE, ifName + "@" + spec.location(), "", command);
                            journal.keep();
                        } catch (IOException x) {
                            throw new UserException("nic ntuple " + ifName + ": " + x.getMessage());
                        }
                        out.printf(Locale.ROOT, "Added rule with ID %d%n", spec.location());
                    }
                    case "delete" -> {
                        if (how.size() != 2) {
                            throw new UserException("nic ntuple " + ifName + " delete LOCATION (one rule location, as 'list' shows)");
                        }
                        int loc = Integer.parseInt(how.get(1));
                        String old = null;
                        for (byte[] r : Ethtool.ntupleRules(ifName)) {
                            var spec = RxFlowSpec.fromBytes(r, 0);
                            if (spec.location() == loc) {
                                old = NtupleFormatter.toCommand(spec);
                            }
                        }
                        if (old == null) {
                            throw new UserException("nic ntuple " + ifName + ": no rule at location " + loc);
                        }
                        try (var journal = RestoreCommand.journal(ifName)) {
                            journal.change(QueueIsolation.NTUPLE, ifName + "@" + loc, old, "");
                            journal.keep();
                        } catch (IOException x) {
                            throw new UserException("nic ntuple " + ifName + ": " + x.getMessage());
                        }
                    }
                    default -> throw new UserException("nic ntuple " + ifName + ": list, add RULE or delete LOC");
                }
            } catch (LinuxException x) {
                throw new UserException(fail(ifName, "ntuple", x));
            } catch (NtupleSyntaxException | NtupleRuleException x) {
                throw new UserException("nic ntuple " + ifName + ": " + x.getMessage());
            } catch (NumberFormatException x) {
                throw new UserException("nic ntuple " + ifName + ": delete takes a location number");
            }
            out.flush();
            return 0;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = {"Everything about an interface's receive path in one place: driver, channels, changeable features",
                    "that matter here, the RSS table, ntuple rules, and per queue its IRQ and CPUs, RPS and XPS masks."})
    static final class Show implements Callable<Integer> {
        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "IF")
        String ifName;

        @Override
        public Integer call() throws Exception {
            Checks.interfaceName(ifName);
            PrintWriter out = spec.commandLine().getOut();
            String driver;
            try {
                driver = Ethtool.driver(ifName);
            } catch (LinuxException x) {
                throw new UserException(fail(ifName, "show", x));
            }
            out.printf(Locale.ROOT, "%s: driver %s%n", ifName, driver);
            try (EthtoolNetlink e = EthtoolNetlink.open()) {
                EthtoolNetlink.Channels c = e.channels(ifName);
                out.printf(Locale.ROOT, "channels: rx %d tx %d other %d combined %d (max rx %d tx %d other %d combined %d)%n",
                        c.rx(), c.tx(), c.other(), c.combined(), c.rxMax(), c.txMax(), c.otherMax(), c.combinedMax());
                var f = e.features(ifName);
                StringBuilder b = new StringBuilder();
                for (String name : List.of("rx-gro", "rx-lro", "rx-gro-hw", "rx-ntuple-filter", "rx-hashing", "rx-checksum",
                        "tx-tcp-segmentation", "tx-generic-segmentation", "rx-udp-gro-forwarding")) {
                    var x = f.get(name);
                    if (x != null) {
                        b.append(b.isEmpty() ? "" : ", ").append(name).append(' ').append(x.active() ? "on" : "off")
                                .append(x.changeable() ? "" : " [fixed]");
                    }
                }
                out.println("features: " + b);
            } catch (LinuxException x) {
                out.println("channels/features: " + x.getMessage());
            }
            try {
                int[] table = Ethtool.rssTable(ifName);
                out.printf(Locale.ROOT, "RSS indirection table: %d entries%n%s", table.length,
                        IndirectionTable.of(table).formatRows());
            } catch (LinuxException x) {
                out.println("RSS indirection table: none (" + x.getMessage() + ")");
            }
            try {
                var rules = Ethtool.ntupleRules(ifName);
                out.printf(Locale.ROOT, "ntuple rules: %d%n", rules.size());
                for (byte[] r : rules) {
                    out.print(NtupleFormatter.block(RxFlowSpec.fromBytes(r, 0)));
                }
            } catch (LinuxException x) {
                out.println("ntuple rules: none (" + x.getMessage() + ")");
            }
            Path queues = Path.of("/sys/class/net", ifName, "queues");
            List<Integer> irqs = new Tuning().irqsOf(ifName);
            out.println("IRQs: " + (irqs.isEmpty() ? "none of its own" : irqs.toString()));
            for (int irq : irqs) {
                Path aff = Path.of("/proc/irq", Integer.toString(irq), "smp_affinity_list");
                out.printf(Locale.ROOT, "  IRQ %d on CPUs %s%n", irq, Files.exists(aff)
                        ? Files.readString(aff).strip() : "?");
            }
            if (Files.isDirectory(queues)) {
                try (var s = Files.list(queues)) {
                    for (Path q : s.sorted().toList()) {
                        String n = q.getFileName().toString();
                        boolean rx = n.startsWith("rx-");
                        out.printf(Locale.ROOT, "  %s: %s%n", n, rx
                                ? "rps_cpus " + read(q.resolve("rps_cpus")) + ", rps_flow_cnt " + read(q.resolve("rps_flow_cnt"))
                                : "xps_cpus " + read(q.resolve("xps_cpus")) + ", xps_rxqs " + read(q.resolve("xps_rxqs")));
                    }
                }
            }
            out.flush();
            return 0;
        }

        private static String read(Path p) {
            try {
                return Files.readString(p).strip();
            } catch (IOException e) {
                return "-";
            }
        }
    }
}
