package io.netbypass.linux.tune;

import io.netbypass.control.Journal;
import io.netbypass.scaling.steering.CpuMask;
import io.netbypass.util.UserException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The receive-side tuning of an interface as sysfs and procfs writes: RPS (rps_cpus per RX
 * queue), RFS (the global rps_sock_flow_entries, rounded up to a power of two, and rps_flow_cnt =
 * entries / queues per RX queue), XPS (xps_cpus, or xps_rxqs, per TX queue) and the interface's
 * IRQs spread over CPUs (smp_affinity_list). Planned first ({@link #plan}), printed as the exact
 * commands, and applied through a {@link Journal} so that each old value comes back.
 */
public final class Tuning {
    /** One write: {@code echo value > path}. */
    public record Write(Path path, String value) {
        public String command() {
            return "echo " + value + " > " + path;
        }
    }

    /** What to tune; null or empty parts are left alone. */
    public record Options(List<Integer> rpsCpus, int rfsEntries, List<Integer> xpsCpus, boolean xpsRxqs, List<Integer> irqCpus) {
    }

    /** The journal kind for these writes: a file set to a value. */
    public static final String FILE = "file";

    public static Map<String, Journal.Applier> appliers() {
        return Map.of(FILE, (target, value) -> Files.writeString(Path.of(target), value, StandardCharsets.US_ASCII));
    }

    private final Path sys;
    private final Path proc;

    /** Over {@code /sys} and {@code /proc} (other roots for tests). */
    public Tuning(Path sys, Path proc) {
        this.sys = sys;
        this.proc = proc;
    }

    public Tuning() {
        this(Path.of("/sys"), Path.of("/proc"));
    }

    /** The writes {@code options} mean for {@code ifName}; a part that cannot apply here is explained in {@code notes}. */
    public List<Write> plan(String ifName, Options options, List<String> notes) throws IOException {
        Path queues = sys.resolve("class/net").resolve(ifName).resolve("queues");
        if (!Files.isDirectory(queues)) {
            throw new IOException("no such network interface: " + ifName + " (" + queues + ")");
        }
        List<Path> rx = queueDirs(queues, "rx-");
        List<Path> tx = queueDirs(queues, "tx-");
        List<Write> w = new ArrayList<>();
        if (options.rpsCpus() != null && !options.rpsCpus().isEmpty()) {
            String mask = mask(options.rpsCpus());
            for (Path q : rx) {
                w.add(new Write(q.resolve("rps_cpus"), mask));
            }
        }
        if (options.rfsEntries() > 0) {
            int entries = Integer.highestOneBit(options.rfsEntries() - 1) << 1;
            if (options.rfsEntries() == 1) {
                entries = 1;
            }
            Path global = proc.resolve("sys/net/core/rps_sock_flow_entries");
            if (Files.exists(global)) {
                w.add(new Write(global, Integer.toString(entries)));
            } else {
                notes.add("rps_sock_flow_entries is global (the initial network namespace's): set it there to " + entries);
            }
            for (Path q : rx) {
                w.add(new Write(q.resolve("rps_flow_cnt"), Integer.toString(Math.max(1, entries / rx.size()))));
            }
        }
        if (options.xpsCpus() != null && !options.xpsCpus().isEmpty()) {
            List<Integer> cpus = options.xpsCpus();
            for (int i = 0; i < tx.size(); i++) {
                w.add(new Write(tx.get(i).resolve("xps_cpus"), mask(List.of(cpus.get(i % cpus.size())))));
            }
        }
        if (options.xpsRxqs()) {
            for (int i = 0; i < tx.size(); i++) {
                w.add(new Write(tx.get(i).resolve("xps_rxqs"), mask(List.of(i % Math.max(1, rx.size())))));
            }
        }
        if (options.irqCpus() != null && !options.irqCpus().isEmpty()) {
            List<Integer> irqs = irqsOf(ifName);
            if (irqs.isEmpty()) {
                notes.add(ifName + " has no IRQs of its own in /proc/interrupts (a virtual device): none to spread");
            }
            for (int j = 0; j < irqs.size(); j++) {
                w.add(new Write(proc.resolve("irq").resolve(Integer.toString(irqs.get(j))).resolve("smp_affinity_list"),
                        Integer.toString(options.irqCpus().get(j % options.irqCpus().size()))));
            }
        }
        return w;
    }

    /** Applies the writes through {@code journal}: each old value recorded first. */
    public static void apply(List<Write> writes, Journal journal) throws IOException {
        for (Write x : writes) {
            String old = Files.readString(x.path(), StandardCharsets.US_ASCII).strip();
            journal.change(FILE, x.path().toString(), old, x.value());
        }
    }

    /** The IRQ numbers whose /proc/interrupts line names the interface (MSI-X vectors such as eth3-TxRx-4). */
    public List<Integer> irqsOf(String ifName) throws IOException {
        List<Integer> out = new ArrayList<>();
        Path interrupts = proc.resolve("interrupts");
        if (!Files.exists(interrupts)) {
            return out;
        }
        for (String line : Files.readAllLines(interrupts)) {
            String t = line.strip();
            int colon = t.indexOf(':');
            if (colon <= 0 || !t.substring(0, colon).chars().allMatch(Character::isDigit)) {
                continue;
            }
            String[] words = t.split("\\s+");
            String last = words[words.length - 1];
            if (last.equals(ifName) || last.startsWith(ifName + "-")) {
                out.add(Integer.parseInt(t.substring(0, colon)));
            }
        }
        return out;
    }

    private static List<Path> queueDirs(Path queues, String prefix) throws IOException {
        try (var s = Files.list(queues)) {
            return s.filter(p -> p.getFileName().toString().startsWith(prefix))
                    .sorted((a, b) -> Integer.compare(number(a, prefix), number(b, prefix))).toList();
        }
    }

    private static int number(Path p, String prefix) {
        return Integer.parseInt(p.getFileName().toString().substring(prefix.length()));
    }

    /** A CPU (or queue) bitmap as sysfs takes it ({@link CpuMask}'s form: hex, 32-bit groups joined by commas). */
    public static String mask(List<Integer> bits) {
        return CpuMask.of(bits.stream().mapToInt(Integer::intValue).toArray()).toString();
    }

    /** The online CPUs (/sys/devices/system/cpu/online), e.g. [0, 1]. */
    public List<Integer> onlineCpus() throws IOException {
        return cpuList(Files.readString(sys.resolve("devices/system/cpu/online")).strip());
    }

    /** The highest CPU number a list may name (the kernel's NR_CPUS is at most 8192). */
    public static final int MAX_CPU = 8191;

    /** "0-3,6" as [0, 1, 2, 3, 6]; anything else (an empty part, "5-2", "-1", a CPU past {@link #MAX_CPU}) is refused. */
    public static List<Integer> cpuList(String text) {
        List<Integer> out = new ArrayList<>();
        String bad = "'" + text + "' is not a CPU list (such as 0-3,6)";
        if (text.isBlank()) {
            throw new UserException(bad);
        }
        for (String part : text.strip().split(",", -1)) {
            if (!part.strip().matches("\\d{1,4}(-\\d{1,4})?")) {
                throw new UserException(bad);
            }
            String[] r = part.strip().split("-");
            int a = Integer.parseInt(r[0]);
            int b = r.length > 1 ? Integer.parseInt(r[1]) : a;
            if (b < a || b > MAX_CPU) {
                throw new UserException(bad + ": " + part.strip() + (b < a ? " runs backwards" : " is past CPU " + MAX_CPU));
            }
            for (int c = a; c <= b; c++) {
                if (!out.contains(c)) {
                    out.add(c);
                }
            }
        }
        return out;
    }
}
