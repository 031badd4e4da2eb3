package io.netbypass.linux.tune;

import io.netbypass.control.Journal;
import io.netbypass.linux.Errno;
import io.netbypass.linux.LinuxException;
import io.netbypass.linux.ethtool.Ethtool;
import io.netbypass.linux.ethtool.EthtoolNetlink;
import io.netbypass.linux.ethtool.EthtoolStructs;
import io.netbypass.scaling.ntuple.NtupleFormatter;
import io.netbypass.scaling.ntuple.NtupleParser;
import io.netbypass.scaling.ntuple.RxFlowSpec;
import io.netbypass.scaling.rss.IndirectionTable;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The seed's isolation of one RX queue as a plan of journaled steps: the queue taken out of RSS
 * (weight 0), the selected flows steered to it by ntuple rules, LRO and GRO off, the interface's
 * other IRQs moved off the worker's CPU and the queue's own onto it. What the device cannot do is
 * said in a note; without ntuple filters the flows are steered in XDP instead (flow mode).
 */
public final class Isolation {
    public static final String FEATURE = "feature";
    public static final String RSS = "rss";
    public static final String NTUPLE = "ntuple";
    public static final String CHANNELS = "channels";

    /** One change, as the journal records it, with a line for the operator. */
    public record Step(String description, String kind, String target, String oldValue, String newValue) {
    }

    /** The steps, what could not be planned and why, and whether the flows must be steered in XDP. */
    public record Plan(List<Step> steps, List<String> notes, boolean steerInXdp) {
    }

    private Isolation() {
    }

    /** Journal appliers for every kind of step (file writes too). */
    public static Map<String, Journal.Applier> appliers() {
        return Map.of(
                Tuning.FILE, (target, value) -> Files.writeString(Path.of(target), value, StandardCharsets.US_ASCII),
                FEATURE, (target, value) -> {
                    int colon = target.indexOf(':');
                    try (EthtoolNetlink e = EthtoolNetlink.open()) {
                        List<String> refused = e.setFeatures(target.substring(0, colon), Map.of(target.substring(colon + 1), value.equals("on")));
                        if (!refused.isEmpty()) {
                            throw new IOException("not changed: " + refused);
                        }
                    } catch (LinuxException x) {
                        throw new IOException(x.getMessage());
                    }
                },
                RSS, (target, value) -> {
                    int[] entries = Arrays.stream(value.split(",")).mapToInt(Integer::parseInt).toArray();
                    send(target, EthtoolStructs.setRss(0, IndirectionTable.of(entries), null), "ETHTOOL_SRSSH");
                },
                CHANNELS, (target, value) -> {
                    long[] v = Arrays.stream(value.split(",")).mapToLong(Long::parseLong).toArray();
                    try (EthtoolNetlink e = EthtoolNetlink.open()) {
                        e.setChannels(target, v[0], v[1], v[2], v[3]);
                    } catch (LinuxException x) {
                        throw new IOException(x.getMessage());
                    }
                },
                NTUPLE, (target, value) -> {
                    int at = target.lastIndexOf('@');
                    String ifName = target.substring(0, at);
                    int location = Integer.parseInt(target.substring(at + 1));
                    if (value.isEmpty()) {
                        send(ifName, EthtoolStructs.deleteRule(location), "ETHTOOL_SRXCLSRLDEL");
                    } else {
                        send(ifName, EthtoolStructs.insertRule(NtupleParser.parse(value)), "ETHTOOL_SRXCLSRLINS");
                    }
                });
    }

    private static void send(String ifName, byte[] structure, String what) throws IOException {
        try {
            Ethtool.send(ifName, structure, what);
        } catch (LinuxException e) {
            throw new IOException(e.getMessage());
        }
    }

    /** Plans the isolation of RX queue {@code queue} of {@code ifName} for the flows {@code steer}, the worker on {@code cpu}. */
    public static Plan plan(String ifName, int queue, List<RxFlowSpec> steer, int cpu, Tuning tuning) throws LinuxException, IOException {
        List<Step> steps = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        int queues = Ethtool.rxQueues(ifName);
        if (queue < 0 || queue >= queues) {
            throw new IllegalArgumentException(ifName + " has RX queues 0.." + (queues - 1) + ", no queue " + queue);
        }
        // RSS: every queue weight 1 but this one.
        try {
            int[] table = Ethtool.rssTable(ifName);
            if (table.length == 0) {
                notes.add(ifName + " has no RSS indirection table: queue " + queue + " keeps its share of RSS traffic");
            } else {
                int[] weights = new int[queues];
                Arrays.fill(weights, 1);
                weights[queue] = 0;
                int[] next = IndirectionTable.weight(table.length, weights, 0).toArray();
                steps.add(new Step("RSS: weight 0 for queue " + queue + " (ethtool -X " + ifName + " weight "
                        + Arrays.stream(weights).mapToObj(Integer::toString).collect(Collectors.joining(" ")) + ")",
                        RSS, ifName, join(table), join(next)));
            }
        } catch (LinuxException e) {
            if (e.errno() != Errno.EOPNOTSUPP) {
                throw e;
            }
            notes.add(ifName + " has no RSS indirection table: queue " + queue + " keeps its share of RSS traffic");
        }
        // Steering: ntuple rules to the queue, or XDP.
        boolean steerInXdp = false;
        if (!steer.isEmpty()) {
            List<byte[]> existing = null;
            try {
                existing = Ethtool.ntupleRules(ifName);
            } catch (LinuxException e) {
                if (e.errno() != Errno.EOPNOTSUPP && e.errno() != Errno.EINVAL) {
                    throw e;
                }
            }
            if (existing == null) {
                steerInXdp = true;
                notes.add(ifName + " has no ntuple filters: the flows are steered in XDP (flow mode) on queue " + queue);
            } else {
                Set<Integer> used = new HashSet<>();
                for (byte[] r : existing) {
                    used.add(ByteBuffer.wrap(r).order(ByteOrder.nativeOrder()).getInt(160));
                }
                int location = 1023;
                for (RxFlowSpec rule : steer) {
                    while (used.contains(location)) {
                        location--;
                    }
                    used.add(location);
                    RxFlowSpec r = rule.copy();
                    r.setRingCookie(queue);
                    r.setLocation(location);
                    String command = NtupleFormatter.toCommand(r);
                    steps.add(new Step("ntuple: " + command + " (ethtool -N " + ifName + ")", NTUPLE, ifName + "@" + location, "", command));
                }
            }
        }
        // LRO and GRO off: the bypass sees frames as they came.
        try (EthtoolNetlink e = EthtoolNetlink.open()) {
            Map<String, EthtoolNetlink.Feature> f = e.features(ifName);
            for (String name : List.of("rx-lro", "rx-gro")) {
                EthtoolNetlink.Feature x = f.get(name);
                if (x != null && x.active()) {
                    if (x.changeable()) {
                        steps.add(new Step(name + " off (ethtool -K " + ifName + " " + (name.equals("rx-lro") ? "lro" : "gro") + " off)",
                                FEATURE, ifName + ":" + name, "on", "off"));
                    } else {
                        notes.add(name + " is on and fixed on " + ifName + ": it stays on");
                    }
                }
            }
        }
        // IRQs: the queue's own onto the worker's CPU, the others off it.
        List<Integer> irqs = tuning.irqsOf(ifName);
        if (irqs.isEmpty()) {
            notes.add(ifName + " has no IRQs of its own (a virtual device): nothing to move");
        } else {
            List<Integer> others = new ArrayList<>(tuning.onlineCpus());
            others.remove(Integer.valueOf(cpu));
            for (int irq : irqs) {
                boolean mine = irqName(irq).endsWith("-" + queue);
                String list = mine || others.isEmpty() ? Integer.toString(cpu)
                        : others.stream().map(String::valueOf).collect(Collectors.joining(","));
                Path p = Path.of("/proc/irq", Integer.toString(irq), "smp_affinity_list");
                if (Files.exists(p)) {
                    steps.add(new Step("IRQ " + irq + (mine ? " (queue " + queue + ")" : "") + " on CPUs " + list,
                            Tuning.FILE, p.toString(), Files.readString(p).strip(), list));
                }
            }
        }
        return new Plan(steps, notes, steerInXdp);
    }

    private static String irqName(int irq) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/interrupts"))) {
                String t = line.strip();
                if (t.startsWith(irq + ":")) {
                    String[] w = t.split("\\s+");
                    return w[w.length - 1];
                }
            }
        } catch (IOException ignored) {
            // no name: not the queue's
        }
        return "";
    }

    /** Makes every step through {@code journal}; the first that fails undoes those before it and throws. */
    public static void apply(Plan plan, Journal journal) throws IOException {
        for (Step s : plan.steps()) {
            try {
                journal.change(s.kind(), s.target(), s.oldValue(), s.newValue());
            } catch (IOException | RuntimeException e) {
                List<String> failed = journal.rollback();
                throw new IOException(s.description() + ": " + e.getMessage() + "; everything before it was put back"
                        + (failed.isEmpty() ? "" : " except: " + String.join("; ", failed)));
            }
        }
    }

    private static String join(int[] entries) {
        return Arrays.stream(entries).mapToObj(Integer::toString).collect(Collectors.joining(","));
    }
}
