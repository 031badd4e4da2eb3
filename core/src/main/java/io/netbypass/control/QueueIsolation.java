package io.netbypass.control;

import io.netbypass.scaling.ntuple.NtupleFormatter;
import io.netbypass.scaling.ntuple.RxFlowSpec;
import io.netbypass.scaling.rss.IndirectionTable;
import io.netbypass.util.UserException;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The seed's isolation of one RX queue as a plan of journaled steps, on any {@link NicControl}:
 * the queue taken out of RSS (weight 0), the selected flows steered to it by ntuple rules, LRO
 * and GRO off, and what the operating system adds ({@link Interrupts}: on Linux the interface's
 * other IRQs moved off the worker's CPU and the queue's own onto it). What the device cannot do
 * is said in a note; without ntuple filters the flows are steered in XDP instead (flow mode).
 */
public final class QueueIsolation {
    /** Journal kinds of the steps ({@link Journal#change}); an OS adds its own (files). */
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

    /** The interrupt steps of an operating system for a NIC's queue and the worker's CPU, with notes for what it cannot do. */
    @FunctionalInterface
    public interface Interrupts {
        void plan(String nic, int queue, int cpu, List<Step> steps, List<String> notes) throws IOException;
    }

    private QueueIsolation() {
    }

    /**
     * Plans the isolation of RX queue {@code queue} of {@code nic} for the flows {@code steer}, the
     * worker on {@code cpu}; {@code interrupts} null: no IRQs to move (the software NIC).
     */
    public static Plan plan(NicControl nic, int queue, List<RxFlowSpec> steer, int cpu, Interrupts interrupts) throws IOException {
        return plan(nic, queue, steer, cpu, interrupts, Set.of());
    }

    /**
     * The same for one more queue while {@code bypassed} are isolated already (a queue added to a
     * running filter): they stay out of RSS with it, and of the interrupt steps only the queue's
     * own IRQ moves (the others were placed for the first queue).
     */
    public static Plan plan(NicControl nic, int queue, List<RxFlowSpec> steer, int cpu, Interrupts interrupts,
                            Set<Integer> bypassed) throws IOException {
        List<Step> steps = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        String name = nic.name();
        int queues = nic.rxQueues();
        if (queue < 0 || queue >= queues) {
            throw new UserException(name + " has RX queues 0.." + (queues - 1) + ", no queue " + queue);
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
            int[] weights = weights(queues, bypassed);
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
        if (interrupts != null) {
            List<Step> irqs = new ArrayList<>();
            interrupts.plan(name, queue, cpu, irqs, notes);
            for (Step irq : irqs) {
                if (bypassed.isEmpty() || irq.description().contains("(queue " + queue + ")")) {
                    steps.add(irq);
                }
            }
        }
        return new Plan(steps, notes, steerInXdp);
    }

    /** RSS weights: 1 for every queue, 0 for those bypassed. */
    private static int[] weights(int queues, Set<Integer> bypassed) {
        int[] weights = new int[queues];
        Arrays.fill(weights, 1);
        for (int q : bypassed) {
            if (q >= 0 && q < queues) {
                weights[q] = 0;
            }
        }
        return weights;
    }

    /**
     * Gives queue {@code queue} back to the kernel's share while {@code still} stay bypassed: RSS
     * spreads over it again, and the other steps made for it ({@code made}) are reversed: its IRQ, and
     * for the session's first queue the ntuple rules that steered flows to it and the other IRQs it
     * moved. LRO and GRO stay off until the session ends.
     */
    public static Plan giveBack(NicControl nic, int queue, Set<Integer> still, List<Step> made) throws IOException {
        List<Step> steps = new ArrayList<>();
        IndirectionTable table = nic.rssTable();
        if (table != null && made.stream().anyMatch(s -> s.kind().equals(RSS))) {
            int[] weights = weights(nic.rxQueues(), still);
            int[] next = IndirectionTable.weight(table.size(), weights, 0).toArray();
            steps.add(new Step("RSS: queue " + queue + " back in (ethtool -X " + nic.name() + " weight "
                    + Arrays.stream(weights).mapToObj(Integer::toString).collect(Collectors.joining(" ")) + ")",
                    RSS, nic.name(), join(table.toArray()), join(next)));
        }
        for (Step s : made) {
            if (!s.kind().equals(RSS) && !s.kind().equals(FEATURE)) {
                steps.add(new Step(s.description() + ": put back", s.kind(), s.target(), s.newValue(), s.oldValue()));
            }
        }
        return new Plan(steps, List.of(), false);
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

    /**
     * Makes every step of a plan for one more queue through the running session's {@code journal};
     * the first that fails undoes only this plan's steps before it (as new journaled changes: the
     * session's earlier ones stay) and throws.
     */
    public static void applyMore(Plan plan, Journal journal) throws IOException {
        List<Step> made = new ArrayList<>();
        for (Step s : plan.steps()) {
            try {
                journal.change(s.kind(), s.target(), s.oldValue(), s.newValue());
                made.add(s);
            } catch (IOException | RuntimeException e) {
                List<String> failed = new ArrayList<>();
                for (int i = made.size() - 1; i >= 0; i--) {
                    Step m = made.get(i);
                    try {
                        journal.change(m.kind(), m.target(), m.newValue(), m.oldValue());
                    } catch (IOException | RuntimeException undo) {
                        failed.add(m.description() + ": " + undo.getMessage());
                    }
                }
                throw new IOException(s.description() + ": " + e.getMessage() + "; this queue's steps before it were put back"
                        + (failed.isEmpty() ? "" : " except: " + String.join("; ", failed)));
            }
        }
    }

    private static String join(int[] entries) {
        return Arrays.stream(entries).mapToObj(Integer::toString).collect(Collectors.joining(","));
    }
}
