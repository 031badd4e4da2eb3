package io.netbypass.linux.xdp;

import io.netbypass.filter.rules.Action;
import io.netbypass.filter.rules.Match;
import io.netbypass.filter.rules.NumberSet;
import io.netbypass.filter.rules.Prefix;
import io.netbypass.filter.rules.PrefixList;
import io.netbypass.filter.rules.Rule;
import io.netbypass.filter.rules.RuleSet;
import io.netbypass.linux.bpf.Bpf;
import io.netbypass.linux.bpf.BpfAssembler;
import io.netbypass.linux.bpf.BpfAssembler.Label;
import io.netbypass.packet.DnsQuery;
import io.netbypass.packet.EtherTypes;
import io.netbypass.packet.IcmpDescriptor;
import io.netbypass.packet.IpProtocols;
import io.netbypass.packet.ParseStatus;
import io.netbypass.packet.SctpDescriptor;
import io.netbypass.packet.TcpDescriptor;
import io.netbypass.packet.UdpDescriptor;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.function.Function;

import static io.netbypass.linux.bpf.BpfAssembler.*;

/**
 * The filter's rules compiled into XDP: the driver decides what it can, exactly as the user-space
 * classifier would, and sends everything else on to the queue's AF_XDP socket.
 *
 * <p>The program parses a packet only where our parser ({@code PacketParser}) would find it well
 * formed and could say no more: Ethernet II, at most two VLAN tags, IPv4 (options included, the
 * whole datagram in the frame), IPv6 without extension headers, and a whole TCP, UDP, UDP-Lite,
 * SCTP or ICMP header where there is one. Anything else (a frame cut short, a lying length, ARP,
 * 802.3, a third tag, an IPv6 extension chain) goes to user space undecided, so the malformed
 * packet tests and the fail-closed rules stay where the parser that defines them runs.
 *
 * <p>Then the rules, in order. A rule whose every test the program can evaluate decides: {@code
 * drop} is XDP_DROP, {@code pass} is XDP_PASS (the kernel, no host-path round trip). A rule with
 * a test XDP cannot evaluate ({@code dns}) or an action only user space takes ({@code tx}, {@code
 * ratelimit}) is still tested here for what XDP can read (for {@code dns}: UDP to port 53 and a
 * query's header): a packet failing that goes on to the next rule, one passing it goes to user
 * space, which judges it from the first rule again. So a flood of junk to port 53 is dropped
 * here while the queries among it go up to be judged by name. So a
 * packet is never decided here when its first matching rule could not be. Past {@code ruleLimit}
 * rules (the verifier bounds a program) every packet left goes to user space.
 *
 * <p>Each decision adds one packet and the frame's bytes to the rule's slot (the default's is
 * {@code rules.size()}) in a per-CPU array of {@link #COUNTER_SIZE}-byte values.
 */
public final class DriverVerdicts {
    /** Where a rule is judged. */
    public enum Placement {
        /** Tested and decided in the driver. */
        DRIVER,
        /** Tested in the driver; what it matches is judged in user space ({@link RulePlan#why()} says why). */
        DRIVER_THEN_USER,
        /** Only in user space: the driver hands over every packet that gets this far. */
        USER
    }

    /** One rule's placement, and why it is not decided in the driver. */
    public record RulePlan(Placement placement, String why) {
    }

    /** Every rule's placement and the default's (the last entry). */
    public record Plan(List<RulePlan> rules) {
        public RulePlan rule(int i) {
            return rules.get(i);
        }

        /**
         * The plan for the operator, one line per run of rules placed alike: "rules 1-3 decided
         * in the driver", "rule 4 (dns-ours) tested in the driver, judged in user space: dns".
         */
        public List<String> describe(RuleSet set) {
            List<String> out = new ArrayList<>();
            int from = 0;
            for (int i = 1; i <= rules.size(); i++) {
                if (i < rules.size() && rules.get(i).equals(rules.get(from))) {
                    continue;
                }
                RulePlan p = rules.get(from);
                int last = i - 1;
                boolean withDefault = last == set.size();
                int lastRule = withDefault ? last - 1 : last;
                String which;
                if (from > lastRule) {
                    which = "the default (" + set.defaultAction() + ")";
                } else {
                    which = from == lastRule ? "rule " + (from + 1) + " (" + set.rule(from).name() + ")"
                            : "rules " + (from + 1) + "-" + (lastRule + 1);
                    which += withDefault ? " and the default (" + set.defaultAction() + ")" : "";
                }
                out.add(which + switch (p.placement()) {
                    case DRIVER -> " decided in the driver";
                    case DRIVER_THEN_USER -> " tested in the driver, judged in user space: " + p.why();
                    case USER -> " in user space: " + p.why();
                });
                from = i;
            }
            return out;
        }

        /** How many rules (the default not counted) are decided in the driver. */
        public int decidedInDriver() {
            int n = 0;
            for (int i = 0; i < rules.size() - 1; i++) {
                n += rules.get(i).placement() == Placement.DRIVER ? 1 : 0;
            }
            return n;
        }
    }

    /** A compiled program and its plan. */
    public record Compiled(BpfAssembler program, Plan plan) {
    }

    /** Test runs: a packet handed to user space returns this. */
    public static final int TEST_USER = 64;
    /** Test runs: a packet decided by rule {@code r} returns {@code TEST_RULE + r} ({@code r = rules.size()}: the default). */
    public static final int TEST_RULE = 128;
    /** A blocklist key: the IP version (u32), then the source address (IPv4 in the first 4 of 16 bytes), network order. */
    public static final int BLOCK_KEY_SIZE = 20;
    /** Per-CPU counter value: packets, then bytes (two u64). */
    public static final int COUNTER_SIZE = 16;
    /** The most VLAN tags the program walks; a frame with more goes to user space. */
    public static final int VLAN_TAGS = 2;

    private static final int R_CTX = R6;
    private static final int R_LEN = R9;

    // Stack slots (u64 each) for the parsed fields; all zero until the parse sets them.
    private static final int ETHERTYPE = 0, VLANS = 1, VLAN_TCI = 2, MAC_DST = 3, MAC_SRC = 4, IPV = 5, PROTO = 6, TTL = 7,
            SRC_HI = 8, SRC_LO = 9, DST_HI = 10, DST_LO = 11, FRAG = 12, FRAG_OFFSET = 13, L3_END = 14, IP_HEADER = 15,
            HAS_PORTS = 16, SPORT = 17, DPORT = 18, TCP_FLAGS = 19, HAS_PAYLOAD = 20, PAYLOAD = 21, PAYLOAD_END = 22,
            ICMP_TYPE = 23, ICMP_CODE = 24, BLOCK_UNTIL = 25;
    private static final int SLOTS = 26;
    /** A map key on the stack: the LPM key (4-byte length, 16 address bytes), or a u32 index. */
    private static final int KEY = -8 * (SLOTS + 3);

    private final BpfAssembler a = new BpfAssembler();
    private final Label user = a.label("user");
    private final Label countThenDrop = a.label("countdrop");
    private final Label countThenPass = a.label("countpass");
    /** Whether a rule counts then drops, counts then passes. */
    private final boolean[] counts = new boolean[2];
    private final Label rules = a.label("rules");
    private final int xskMapFd;
    private final int countersFd;
    private final int blocklistFd;
    /** Whether a pass verdict may go to the kernel from the driver (not where user space drops what passes). */
    private final boolean passes;
    private static final String NO_KERNEL = "pass (no host path: user space drops and counts what passes)";
    private final boolean test;
    private final Function<PrefixList, ListLookup> lists;
    private int labels;

    /** The fields this program reads; and those it must parse (null: all of them). */
    private final BitSet loaded = new BitSet();
    private final BitSet wanted;

    private DriverVerdicts(int xskMapFd, int countersFd, int blocklistFd, boolean passes, Function<PrefixList, ListLookup> lists,
                           BitSet wanted) {
        this.passes = passes;
        this.wanted = wanted;
        this.xskMapFd = xskMapFd;
        this.countersFd = countersFd;
        this.blocklistFd = blocklistFd;
        this.test = xskMapFd < 0;
        this.lists = lists;
    }

    private static int slot(int i) {
        return -8 * (i + 1);
    }

    /**
     * The program for {@code rules}, the first {@code ruleLimit} of them in the driver. {@code
     * xskMapFd}: the XSKMAP by RX queue; the program acts only on packets of queues with a socket
     * there (the others pass untouched) and hands undecided packets to that socket. {@code
     * xskMapFd < 0} builds the test form: no queue check, no counters, and the return value says
     * what happened ({@link #TEST_USER}, {@link #TEST_RULE}). {@code countersFd}: the per-CPU
     * counters ({@code < 0}: none). {@code lists} gives a prefix list's maps in the kernel
     * ({@link ListLookup}: tries or hash maps).
     */
    public static Compiled compile(RuleSet rules, int ruleLimit, int xskMapFd, int countersFd,
                                   Function<PrefixList, ListLookup> lists) {
        return compile(rules, ruleLimit, xskMapFd, countersFd, -1, true, lists);
    }

    /**
     * As above, and with {@code blocklistFd >= 0} (a hash: {@link #BLOCK_KEY_SIZE}-byte keys, a
     * u64 CLOCK_MONOTONIC expiry) a packet whose source is there and not expired is dropped before
     * the rules, counted at slot {@code rules.size() + 1}. Without {@code passes} a pass verdict
     * is left to user space (a run that drops what passes: no host path).
     */
    public static Compiled compile(RuleSet rules, int ruleLimit, int xskMapFd, int countersFd, int blocklistFd, boolean passes,
                                   Function<PrefixList, ListLookup> lists) {
        // Twice: the first time to learn which fields the rules read, the second parses only those.
        DriverVerdicts all = new DriverVerdicts(xskMapFd, countersFd, blocklistFd, passes, lists, null);
        all.emit(rules, ruleLimit);
        DriverVerdicts d = new DriverVerdicts(xskMapFd, countersFd, blocklistFd, passes, lists, all.loaded);
        Plan plan = d.emit(rules, ruleLimit);
        return new Compiled(d.a, plan);
    }

    private Plan emit(RuleSet rules, int ruleLimit) {
        queueCheck();
        parse();
        Plan plan = rules(rules, ruleLimit);
        handOver();
        counted();
        return plan;
    }

    /** The prefix lists {@code rules} test, each once. */
    public static List<PrefixList> prefixLists(RuleSet rules) {
        List<PrefixList> out = new ArrayList<>();
        for (Rule r : rules.rules()) {
            for (Match m : r.matches()) {
                while (m instanceof Match.Not n) {
                    m = n.match();
                }
                if (m instanceof Match.AddressList l && out.stream().noneMatch(x -> x == l.list())) {
                    out.add(l.list());
                }
            }
        }
        return out;
    }

    /** What the driver cannot evaluate in {@code m}, or null when it can. */
    static String unevaluable(Match m) {
        return switch (m) {
            case Match.Not n -> unevaluable(n.match());
            case Match.Dns d -> "dns";
            default -> null;
        };
    }

    /** Why packets {@code rule} matches go to user space, or null when the driver decides them. */
    static String handedOver(Rule rule, boolean passes) {
        for (Match m : rule.matches()) {
            String why = unevaluable(m);
            if (why != null) {
                return why;
            }
        }
        return switch (rule.action().kind()) {
            case DROP -> null;
            case PASS -> passes ? null : NO_KERNEL;
            case TX -> "tx";
            case RATELIMIT -> "ratelimit";
        };
    }

    private Label label(String name) {
        return a.label(name + "_" + labels++);
    }

    private void load(int reg, int field) {
        loaded.set(field);
        a.load(DW, reg, R10, slot(field));
    }

    /** Whether a field is read (by the rules or the parse itself), so the parse must set it. */
    private boolean needs(int field) {
        return wanted == null || wanted.get(field);
    }

    private void store(int field, int reg) {
        a.store(DW, R10, slot(field), reg);
    }

    private void storeImm(int field, int imm) {
        a.storeImm(DW, R10, slot(field), imm);
    }

    private void read(int size, int dst, int offsetReg, int disp) {
        PacketReads.read(a, size, dst, offsetReg, disp, user);
    }

    /** {@code if (reg == value) goto target} for any 64-bit value (R2 holds a wide one). */
    private void jumpEquals(int reg, long value, Label target) {
        if (value >= 0 && value <= Integer.MAX_VALUE) {
            a.jump(JEQ, reg, (int) value, target);
        } else {
            a.load64(R2, value);
            a.jumpReg(JEQ, reg, R2, target);
        }
    }

    private void and(int reg, long mask) {
        if (mask >= 0 && mask <= Integer.MAX_VALUE) {
            a.alu(AND, reg, (int) mask);
        } else {
            a.load64(R2, mask);
            a.aluReg(AND, reg, R2);
        }
    }

    // ---------------------------------------------------------------- queue and hand-over

    private void queueCheck() {
        a.movReg(R_CTX, R1);
        if (test) {
            return;
        }
        Label ours = a.label("ours");
        a.load(W, R2, R_CTX, Bpf.XDP_MD_RX_QUEUE_INDEX);
        a.store(W, R10, KEY, R2);
        a.loadMap(R1, xskMapFd);
        a.movReg(R2, R10).alu(ADD, R2, KEY);
        a.call(Bpf.HELPER_MAP_LOOKUP_ELEM);
        a.jump(JNE, R0, 0, ours);
        a.ret(Bpf.XDP_PASS); // a queue nobody bypasses: the kernel's, untouched
        a.bind(ours);
    }

    private void handOver() {
        a.bind(user);
        if (test) {
            a.ret(TEST_USER);
            return;
        }
        a.load(W, R2, R_CTX, Bpf.XDP_MD_RX_QUEUE_INDEX);
        a.loadMap(R1, xskMapFd);
        a.mov(R3, Bpf.XDP_PASS);
        a.call(Bpf.HELPER_REDIRECT_MAP);
        a.exit();
    }

    /**
     * Counts the packet against slot {@code index} and returns {@code action} (test runs: the
     * index): the slot goes on the stack and the code that counts is shared, two instructions a
     * rule, so that more rules fit in one program.
     */
    private void decide(int index, int action) {
        if (test) {
            a.ret(TEST_RULE + index);
            return;
        }
        if (countersFd < 0) {
            a.ret(action);
            return;
        }
        a.storeImm(W, R10, KEY, index);
        a.jumpAlways(action == Bpf.XDP_DROP ? countThenDrop : countThenPass);
        counts[action == Bpf.XDP_DROP ? 0 : 1] = true;
    }

    /** The shared ends of {@link #decide}: count at the slot on the stack, then the verdict. */
    private void counted() {
        if (test || countersFd < 0) {
            return;
        }
        Label[] ends = {countThenDrop, countThenPass};
        int[] verdicts = {Bpf.XDP_DROP, Bpf.XDP_PASS};
        for (int i = 0; i < 2; i++) {
            if (!counts[i]) {
                continue; // no rule ends so: the verifier refuses code nothing reaches
            }
            Label done = label("counted");
            a.bind(ends[i]);
            a.loadMap(R1, countersFd);
            a.movReg(R2, R10).alu(ADD, R2, KEY);
            a.call(Bpf.HELPER_MAP_LOOKUP_ELEM);
            a.jump(JEQ, R0, 0, done);
            a.load(DW, R1, R0, 0);
            a.alu(ADD, R1, 1);
            a.store(DW, R0, 0, R1); // a per-CPU value: no other CPU writes it
            a.load(DW, R1, R0, 8);
            a.aluReg(ADD, R1, R_LEN);
            a.store(DW, R0, 8, R1);
            a.bind(done);
            a.ret(verdicts[i]);
        }
    }

    // ---------------------------------------------------------------- parsing

    private void parse() {
        a.load(W, PacketReads.DATA, R_CTX, Bpf.XDP_MD_DATA);
        a.load(W, PacketReads.END, R_CTX, Bpf.XDP_MD_DATA_END);
        a.movReg(R_LEN, PacketReads.END).aluReg(SUB, R_LEN, PacketReads.DATA);
        // A multi-buffer frame (jumbo, with the program loaded fragment-aware): data_end is the first buffer's end,
        // not the frame's, so its length and what lies past the first buffer are user space's to judge.
        a.movReg(R1, R_CTX);
        a.call(Bpf.HELPER_XDP_GET_BUFF_LEN);
        a.jumpReg(JNE, R0, R_LEN, user);
        for (int i = 0; i < SLOTS; i++) {
            if (needs(i)) {
                storeImm(i, 0); // the verifier refuses a read of a slot no path wrote
            }
        }
        a.jump(JLT, R_LEN, 14, user);
        a.mov(R5, 0);
        if (needs(MAC_DST)) {
            read(H, R0, R5, 0);
            a.alu(LSH, R0, 32);
            read(W, R3, R5, 2);
            a.aluReg(OR, R0, R3);
            store(MAC_DST, R0);
        }
        if (needs(MAC_SRC)) {
            read(H, R0, R5, 6);
            a.alu(LSH, R0, 32);
            read(W, R3, R5, 8);
            a.aluReg(OR, R0, R3);
            store(MAC_SRC, R0);
        }
        read(H, R3, R5, 12);
        a.jump(JLE, R3, EtherTypes.MAX_8023_LENGTH, user); // 802.3 (LLC/SNAP): user space
        a.mov(R5, 14);
        Label network = a.label("network");
        for (int t = 0; t <= VLAN_TAGS; t++) {
            Label tag = a.label("tag" + t);
            a.jump(JEQ, R3, EtherTypes.VLAN, tag);
            a.jump(JEQ, R3, EtherTypes.QINQ_8021AD, tag);
            a.jump(JEQ, R3, EtherTypes.QINQ_9100, tag);
            a.jumpAlways(network);
            a.bind(tag);
            if (t == VLAN_TAGS) {
                a.jumpAlways(user);
                break;
            }
            read(H, R0, R5, 2); // the inner type: the tag is whole, as our parser requires
            if (t == 0 && needs(VLAN_TCI)) {
                read(H, R4, R5, 0);
                store(VLAN_TCI, R4);
            }
            if (t == 0 && needs(VLANS)) {
                storeImm(VLANS, 1);
            }
            a.movReg(R3, R0);
            a.alu(ADD, R5, 4);
        }
        a.bind(network);
        store(ETHERTYPE, R3);
        Label ipv4 = a.label("ipv4");
        Label ipv6 = a.label("ipv6");
        Label transport = a.label("transport");
        a.jump(JEQ, R3, EtherTypes.IPV4, ipv4);
        a.jump(JEQ, R3, EtherTypes.IPV6, ipv6);
        a.jump(JEQ, R3, EtherTypes.ARP, user);
        a.jumpAlways(rules); // a protocol the parser does not decode: the EtherType is all there is
        a.bind(ipv4);
        ipv4();
        a.jumpAlways(transport);
        a.bind(ipv6);
        ipv6();
        a.bind(transport);
        transport();
    }

    /** R5 = the header's offset; leaves R5 = the transport offset. */
    private void ipv4() {
        a.movReg(R4, R5).alu(ADD, R4, 20);
        a.jumpReg(JGT, R4, R_LEN, user);
        read(B, R0, R5, 0);
        a.movReg(R2, R0).alu(RSH, R2, 4);
        a.jump(JNE, R2, 4, user);
        a.alu(AND, R0, 0x0f).alu(LSH, R0, 2);
        a.jump(JLT, R0, 20, user);
        store(IP_HEADER, R0);
        read(H, R2, R5, 2);
        a.jumpReg(JLT, R2, R0, user);
        a.movReg(R4, R5).aluReg(ADD, R4, R0);
        a.jumpReg(JGT, R4, R_LEN, user);
        a.movReg(R4, R5).aluReg(ADD, R4, R2);
        a.jumpReg(JGT, R4, R_LEN, user); // the datagram runs past the frame
        store(L3_END, R4);
        storeImm(IPV, 4);
        if (needs(TTL)) {
            read(B, R0, R5, 8);
            store(TTL, R0);
        }
        read(B, R0, R5, 9);
        store(PROTO, R0);
        if (needs(SRC_LO)) {
            read(W, R0, R5, 12);
            store(SRC_LO, R0);
        }
        if (needs(DST_LO)) {
            read(W, R0, R5, 16);
            store(DST_LO, R0);
        }
        read(H, R0, R5, 6);
        a.movReg(R2, R0).alu(AND, R2, 0x1fff).alu(LSH, R2, 3);
        store(FRAG_OFFSET, R2);
        Label whole = label("whole");
        a.alu(AND, R0, 0x3fff); // MF or an offset
        a.jump(JEQ, R0, 0, whole);
        storeImm(FRAG, 1);
        a.bind(whole);
        load(R0, IP_HEADER);
        a.aluReg(ADD, R5, R0);
    }

    private void ipv6() {
        a.movReg(R4, R5).alu(ADD, R4, 40);
        a.jumpReg(JGT, R4, R_LEN, user);
        read(B, R0, R5, 0);
        a.alu(RSH, R0, 4);
        a.jump(JNE, R0, 6, user);
        read(H, R2, R5, 4);
        read(B, R3, R5, 6);
        for (int ext : new int[] {IpProtocols.HOPOPTS, IpProtocols.ROUTING, IpProtocols.FRAGMENT, IpProtocols.AH,
                IpProtocols.DSTOPTS, IpProtocols.MOBILITY, IpProtocols.HIP, IpProtocols.SHIM6}) {
            a.jump(JEQ, R3, ext, user); // an extension chain: user space walks it
        }
        a.movReg(R4, R5).alu(ADD, R4, 40).aluReg(ADD, R4, R2);
        a.jumpReg(JGT, R4, R_LEN, user);
        store(L3_END, R4);
        storeImm(IPV, 6);
        store(PROTO, R3);
        if (needs(TTL)) {
            read(B, R0, R5, 7);
            store(TTL, R0);
        }
        int[] fields = {SRC_HI, SRC_LO, DST_HI, DST_LO};
        for (int i = 0; i < 4; i++) {
            if (needs(fields[i])) {
                read(DW, R0, R5, 8 + 8 * i);
                store(fields[i], R0);
            }
        }
        a.alu(ADD, R5, 40);
    }

    /** R5 = the transport offset. */
    private void transport() {
        load(R0, FRAG_OFFSET);
        a.jump(JNE, R0, 0, rules); // a later fragment has no transport header
        load(R4, L3_END);
        a.aluReg(SUB, R4, R5); // bytes available to the transport header
        load(R3, PROTO);
        Label tcp = a.label("tcp");
        Label udp = a.label("udp");
        Label udplite = a.label("udplite");
        Label sctp = a.label("sctp");
        Label icmp = a.label("icmp");
        a.jump(JEQ, R3, IpProtocols.TCP, tcp);
        a.jump(JEQ, R3, IpProtocols.UDP, udp);
        a.jump(JEQ, R3, IpProtocols.UDPLITE, udplite);
        a.jump(JEQ, R3, IpProtocols.SCTP, sctp);
        a.jump(JEQ, R3, IpProtocols.ICMP, icmp);
        a.jump(JEQ, R3, IpProtocols.ICMPV6, icmp);
        a.jumpAlways(rules); // an upper protocol the parser leaves opaque

        a.bind(tcp);
        a.jump(JLT, R4, TcpDescriptor.MIN_HEADER_LENGTH, user);
        read(B, R0, R5, TcpDescriptor.OFFSET_FLAGS_OFFSET);
        a.alu(RSH, R0, 4).alu(LSH, R0, 2);
        a.jump(JLT, R0, TcpDescriptor.MIN_HEADER_LENGTH, user);
        a.jumpReg(JGT, R0, R4, user);
        a.aluReg(ADD, R0, R5);
        storeIfNeeded(PAYLOAD, R0);
        ports();
        if (needs(TCP_FLAGS)) {
            read(B, R0, R5, 13);
            store(TCP_FLAGS, R0);
        }
        payloadToDatagramEnd();
        a.jumpAlways(rules);

        a.bind(udp);
        a.jump(JLT, R4, UdpDescriptor.HEADER_LENGTH, user);
        read(H, R2, R5, 4);
        Label udpFragment = a.label("udpfragment");
        load(R0, FRAG);
        a.jump(JNE, R0, 0, udpFragment);
        a.jump(JLT, R2, UdpDescriptor.HEADER_LENGTH, user);
        a.jumpReg(JGT, R2, R4, user);
        ports();
        a.movReg(R0, R5).alu(ADD, R0, UdpDescriptor.HEADER_LENGTH);
        storeIfNeeded(PAYLOAD, R0);
        payloadToDatagramEnd();
        if (needs(PAYLOAD_END)) {
            a.movReg(R0, R5).aluReg(ADD, R0, R2);
            load(R3, L3_END);
            a.jumpReg(JGE, R0, R3, rules);
            store(PAYLOAD_END, R0); // bytes after the UDP datagram are not its payload
        }
        a.jumpAlways(rules);
        a.bind(udpFragment); // a first fragment: its UDP length covers fragments not here
        a.bind(udplite); // UDP-Lite's length is its checksum coverage
        a.jump(JLT, R4, UdpDescriptor.HEADER_LENGTH, user);
        headerThenPayload(UdpDescriptor.HEADER_LENGTH);

        a.bind(sctp);
        a.jump(JLT, R4, SctpDescriptor.COMMON_HEADER_LENGTH, user);
        headerThenPayload(SctpDescriptor.COMMON_HEADER_LENGTH);

        a.bind(icmp);
        a.jump(JLT, R4, IcmpDescriptor.HEADER_LENGTH, user);
        if (needs(ICMP_TYPE)) {
            read(B, R0, R5, 0);
            store(ICMP_TYPE, R0);
        }
        if (needs(ICMP_CODE)) {
            read(B, R0, R5, 1);
            store(ICMP_CODE, R0);
        }
        a.movReg(R0, R5).alu(ADD, R0, IcmpDescriptor.HEADER_LENGTH);
        storeIfNeeded(PAYLOAD, R0);
        payloadToDatagramEnd();
        a.jumpAlways(rules);
    }

    private void ports() {
        if (needs(SPORT)) {
            read(H, R0, R5, 0);
            store(SPORT, R0);
        }
        if (needs(DPORT)) {
            read(H, R0, R5, 2);
            store(DPORT, R0);
        }
        if (needs(HAS_PORTS)) {
            storeImm(HAS_PORTS, 1);
        }
    }

    private void headerThenPayload(int length) {
        ports();
        a.movReg(R0, R5).alu(ADD, R0, length);
        storeIfNeeded(PAYLOAD, R0);
        payloadToDatagramEnd();
        a.jumpAlways(rules);
    }

    private void storeIfNeeded(int field, int reg) {
        if (needs(field)) {
            store(field, reg);
        }
    }

    private void payloadToDatagramEnd() {
        if (needs(HAS_PAYLOAD)) {
            storeImm(HAS_PAYLOAD, 1);
        }
        if (needs(PAYLOAD_END)) {
            load(R0, L3_END);
            store(PAYLOAD_END, R0);
        }
    }

    // ---------------------------------------------------------------- rules

    /** A test's value on every packet the driver decides, when it does not depend on the packet. */
    private static Boolean constant(Match m) {
        if (m instanceof Match.Not n) {
            Boolean inner = constant(n.match());
            return inner == null ? null : !inner;
        }
        if (m instanceof Match.Malformed x && x.covers(ParseStatus.OK) == x.covers(ParseStatus.UNSUPPORTED)) {
            return x.covers(ParseStatus.OK); // the driver decides only packets the parser finds whole
        }
        return null;
    }

    private Plan rules(RuleSet set, int ruleLimit) {
        a.bind(rules);
        if (blocklistFd >= 0) {
            blocked(set.size() + 1);
        }
        List<RulePlan> plan = new ArrayList<>();
        String unreached = null; // why no packet the driver judges gets to the next rule
        for (int r = 0; r < set.size(); r++) {
            Rule rule = set.rule(r);
            if (unreached == null && r >= ruleLimit) {
                a.jumpAlways(user);
                unreached = "past the " + ruleLimit + " rules the driver holds";
            }
            if (unreached != null) {
                plan.add(new RulePlan(Placement.USER, unreached));
                continue;
            }
            String why = handedOver(rule, passes);
            List<Match> dynamic = new ArrayList<>();
            boolean never = false;
            List<Match.Dns> headerChecks = new ArrayList<>();
            for (Match m : rule.matches()) {
                if (unevaluable(m) != null) {
                    if (m instanceof Match.Dns d) {
                        headerChecks.add(d); // what a query must be, the header says: the rest is for user space
                    }
                    continue;
                }
                Boolean c = constant(m);
                if (c == null) {
                    dynamic.add(m);
                } else if (!c) {
                    never = true;
                }
            }
            plan.add(new RulePlan(why == null ? Placement.DRIVER : Placement.DRIVER_THEN_USER, why));
            if (never) {
                continue; // never matches a packet the driver judges (malformed tests)
            }
            Label miss = label("miss" + (r + 1));
            for (Match m : dynamic) {
                Label holds = label("holds");
                test(m, holds, miss);
                a.bind(holds);
            }
            for (Match.Dns d : headerChecks) {
                Label may = label("query");
                dnsHeader(may, miss);
                a.bind(may);
            }
            if (why != null) {
                a.jumpAlways(user);
            } else {
                decide(r, rule.action().kind() == Action.Kind.DROP ? Bpf.XDP_DROP : Bpf.XDP_PASS);
            }
            if (dynamic.isEmpty() && headerChecks.isEmpty()) {
                unreached = "rule " + (r + 1) + " takes every packet the driver judges";
            } else {
                a.bind(miss);
            }
        }
        if (unreached != null) {
            plan.add(new RulePlan(Placement.USER, unreached));
        } else {
            Action.Kind d = set.defaultAction().kind();
            if (d == Action.Kind.DROP || d == Action.Kind.PASS && passes) {
                plan.add(new RulePlan(Placement.DRIVER, null));
                decide(set.size(), d == Action.Kind.DROP ? Bpf.XDP_DROP : Bpf.XDP_PASS);
            } else {
                plan.add(new RulePlan(Placement.DRIVER_THEN_USER, NO_KERNEL));
                a.jumpAlways(user);
            }
        }
        return new Plan(List.copyOf(plan));
    }

    /** Drops a packet whose source is in the blocklist and not expired, counting it at {@code index}. */
    private void blocked(int index) {
        Label no = a.label("notblocked");
        Label ipv6 = a.label("blocked6");
        Label lookup = a.label("blockedlookup");
        load(R0, IPV);
        a.jump(JEQ, R0, 0, no);
        a.store(W, R10, KEY, R0);
        a.jump(JEQ, R0, 6, ipv6);
        load(R0, SRC_LO);
        a.toBigEndian(R0, 32);
        a.store(W, R10, KEY + 4, R0);
        for (int i = 8; i < BLOCK_KEY_SIZE; i += 4) {
            a.storeImm(W, R10, KEY + i, 0);
        }
        a.jumpAlways(lookup);
        a.bind(ipv6);
        sourceKey6(SRC_HI, SRC_LO);
        a.bind(lookup);
        a.loadMap(R1, blocklistFd);
        a.movReg(R2, R10).alu(ADD, R2, KEY);
        a.call(Bpf.HELPER_MAP_LOOKUP_ELEM);
        a.jump(JEQ, R0, 0, no);
        a.load(DW, R1, R0, 0);
        store(BLOCK_UNTIL, R1);
        a.call(Bpf.HELPER_KTIME_GET_NS);
        load(R1, BLOCK_UNTIL);
        a.jumpReg(JGE, R0, R1, no); // expired: user space forgets it at its next refresh
        decide(index, Bpf.XDP_DROP);
        a.bind(no);
    }

    /** The 16 address bytes of two slots, network order, at KEY + 4 (after a 4-byte length or version). */
    private void sourceKey6(int highSlot, int lowSlot) {
        int[] words = {highSlot, lowSlot};
        for (int w = 0; w < 2; w++) {
            load(R0, words[w]);
            a.movReg(R3, R0).alu(RSH, R3, 32);
            a.toBigEndian(R3, 32);
            a.store(W, R10, KEY + 4 + 8 * w, R3);
            a.toBigEndian(R0, 32); // the low half (the swap keeps only 32 bits)
            a.store(W, R10, KEY + 8 + 8 * w, R0);
        }
    }

    /** Jumps to {@code yes} when {@code m} holds, to {@code no} when not; ends in a jump either way. */
    private void test(Match m, Label yes, Label no) {
        switch (m) {
            case Match.Not n -> test(n.match(), no, yes);
            case Match.EtherType e -> {
                load(R0, ETHERTYPE);
                a.jump(JEQ, R0, e.type(), yes);
                a.jumpAlways(no);
            }
            case Match.EtherAddress e -> {
                load(R0, e.side() == Match.Side.DST ? MAC_DST : MAC_SRC);
                jumpEquals(R0, e.mac(), yes);
                a.jumpAlways(no);
            }
            case Match.Vlan v -> {
                load(R0, VLANS);
                a.jump(JEQ, R0, 0, no);
                if (v.ids() == null) {
                    a.jumpAlways(yes);
                } else {
                    load(R0, VLAN_TCI);
                    a.alu(AND, R0, 0x0fff);
                    inSet(R0, v.ids(), yes, no);
                }
            }
            case Match.IpVersion v -> {
                load(R0, IPV);
                a.jump(JEQ, R0, v.version(), yes);
                a.jumpAlways(no);
            }
            case Match.Protocol p -> {
                ipOrElse(no);
                load(R0, PROTO);
                a.jump(JEQ, R0, p.protocol(), yes);
                a.jumpAlways(no);
            }
            case Match.Address ad -> sides(ad.side(), yes, no, (side, y, n) -> address(side, ad.prefix(), y, n));
            case Match.AddressList l -> sides(l.side(), yes, no, (side, y, n) -> list(side, l.list(), y, n));
            case Match.Port p -> {
                load(R0, HAS_PORTS);
                a.jump(JEQ, R0, 0, no);
                sides(p.side(), yes, no, (side, y, n) -> {
                    load(R0, side == Match.Side.SRC ? SPORT : DPORT);
                    inSet(R0, p.ports(), y, n);
                });
            }
            case Match.TcpFlags f -> {
                load(R0, PROTO);
                a.jump(JNE, R0, IpProtocols.TCP, no);
                load(R0, HAS_PORTS);
                a.jump(JEQ, R0, 0, no);
                load(R0, TCP_FLAGS);
                a.alu(AND, R0, f.mask());
                a.jump(JEQ, R0, f.value(), yes);
                a.jumpAlways(no);
            }
            case Match.Length l -> {
                a.movReg(R0, R_LEN);
                Label fits = label("fits");
                a.jump(JLE, R0, 65535, fits);
                a.mov(R0, 65535); // longer tests as 65535, as in user space
                a.bind(fits);
                inSet(R0, l.lengths(), yes, no);
            }
            case Match.Ttl t -> {
                ipOrElse(no);
                load(R0, TTL);
                inSet(R0, t.values(), yes, no);
            }
            case Match.Fragment f -> {
                ipOrElse(no);
                switch (f.kind()) {
                    case ANY -> {
                        load(R0, FRAG);
                        a.jump(JNE, R0, 0, yes);
                    }
                    case FIRST -> {
                        load(R0, FRAG);
                        a.jump(JEQ, R0, 0, no);
                        load(R0, FRAG_OFFSET);
                        a.jump(JEQ, R0, 0, yes);
                    }
                    case LATER -> {
                        load(R0, FRAG_OFFSET);
                        a.jump(JNE, R0, 0, yes);
                    }
                }
                a.jumpAlways(no);
            }
            case Match.Icmp i -> {
                ipOrElse(no);
                load(R0, PROTO);
                a.jump(JNE, R0, i.protocol(), no);
                load(R0, HAS_PAYLOAD);
                a.jump(JEQ, R0, 0, no);
                load(R0, ICMP_TYPE);
                if (i.codes() == null) {
                    inSet(R0, i.types(), yes, no);
                } else {
                    Label type = label("type");
                    inSet(R0, i.types(), type, no);
                    a.bind(type);
                    load(R0, ICMP_CODE);
                    inSet(R0, i.codes(), yes, no);
                }
            }
            case Match.Malformed x -> {
                // Only a rule naming 'unsupported' among its reasons gets here: non-IP EtherTypes.
                load(R0, IPV);
                a.jump(JEQ, R0, 0, x.covers(ParseStatus.UNSUPPORTED) ? yes : no);
                a.jumpAlways(x.covers(ParseStatus.OK) ? yes : no);
            }
            case Match.Payload p -> payload(p, yes, no);
            case Match.Dns d -> throw new IllegalStateException("dns is judged in user space");
        }
    }

    private interface SideTest {
        void emit(Match.Side side, Label yes, Label no);
    }

    private void sides(Match.Side side, Label yes, Label no, SideTest t) {
        if (side != Match.Side.EITHER) {
            t.emit(side, yes, no);
            return;
        }
        Label other = label("dst");
        t.emit(Match.Side.SRC, yes, other);
        a.bind(other);
        t.emit(Match.Side.DST, yes, no);
    }

    private void ipOrElse(Label no) {
        load(R0, IPV);
        a.jump(JEQ, R0, 0, no);
    }

    /** Jumps to {@code yes} when {@code reg} (a value below 2^31) is in {@code set}, else to {@code no}. */
    private void inSet(int reg, NumberSet set, Label yes, Label no) {
        for (int i = 0; i < set.ranges(); i++) {
            long low = set.low(i);
            long high = Math.min(set.high(i), Integer.MAX_VALUE);
            if (low > Integer.MAX_VALUE) {
                break;
            }
            if (low == high) {
                a.jump(JEQ, reg, (int) low, yes);
                continue;
            }
            Label next = label("range");
            if (low > 0) {
                a.jump(JLT, reg, (int) low, next);
            }
            a.jump(JLE, reg, (int) high, yes);
            a.bind(next);
        }
        a.jumpAlways(no);
    }

    private void address(Match.Side side, Prefix prefix, Label yes, Label no) {
        load(R0, IPV);
        a.jump(JNE, R0, prefix.version(), no);
        int length = prefix.length();
        if (length == 0) {
            a.jumpAlways(yes); // /0: every address of the version
            return;
        }
        if (prefix.version() == 4) {
            load(R0, side == Match.Side.SRC ? SRC_LO : DST_LO);
            and(R0, (0xffff_ffffL << (32 - length)) & 0xffff_ffffL);
            jumpEquals(R0, prefix.low(), yes);
            a.jumpAlways(no);
            return;
        }
        load(R0, side == Match.Side.SRC ? SRC_HI : DST_HI);
        if (length <= 64) {
            and(R0, -1L << (64 - length));
            jumpEquals(R0, prefix.high(), yes);
            a.jumpAlways(no);
            return;
        }
        Label high = label("high");
        jumpEquals(R0, prefix.high(), high);
        a.jumpAlways(no);
        a.bind(high);
        load(R0, side == Match.Side.SRC ? SRC_LO : DST_LO);
        if (length < 128) {
            and(R0, -1L << (128 - length));
        }
        jumpEquals(R0, prefix.low(), yes);
        a.jumpAlways(no);
    }

    /**
     * A prefix-list lookup of the address in the list's structure for its version: a trie lookup
     * (the address, network order, after the key's length) or a hash probe per prefix length.
     */
    private void list(Match.Side side, PrefixList list, Label yes, Label no) {
        ListLookup maps = lists.apply(list);
        Label ipv6 = label("list6");
        int high = slot(side == Match.Side.SRC ? SRC_HI : DST_HI);
        int low = slot(side == Match.Side.SRC ? SRC_LO : DST_LO);
        loaded.set(side == Match.Side.SRC ? SRC_HI : DST_HI);
        loaded.set(side == Match.Side.SRC ? SRC_LO : DST_LO);
        load(R0, IPV);
        a.jump(JEQ, R0, 6, ipv6);
        a.jump(JNE, R0, 4, no);
        if (maps instanceof PrefixHash h) {
            PrefixHash.probe4(a, h.ipv4(), h.ipv4Lengths(), low, KEY, yes);
            a.jumpAlways(no);
            a.bind(ipv6);
            PrefixHash.probe6(a, h.ipv6(), h.ipv6Lengths(), high, low, KEY, yes);
            a.jumpAlways(no);
            return;
        }
        Label lookup = label("lookup");
        a.storeImm(W, R10, KEY, 32);
        load(R0, side == Match.Side.SRC ? SRC_LO : DST_LO);
        a.toBigEndian(R0, 32);
        a.store(W, R10, KEY + 4, R0);
        a.loadMap(R1, maps.ipv4());
        a.jumpAlways(lookup);
        a.bind(ipv6);
        a.storeImm(W, R10, KEY, 128);
        if (side == Match.Side.SRC) {
            sourceKey6(SRC_HI, SRC_LO);
        } else {
            sourceKey6(DST_HI, DST_LO);
        }
        a.loadMap(R1, maps.ipv6());
        a.bind(lookup);
        a.movReg(R2, R10).alu(ADD, R2, KEY);
        a.call(Bpf.HELPER_MAP_LOOKUP_ELEM);
        a.jump(JNE, R0, 0, yes);
        a.jumpAlways(no);
    }

    /**
     * What every packet {@code dns} matches has, and XDP can read: UDP to port 53, not a fragment,
     * a query's header (QR 0, opcode QUERY, no flags a query never sets, one question, no answers
     * or authorities, at most one additional record) and room for a question. Jumps to {@code no}
     * when the packet lacks it (the test is false), to {@code yes} when user space must look.
     */
    private void dnsHeader(Label yes, Label no) {
        load(R0, PROTO);
        a.jump(JNE, R0, IpProtocols.UDP, no);
        load(R0, HAS_PORTS);
        a.jump(JEQ, R0, 0, no);
        load(R0, DPORT);
        a.jump(JNE, R0, 53, no);
        load(R0, FRAG);
        a.jump(JNE, R0, 0, no);
        load(R0, HAS_PAYLOAD);
        a.jump(JEQ, R0, 0, no);
        load(R3, PAYLOAD);
        load(R4, PAYLOAD_END);
        a.aluReg(SUB, R4, R3);
        a.jump(JLT, R4, DnsQuery.HEADER_LENGTH + 5, no);
        read(H, R0, R3, 2);
        a.alu(AND, R0, 0xfa4f); // QR, opcode, TC, Z, RCODE
        a.jump(JNE, R0, 0, no);
        read(H, R0, R3, 4);
        a.jump(JNE, R0, 1, no);
        read(H, R0, R3, 6);
        a.jump(JNE, R0, 0, no);
        read(H, R0, R3, 8);
        a.jump(JNE, R0, 0, no);
        read(H, R0, R3, 10);
        a.jump(JGT, R0, 1, no);
        a.jumpAlways(yes);
    }

    /** Payload bytes under their mask; a test that reaches past the payload is false. */
    private void payload(Match.Payload p, Label yes, Label no) {
        load(R0, HAS_PAYLOAD);
        a.jump(JEQ, R0, 0, no);
        load(R3, PAYLOAD);
        a.alu(ADD, R3, p.offset());
        a.movReg(R4, R3).alu(ADD, R4, p.value().length);
        load(R0, PAYLOAD_END);
        a.jumpReg(JGT, R4, R0, no);
        for (int i = 0; i < p.value().length; i++) {
            int mask = p.mask()[i] & 0xff;
            read(B, R0, R3, i);
            if (mask != 0xff) {
                a.alu(AND, R0, mask);
            }
            a.jump(JNE, R0, p.value()[i] & 0xff, no); // value bits outside the mask: never equal, as in user space
        }
        a.jumpAlways(yes);
    }
}
