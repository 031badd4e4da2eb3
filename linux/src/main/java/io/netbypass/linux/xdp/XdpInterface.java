package io.netbypass.linux.xdp;

import io.netbypass.linux.LinuxException;
import io.netbypass.linux.Native;
import io.netbypass.linux.bpf.Bpf;
import io.netbypass.linux.bpf.BpfAssembler;
import io.netbypass.scaling.ntuple.RxFlowSpec;
import io.netbypass.util.UserException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Our XDP program and its XSKMAP on one interface, shared by every port of this process on that
 * interface (one port per queue, one worker each, is the usual way to use several cores): the
 * first port attaches, the last one to close detaches. Only one XDP program can be on an
 * interface, so ports that disagree on the steering rules or the attach mode are refused.
 */
public final class XdpInterface {
    private static final Map<String, XdpInterface> ATTACHED = new HashMap<>();

    private final String key;
    private final String ifName;
    private final int map;
    /** Per-CPU drop counts of the steering rules, by rule index; -1 without rules. */
    private final int counters;
    private final XdpAttachment attachment;
    private final List<RxFlowSpec> steering;
    private final XdpAttachment.Mode askedMode;
    private int users;

    private XdpInterface(String key, String ifName, int map, int counters, XdpAttachment attachment, List<RxFlowSpec> steering,
                         XdpAttachment.Mode askedMode) {
        this.key = key;
        this.ifName = ifName;
        this.map = map;
        this.counters = counters;
        this.attachment = attachment;
        this.steering = steering;
        this.askedMode = askedMode;
    }

    /**
     * The program on {@code ifName} (in the calling thread's network namespace), attached now
     * when this process has none there: queue mode without steering rules, flow mode with them.
     */
    public static XdpInterface acquire(String ifName, int queues, List<RxFlowSpec> steering, XdpAttachment.Mode mode)
            throws LinuxException {
        String key = namespace() + "/" + ifName;
        synchronized (ATTACHED) {
            XdpInterface x = ATTACHED.get(key);
            if (x != null) {
                if (!x.steering.equals(steering)) {
                    throw new UserException(ifName + " already has " + describe(x.steering)
                            + " from another port of this process; ports on one interface share one XDP program");
                }
                if (mode != null && mode != x.attachment.mode()) {
                    throw new UserException(ifName + " already has our XDP program attached in "
                            + x.attachment.mode().name().toLowerCase() + " mode");
                }
                x.users++;
                return x;
            }
            int map = Bpf.mapCreate(Bpf.MAP_TYPE_XSKMAP, 4, 4, Math.max(queues, 1), "nb_xsks");
            int counters = -1;
            try {
                if (!steering.isEmpty()) {
                    counters = Bpf.mapCreate(Bpf.MAP_TYPE_PERCPU_ARRAY, 4, 8, steering.size(), "nb_rule_drops");
                }
                BpfAssembler program = steering.isEmpty() ? XdpPrograms.queueRedirect(map) : FlowSteering.program(steering, map, counters);
                XdpAttachment a = XdpAttachment.attach(ifName, steering.isEmpty() ? "nb_queues" : "nb_flows", program, mode);
                x = new XdpInterface(key, ifName, map, counters, a, List.copyOf(steering), mode);
                x.users = 1;
                ATTACHED.put(key, x);
                return x;
            } catch (LinuxException | RuntimeException e) {
                Native.close(map);
                if (counters >= 0) {
                    Native.close(counters);
                }
                throw e;
            }
        }
    }

    private static String describe(List<RxFlowSpec> rules) {
        return rules.isEmpty() ? "a queue-mode program (no steering rules)" : "flow steering rules " + rules;
    }

    /** The thread's network namespace, so equal names in different namespaces stay apart. */
    private static String namespace() {
        try {
            return Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString();
        } catch (IOException | UnsupportedOperationException e) {
            return "net";
        }
    }

    /** Sends queue {@code queue}'s packets (those the program selects) to the socket {@code fd}. */
    public void bypass(int queue, int fd) throws LinuxException {
        Bpf.mapUpdate(map, queue, fd, ifName + " queue " + queue);
    }

    /** Gives queue {@code queue} back to the kernel: its packets pass again. */
    public void release(int queue) throws LinuxException {
        Bpf.mapDelete(map, queue, ifName + " queue " + queue);
    }

    /** The steering rules the program matches, in order. */
    public List<RxFlowSpec> steering() {
        return steering;
    }

    /**
     * Packets steering rule {@code rule} (an index into {@link #steering()}) dropped in XDP so far,
     * summed over CPUs; 0 for a rule that does not drop, or when the map cannot be read.
     */
    public long droppedBy(int rule) {
        if (counters < 0 || rule < 0 || rule >= steering.size() || !steering.get(rule).isDrop()) {
            return 0;
        }
        try {
            return Bpf.perCpuSum(counters, rule, "drop counts of " + ifName);
        } catch (LinuxException e) {
            return 0;
        }
    }

    public XdpAttachment.Mode mode() {
        return attachment.mode();
    }

    public int programFd() {
        return attachment.programFd();
    }

    /** Drops one user; the last detaches the program and frees the map. */
    public void close() {
        synchronized (ATTACHED) {
            if (--users > 0) {
                return;
            }
            ATTACHED.remove(key);
        }
        attachment.close();
        Native.close(map);
        if (counters >= 0) {
            Native.close(counters);
        }
    }
}
