package io.netbypass.linux.tune;

import io.netbypass.backend.vnic.Vnic;
import io.netbypass.backend.vnic.VnicControl;
import io.netbypass.backend.vnic.Vnics;
import io.netbypass.control.Journal;
import io.netbypass.control.NicControl;
import io.netbypass.linux.ethtool.LinuxNicControl;
import io.netbypass.linux.LinuxException;
import io.netbypass.linux.ethtool.EthtoolNetlink;
import io.netbypass.scaling.ntuple.NtupleFormatter;
import io.netbypass.scaling.ntuple.NtupleParser;
import io.netbypass.scaling.ntuple.RxFlowSpec;
import io.netbypass.scaling.rss.IndirectionTable;

import java.io.IOException;
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

    /**
     * The steps, what could not be planned and why, and whether the flows must be steered in XDP
     * (on every RX queue: without ntuple filters nothing brings them to one queue).
     */
    public record Plan(List<Step> steps, List<String> notes, boolean steerInXdp) {
    }

    private Isolation() {
    }

    /** Journal appliers for every kind of step (file writes too); a target names its NIC as {@link NicControl#name()} does. */
    public static Map<String, Journal.Applier> appliers() {
        return Map.of(
                Tuning.FILE, new Journal.Applier() {
                    @Override
                    public void apply(String target, String value) throws IOException {
                        String why = refuse(target);
                        if (why != null) {
                            throw new IOException(why);
                        }
                        Files.writeString(Path.of(target), value, StandardCharsets.US_ASCII);
                    }

                    @Override
                    public String refuse(String target) {
                        return kernelSetting(target);
                    }
                },
                FEATURE, (target, value) -> {
                    int colon = target.lastIndexOf(':');
                    nic(target.substring(0, colon)).setFeature(target.substring(colon + 1), value.equals("on"));
                },
                RSS, (target, value) -> nic(target).setRssTable(
                        IndirectionTable.of(Arrays.stream(value.split(",")).mapToInt(Integer::parseInt).toArray())),
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
                    NicControl nic = nic(target.substring(0, at));
                    if (value.isEmpty()) {
                        nic.deleteRule(Integer.parseInt(target.substring(at + 1)));
                    } else {
                        nic.insertRule(NtupleParser.parse(value));
                    }
                });
    }

    /**
     * Why {@code target} is not a kernel setting netbypass writes (null when it is): only files
     * under /sys, /proc/irq and /proc/sys/net, named without '..' and not leading elsewhere
     * through a link (sysfs's own links stay inside /sys).
     */
    static String kernelSetting(String target) {
        Path p = Path.of(target);
        if (!p.isAbsolute() || !p.normalize().equals(p) || target.contains("/../") || target.endsWith("/..")) {
            return "not a plain absolute path";
        }
        if (!target.startsWith("/sys/") && !target.startsWith("/proc/irq/") && !target.startsWith("/proc/sys/net/")) {
            return "netbypass writes files under /sys, /proc/irq and /proc/sys/net only";
        }
        try {
            String real = p.toRealPath().toString();
            if (!real.startsWith("/sys/") && !real.startsWith("/proc/")) {
                return "leads to " + real + " through a link";
            }
        } catch (IOException e) {
            // absent (a queue that is gone): the write will say so
        }
        return null;
    }

    /** The NIC a journal target names: {@code vnic:NAME} is this process's software NIC, anything else an interface. */
    public static NicControl nic(String name) throws IOException {
        if (name.startsWith("vnic:")) {
            Vnic v = Vnics.find(name.substring("vnic:".length()));
            if (v == null) {
                throw new IOException("no software NIC " + name + " in this process (it went with the run that made it)");
            }
            return new VnicControl(v);
        }
        return new LinuxNicControl(name);
    }

    /**
     * Plans the isolation of RX queue {@code queue} of {@code nic} for the flows {@code steer}, the
     * worker on {@code cpu}; {@code tuning} null: no IRQs to move (the software NIC).
     */
    public static Plan plan(NicControl nic, int queue, List<RxFlowSpec> steer, int cpu, Tuning tuning) throws IOException {
        List<Step> steps = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        String name = nic.name();
        int queues = nic.rxQueues();
        if (queue < 0 || queue >= queues) {
            throw new IllegalArgumentException(name + " has RX queues 0.." + (queues - 1) + ", no queue " + queue);
        }
        // Steering: ntuple rules to the queue where the NIC has them; else XDP takes the flows on every queue.
        boolean steerInXdp = false;
        List<Step> ntuple = new ArrayList<>();
        if (!steer.isEmpty()) {
            List<RxFlowSpec> existing = nic.ntupleRules();
            if (existing == null) {
                steerInXdp = true;
                notes.add(name + " has no ntuple filters to bring the flows to queue " + queue + ": packets matching the --steer"
                        + " rules are taken in XDP on every RX queue (0-" + (queues - 1) + "), one AF_XDP socket each, by one"
                        + " worker; every other packet on every queue stays with the kernel");
            } else {
                Set<Integer> used = new HashSet<>();
                for (RxFlowSpec r : existing) {
                    used.add(r.location());
                }
                int location = 1023;
                for (RxFlowSpec rule : steer) {
                    while (used.contains(location)) {
                        location--;
                    }
                    used.add(location);
                    RxFlowSpec r = rule.copy();
                    if (!r.isDrop()) {
                        r.setRingCookie(queue); // 'action -1' stays a drop in the NIC
                    }
                    r.setLocation(location);
                    String command = NtupleFormatter.toCommand(r);
                    ntuple.add(new Step("ntuple: " + command + " (ethtool -N " + name + ")", NTUPLE, name + "@" + location, "", command));
                }
            }
        }
        // RSS: every queue weight 1 but this one, so that it carries only what the ntuple rules send it.
        // Flows taken in XDP on every queue need no RSS change: the kernel's traffic stays spread as it was.
        IndirectionTable table = steerInXdp ? null : nic.rssTable();
        if (!steerInXdp && table == null) {
            notes.add(name + " has no RSS indirection table: queue " + queue + " keeps its share of RSS traffic");
        } else if (table != null) {
            int[] weights = new int[queues];
            Arrays.fill(weights, 1);
            weights[queue] = 0;
            int[] next = IndirectionTable.weight(table.size(), weights, 0).toArray();
            steps.add(new Step("RSS: weight 0 for queue " + queue + " (ethtool -X " + name + " weight "
                    + Arrays.stream(weights).mapToObj(Integer::toString).collect(Collectors.joining(" ")) + ")",
                    RSS, name, join(table.toArray()), join(next)));
        }
        steps.addAll(ntuple);
        // LRO and GRO off: the bypass sees frames as they came.
        Map<String, boolean[]> f = nic.features();
        for (String feature : List.of("rx-lro", "rx-gro")) {
            boolean[] x = f.get(feature);
            if (x != null && x[0]) {
                if (x[1]) {
                    steps.add(new Step(feature + " off (ethtool -K " + name + " " + (feature.equals("rx-lro") ? "lro" : "gro") + " off)",
                            FEATURE, name + ":" + feature, "on", "off"));
                } else {
                    notes.add(feature + " is on and fixed on " + name + ": it stays on");
                }
            }
        }
        // IRQs: the queue's own onto the worker's CPU, the others off it.
        if (tuning != null) {
            List<Integer> irqs = tuning.irqsOf(name);
            if (irqs.isEmpty()) {
                notes.add(name + " has no IRQs of its own (a virtual device): nothing to move");
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
