package io.netbypass.linux.xdp;

import io.netbypass.filter.engine.Blocklist;
import io.netbypass.filter.rules.Action;
import io.netbypass.filter.rules.RuleSet;
import io.netbypass.linux.LinuxException;
import io.netbypass.linux.Native;
import io.netbypass.linux.bpf.Bpf;
import io.netbypass.linux.bpf.BpfAssembler;
import io.netbypass.port.DriverRules;
import io.netbypass.scaling.ntuple.RxFlowSpec;
import io.netbypass.util.UserException;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Our XDP program and its XSKMAP on one interface, shared by every port of this process on that
 * interface (one port per queue, one worker each, is the usual way to use several cores): the
 * first port attaches, the last one to close detaches. Only one XDP program can be on an
 * interface, so ports that disagree on the steering rules or the attach mode are refused.
 *
 * <p>In queue mode it can also hold the filter's rules ({@link DriverRules}): the program is
 * swapped for one that decides what it can in the driver ({@link DriverVerdicts}), and swapped
 * again, in one step each, at every reload.
 */
public final class XdpInterface implements DriverRules {
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
    /** The rules in the driver, or null; guarded by this. */
    private DriverProgram verdicts;
    /** Counts of earlier rule sets carried into the current one's rules; and the verdicts of all before it. */
    private long[][] carried;
    private long droppedBefore;
    private long passedBefore;
    private long blockedBefore;
    /** The sources dropped before the rules (a hash made at the first need), or -1; guarded by this. */
    private int blocklist = -1;
    /** Whether the program checks the blocklist (once it does, every program after it does). */
    private boolean blocklistInUse;
    /** Every source the filter blocks (until, CLOCK_MONOTONIC), told or not yet told to the map. */
    private final Map<BlockedSource, Long> blockedSources = new HashMap<>();
    /** The last install's: whether pass verdicts go to the kernel from the driver. */
    private boolean passes = true;

    private record BlockedSource(int version, long high, long low) {
    }
    private long blockFailures;

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

    @Override
    public String where() {
        return "XDP on " + ifName;
    }

    @Override
    public synchronized List<String> install(RuleSet rules, boolean passes) throws LinuxException {
        if (!steering.isEmpty()) {
            throw new UserException("XDP verdicts take queue mode: with --steer the program on " + ifName
                    + " already selects flows (use --xdp-verdicts off)");
        }
        // Checked while a rule may block, or while any source is blocked (by hand, or by rules a reload took away).
        boolean checkBlocklist = blocklistInUse || !blockedSources.isEmpty()
                || rules.rules().stream().anyMatch(r -> r.action().blockNanos() > 0);
        if (checkBlocklist && blocklist < 0) {
            // A plain hash, not an LRU one (which may evict before it is full, in its own order): user space removes
            // what expires, and holds no more than the map does.
            blocklist = Bpf.mapCreate(Bpf.MAP_TYPE_HASH, DriverVerdicts.BLOCK_KEY_SIZE, 8, Blocklist.CAPACITY,
                    Bpf.MAP_F_NO_PREALLOC, "nb_blocklist");
        }
        if (checkBlocklist && !blocklistInUse) {
            for (var e : blockedSources.entrySet()) { // what was blocked before the driver looked: all of it now
                writeBlock(e.getKey(), e.getValue());
            }
        }
        DriverProgram next = DriverProgram.load(rules, map, checkBlocklist ? blocklist : -1, passes);
        try {
            attachment.run(next.programFd());
        } catch (LinuxException | RuntimeException e) {
            next.close();
            throw e;
        }
        blocklistInUse = checkBlocklist;
        this.passes = passes;
        DriverProgram old = verdicts;
        long[][] kept = new long[2][rules.size() + 1];
        if (old != null) {
            long[][] was = read(old); // its last counts, after the swap: nothing it counts is lost
            droppedBefore += verdictTotal(old, was, Action.Kind.DROP);
            passedBefore += verdictTotal(old, was, Action.Kind.PASS);
            blockedBefore += was[0][old.rules().size() + 1];
            int[] from = rules.keptFrom(old.rules());
            for (int r = 0; r < from.length; r++) {
                if (from[r] >= 0) {
                    kept[0][r] = was[0][from[r]] + carried[0][from[r]];
                    kept[1][r] = was[1][from[r]] + carried[1][from[r]];
                }
            }
            old.close();
        }
        carried = kept;
        verdicts = next;
        List<String> plan = new ArrayList<>(next.plan().describe(rules));
        if (next.checksBlocklist()) {
            plan.addFirst("blocked sources (netbypass blocklist) dropped before the rules");
        }
        return plan;
    }

    @Override
    public synchronized RuleSet installed() {
        return verdicts == null ? null : verdicts.rules();
    }

    @Override
    public synchronized long[][] ruleCounts() {
        if (verdicts == null) {
            return new long[2][0];
        }
        long[][] read = countsOf(verdicts);
        long[][] c = new long[2][carried[0].length];
        for (int r = 0; r < c[0].length; r++) {
            c[0][r] = read[0][r] + carried[0][r];
            c[1][r] = read[1][r] + carried[1][r];
        }
        return c;
    }

    @Override
    public synchronized long dropped() {
        return droppedBefore + blockedBefore + (verdicts == null ? 0
                : verdictTotal(verdicts, countsOf(verdicts), Action.Kind.DROP) + blockedIn(verdicts));
    }

    @Override
    public synchronized long blocked() {
        return blockedBefore + (verdicts == null ? 0 : blockedIn(verdicts));
    }

    private long blockedIn(DriverProgram p) {
        return countsOf(p)[0][p.rules().size() + 1];
    }

    @Override
    public synchronized boolean block(int version, long high, long low, long untilMonotonicNanos) {
        BlockedSource source = new BlockedSource(version, high, low);
        blockedSources.put(source, untilMonotonicNanos);
        if (!blocklistInUse) {
            if (verdicts == null) {
                return false; // no rules in the driver yet: the install that puts them there brings these along
            }
            try { // the program must look from now on (install writes every entry)
                install(verdicts.rules(), passes);
                return true;
            } catch (LinuxException | RuntimeException e) {
                blockFailures++;
                return false;
            }
        }
        return writeBlock(source, untilMonotonicNanos);
    }

    private boolean writeBlock(BlockedSource s, long untilMonotonicNanos) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment value = a.allocate(ValueLayout.JAVA_LONG);
            value.set(ValueLayout.JAVA_LONG, 0, untilMonotonicNanos);
            Bpf.mapUpdate(blocklist, blockKey(a, s.version(), s.high(), s.low()), value, "nb_blocklist");
            return true;
        } catch (LinuxException | RuntimeException e) {
            blockFailures++;
            return false;
        }
    }

    @Override
    public synchronized void unblock(int version, long high, long low) {
        blockedSources.remove(new BlockedSource(version, high, low));
        if (blocklist < 0) {
            return;
        }
        try (Arena a = Arena.ofConfined()) {
            Bpf.mapDelete(blocklist, blockKey(a, version, high, low), "nb_blocklist");
        } catch (LinuxException e) {
            blockFailures++; // the entry expires in the program anyway
        }
    }

    /** Blocklist entries the driver's map refused (user space still drops those sources). */
    public synchronized long blockFailures() {
        return blockFailures;
    }

    private static MemorySegment blockKey(Arena a, int version, long high, long low) {
        MemorySegment k = a.allocate(DriverVerdicts.BLOCK_KEY_SIZE, 8);
        k.set(ValueLayout.JAVA_INT, 0, version);
        if (version == 4) {
            k.set(BIG_INT, 4, (int) low);
        } else {
            k.set(BIG_LONG, 4, high);
            k.set(BIG_LONG, 12, low);
        }
        return k;
    }

    private static final ValueLayout.OfInt BIG_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfLong BIG_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    @Override
    public synchronized long passed() {
        return passedBefore + (verdicts == null ? 0 : verdictTotal(verdicts, countsOf(verdicts), Action.Kind.PASS));
    }

    @Override
    public synchronized void uninstall() throws LinuxException {
        if (verdicts == null) {
            return;
        }
        attachment.run(attachment.programFd());
        long[][] was = read(verdicts);
        droppedBefore += verdictTotal(verdicts, was, Action.Kind.DROP);
        passedBefore += verdictTotal(verdicts, was, Action.Kind.PASS);
        blockedBefore += was[0][verdicts.rules().size() + 1];
        verdicts.close();
        verdicts = null;
    }

    /** The last read of the installed program's counters, and when: readers within {@link #COUNTS_FRESH} share it. */
    private long[][] lastCounts;
    private DriverProgram lastCounted;
    private long lastCountedAt;
    private static final long COUNTS_FRESH = 50_000_000L;

    /**
     * A rule set's counts in the driver (packets, bytes per rule; the default, then the blocked
     * sources, last); zeros where unreadable. One map read per rule: the installed program's are
     * read at most once per {@link #COUNTS_FRESH} (the report, the metrics and the summary ask together).
     */
    private long[][] countsOf(DriverProgram p) {
        long now = System.nanoTime();
        if (p == lastCounted && now - lastCountedAt < COUNTS_FRESH) {
            return lastCounts;
        }
        long[][] c = read(p);
        if (p == verdicts) {
            lastCounts = c;
            lastCounted = p;
            lastCountedAt = now;
        }
        return c;
    }

    private static long[][] read(DriverProgram p) {
        int n = p.rules().size() + 2;
        long[][] c = new long[2][n];
        long[] one = new long[2];
        for (int r = 0; r < n; r++) {
            try {
                p.counts(r, one);
                c[0][r] = one[0];
                c[1][r] = one[1];
            } catch (LinuxException e) {
                // a map we made and hold: not expected; the counts stay 0
            }
        }
        return c;
    }

    private static long verdictTotal(DriverProgram p, long[][] counts, Action.Kind kind) {
        long sum = 0;
        RuleSet rules = p.rules();
        for (int r = 0; r <= rules.size(); r++) {
            Action a = r < rules.size() ? rules.rule(r).action() : rules.defaultAction();
            if (a.kind() == kind) {
                sum += counts[0][r];
            }
        }
        return sum;
    }

    /** Drops one user; the last detaches the program and frees the map. */
    public void close() {
        synchronized (ATTACHED) {
            if (--users > 0) {
                return;
            }
            ATTACHED.remove(key);
        }
        synchronized (this) {
            if (verdicts != null) {
                verdicts.close(); // the link goes below: no packet meets a program we closed
                verdicts = null;
            }
            if (blocklist >= 0) {
                Native.close(blocklist);
                blocklist = -1;
            }
        }
        attachment.close();
        Native.close(map);
        if (counters >= 0) {
            Native.close(counters);
        }
    }
}
