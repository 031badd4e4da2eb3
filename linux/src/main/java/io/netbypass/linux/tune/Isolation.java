package io.netbypass.linux.tune;

import io.netbypass.backend.vnic.Vnic;
import io.netbypass.backend.vnic.VnicControl;
import io.netbypass.backend.vnic.Vnics;
import io.netbypass.control.Journal;
import io.netbypass.control.NicControl;
import io.netbypass.control.QueueIsolation;
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
 * Linux's part of the seed's queue isolation ({@link QueueIsolation} plans it on any NIC): the
 * interface's IRQs as plan steps ({@link #interrupts}), the NIC a journal target names
 * ({@link #nic}), and the journal's appliers for every kind of step, file writes included, with
 * what each may touch.
 */
public final class Isolation {
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
                QueueIsolation.FEATURE, (target, value) -> {
                    int colon = target.lastIndexOf(':');
                    nic(target.substring(0, colon)).setFeature(target.substring(colon + 1), value.equals("on"));
                },
                QueueIsolation.RSS, (target, value) -> nic(target).setRssTable(
                        IndirectionTable.of(Arrays.stream(value.split(",")).mapToInt(Integer::parseInt).toArray())),
                QueueIsolation.CHANNELS, (target, value) -> {
                    long[] v = Arrays.stream(value.split(",")).mapToLong(Long::parseLong).toArray();
                    try (EthtoolNetlink e = EthtoolNetlink.open()) {
                        e.setChannels(target, v[0], v[1], v[2], v[3]);
                    } catch (LinuxException x) {
                        throw new IOException(x.getMessage());
                    }
                },
                QueueIsolation.NTUPLE, (target, value) -> {
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

    /** Linux's part of a {@link QueueIsolation} plan: IRQ affinities, journaled as file writes. */
    public static QueueIsolation.Interrupts interrupts(Tuning tuning) {
        return (name, queue, cpu, steps, notes) -> {
            // IRQs: the queue's own onto the worker's CPU, the others off it.
            {
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
                            steps.add(new QueueIsolation.Step("IRQ " + irq + (mine ? " (queue " + queue + ")" : "") + " on CPUs " + list,
                                    Tuning.FILE, p.toString(), Files.readString(p).strip(), list));
                        }
                    }
                }
            }
        };
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

}
