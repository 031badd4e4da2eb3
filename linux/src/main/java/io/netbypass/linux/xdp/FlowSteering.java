package io.netbypass.linux.xdp;

import io.netbypass.linux.bpf.Bpf;
import io.netbypass.linux.bpf.BpfAssembler;
import io.netbypass.linux.bpf.BpfAssembler.Label;
import io.netbypass.packet.EtherTypes;
import io.netbypass.packet.IpProtocols;
import io.netbypass.packet.Ipv6Descriptor;
import io.netbypass.packet.VlanDescriptor;
import io.netbypass.scaling.ntuple.FlowType;
import io.netbypass.scaling.ntuple.NtupleClassifier;
import io.netbypass.scaling.ntuple.NtupleKey;
import io.netbypass.scaling.ntuple.RxFlowSpec;
import io.netbypass.util.UserException;

import java.util.List;

import static io.netbypass.linux.bpf.BpfAssembler.*;
import static io.netbypass.scaling.ntuple.NtupleKey.*;

/**
 * Flow mode: an XDP program that parses each packet (Ethernet, up to four VLAN tags, IPv4 with
 * options and fragments, IPv6 with up to eight extension headers, the first four bytes of the
 * transport header) into the same key words as {@link NtupleKey}, then tries ntuple rules in
 * order, comparing masked words as {@link NtupleClassifier} does. The first matching rule decides:
 * {@code action -1} drops the packet in the driver; any queue action sends it to the AF_XDP
 * socket of the queue it arrived on (XDP cannot move a packet to another queue), or to the kernel
 * when that queue has no socket. Packets no rule matches go to the kernel.
 *
 * <p>Fail closed: an IPv6 packet with more extension headers than the program walks
 * ({@link #EXTENSION_HEADERS_WALKED}; its loop is unrolled) cannot be judged here, and Linux would
 * deliver it. When any rule could match IPv6, such a packet goes to the queue's AF_XDP socket,
 * where our parser walks the whole chain and the filter judges it; only a queue without a socket
 * judges it by the fields found so far.
 *
 * <p>Every packet read is bounds-checked against {@code data_end}; every length field is checked
 * against the IP datagram's end as our parser does, so the two agree packet for packet (the
 * privileged differential test runs both on the same frames). Not matched here, refused with a
 * message: {@code ah4}/{@code ah6} rules, RSS contexts, VFs. 802.3 LLC/SNAP frames carry no
 * EtherType here and match only rules that ignore it.
 */
public final class FlowSteering {
    private static final int R_CTX = R6;
    private static final int R_DATA = PacketReads.DATA;
    private static final int R_END = PacketReads.END;
    private static final int R_LEN = R9;
    /** Stack: key word i at fp - 8 * (i + 1), then the fragment flag and the fragment offset. */
    private static final int FRAG = -8 * (WORDS + 1);
    private static final int FRAG_OFFSET = -8 * (WORDS + 2);
    /** The IPv4 header length, kept across reads while the header is parsed. */
    private static final int IP_HEADER_LENGTH = -8 * (WORDS + 3);
    /** The key of a drop rule's counter, for the map lookup. */
    private static final int COUNTER_KEY = -8 * (WORDS + 4);
    /** IPv6 extension headers walked before a packet goes to user space unjudged. */
    public static final int EXTENSION_HEADERS_WALKED = 8;
    /** Return value of a matched queue rule when the program is built without a map (for BPF_PROG_TEST_RUN). */
    public static final int TEST_MATCH = Bpf.XDP_TX;

    private final BpfAssembler a = new BpfAssembler();
    private final Label finish = a.label("finish");
    private final Label pass = a.label("pass");
    private final Label unjudged = a.label("unjudged");

    private FlowSteering() {
    }

    private static int word(int i) {
        return -8 * (i + 1);
    }

    /**
     * The program for {@code rules} (first match wins, in list order) redirecting to
     * {@code xskMapFd}; with {@code xskMapFd < 0} a matched queue rule returns
     * {@link #TEST_MATCH} instead, so the matching can be run with BPF_PROG_TEST_RUN.
     */
    public static BpfAssembler program(List<RxFlowSpec> rules, int xskMapFd) {
        return program(rules, xskMapFd, -1);
    }

    /**
     * As {@link #program(List, int)}, and each packet a drop rule ({@code action -1}) drops adds
     * one to the u64 at that rule's index in {@code countersFd}, a per-CPU array of
     * {@code rules.size()} entries ({@code < 0}: not counted).
     */
    public static BpfAssembler program(List<RxFlowSpec> rules, int xskMapFd, int countersFd) {
        for (RxFlowSpec r : rules) {
            check(r);
        }
        FlowSteering f = new FlowSteering();
        f.parse();
        f.match(rules, xskMapFd, countersFd);
        return f.a;
    }

    /** Refuses what this program cannot match, in one line naming the rule. */
    public static void check(RxFlowSpec r) {
        FlowType t = r.flowType();
        if (t == null) {
            throw new UserException("'" + r + "': unknown flow type");
        }
        if (t == FlowType.AH4 || t == FlowType.AH6) {
            throw new UserException("'" + r + "': AH rules are not matched in XDP (use esp4/esp6 or ip4/ip6 l4proto 51)");
        }
        if (r.hasFlag(FlowType.FLOW_RSS)) {
            throw new UserException("'" + r + "': RSS contexts have no meaning for flow steering in XDP");
        }
        if (!r.isDrop() && (r.isWake() || r.vfField() != 0)) {
            throw new UserException("'" + r + "': flow steering in XDP takes 'action -1' (drop) or a queue");
        }
    }

    // ---------------------------------------------------------------- parsing

    private void read(int size, int dst, int offsetReg, int disp, Label fail) {
        PacketReads.read(a, size, dst, offsetReg, disp, fail);
    }

    private void storeWord(int i, int reg) {
        a.store(DW, R10, word(i), reg);
    }

    private void orMeta(int imm) {
        a.load(DW, R0, R10, word(META));
        a.alu(OR, R0, imm);
        storeWord(META, R0);
    }

    private void parse() {
        a.movReg(R_CTX, R1);
        a.load(W, R_DATA, R_CTX, Bpf.XDP_MD_DATA);
        a.load(W, R_END, R_CTX, Bpf.XDP_MD_DATA_END);
        a.movReg(R_LEN, R_END).aluReg(SUB, R_LEN, R_DATA); // the frame's length, as a number
        for (int i = 0; i < WORDS + 2; i++) {
            a.storeImm(DW, R10, -8 * (i + 1), 0);
        }
        // Ethernet
        a.movReg(R0, R_DATA).alu(ADD, R0, 14);
        a.jumpReg(JGT, R0, R_END, pass);
        a.storeImm(DW, R10, word(META), (int) HAS_ETHERNET);
        a.mov(R5, 0);
        read(H, R0, R5, 0, finish);
        a.alu(LSH, R0, 32);
        read(W, R3, R5, 2, finish);
        a.aluReg(OR, R0, R3);
        storeWord(MAC_DST, R0);
        read(H, R0, R5, 6, finish);
        a.alu(LSH, R0, 32);
        read(W, R3, R5, 8, finish);
        a.aluReg(OR, R0, R3);
        storeWord(MAC_SRC, R0);
        read(H, R3, R5, 12, finish);
        a.mov(R5, 14);
        a.jump(JLE, R3, EtherTypes.MAX_8023_LENGTH, finish); // an 802.3 length: LLC/SNAP is not followed here

        Label network = a.label("network");
        for (int t = 0; t <= VlanDescriptor.MAX_TAGS; t++) {
            Label tag = a.label("tag" + t);
            a.jump(JEQ, R3, EtherTypes.VLAN, tag);
            a.jump(JEQ, R3, EtherTypes.QINQ_8021AD, tag);
            a.jump(JEQ, R3, EtherTypes.QINQ_9100, tag);
            a.jumpAlways(network);
            a.bind(tag);
            if (t == VlanDescriptor.MAX_TAGS) {
                a.jumpAlways(finish); // too many tags: no network layer, as our parser decides
                break;
            }
            read(H, R0, R5, VlanDescriptor.INNER_TYPE_OFFSET, finish); // first: the tag must be whole, as in our parser
            if (t == 0) {
                read(H, R4, R5, VlanDescriptor.TCI_OFFSET, finish);
                a.alu(LSH, R4, 32);
                a.movReg(R2, R3).alu(LSH, R2, 16);
                a.aluReg(OR, R4, R2);
                storeWord(ETHERTYPE, R4);
            }
            a.movReg(R3, R0);
            a.alu(ADD, R5, VlanDescriptor.TAG_LENGTH);
        }
        a.bind(network);
        a.load(DW, R0, R10, word(ETHERTYPE));
        a.aluReg(OR, R0, R3);
        storeWord(ETHERTYPE, R0);
        Label ipv4 = a.label("ipv4");
        Label ipv6 = a.label("ipv6");
        a.jump(JEQ, R3, EtherTypes.IPV4, ipv4);
        a.jump(JEQ, R3, EtherTypes.IPV6, ipv6);
        a.jumpAlways(finish);

        Label transport = a.label("transport");
        a.bind(ipv4);
        ipv4(transport);
        a.bind(ipv6);
        ipv6(transport);
        a.bind(transport);
        transport();
    }

    /** R5 = the IPv4 header's offset. Leaves R3 = protocol, R5 = transport offset, R4 = datagram end. */
    private void ipv4(Label transport) {
        read(B, R0, R5, 0, finish);
        a.movReg(R2, R0).alu(RSH, R2, 4);
        a.jump(JNE, R2, 4, finish);
        read(H, R2, R5, 2, finish); // total length (reads 4 bytes in: the check covers 20 below)
        a.movReg(R4, R5).alu(ADD, R4, 20);
        a.jumpReg(JGT, R4, R_LEN, finish);
        read(B, R0, R5, 0, finish);
        a.alu(AND, R0, 0x0f).alu(LSH, R0, 2); // header length
        a.jump(JLT, R0, 20, finish);
        a.jumpReg(JLT, R2, R0, finish);
        a.movReg(R4, R5).aluReg(ADD, R4, R0);
        a.jumpReg(JGT, R4, R_LEN, finish);
        // A valid header: from here the packet is IPv4 to the key.
        a.store(DW, R10, IP_HEADER_LENGTH, R0);
        orMeta(4);
        read(B, R0, R5, 1, finish);
        storeWord(TOS, R0);
        read(W, R0, R5, 12, finish);
        storeWord(SRC_LO, R0);
        read(W, R0, R5, 16, finish);
        storeWord(DST_LO, R0);
        // datagram end: min(offset + total length, frame length)
        a.movReg(R4, R5).aluReg(ADD, R4, R2);
        Label inFrame = a.label("v4end");
        a.jumpReg(JLE, R4, R_LEN, inFrame);
        a.movReg(R4, R_LEN);
        a.bind(inFrame);
        read(H, R0, R5, 6, finish);
        a.movReg(R2, R0).alu(AND, R2, 0x1fff).alu(LSH, R2, 3);
        a.store(DW, R10, FRAG_OFFSET, R2);
        Label whole = a.label("v4whole");
        a.alu(AND, R0, 0x3fff); // MF or an offset
        a.jump(JEQ, R0, 0, whole);
        a.storeImm(DW, R10, FRAG, 1);
        a.bind(whole);
        read(B, R3, R5, 9, finish);
        a.load(DW, R0, R10, IP_HEADER_LENGTH);
        a.aluReg(ADD, R5, R0);
        a.jumpAlways(transport);
    }

    /** R5 = the IPv6 header's offset; walks the extension headers as our parser does. */
    private void ipv6(Label transport) {
        read(B, R0, R5, 0, finish);
        a.alu(RSH, R0, 4);
        a.jump(JNE, R0, 6, finish);
        a.movReg(R4, R5).alu(ADD, R4, Ipv6Descriptor.HEADER_LENGTH);
        a.jumpReg(JGT, R4, R_LEN, finish);
        orMeta(6);
        read(H, R0, R5, 0, finish);
        a.alu(RSH, R0, 4).alu(AND, R0, 0xff);
        storeWord(TOS, R0);
        read(DW, R0, R5, Ipv6Descriptor.SOURCE_OFFSET, finish);
        storeWord(SRC_HI, R0);
        read(DW, R0, R5, Ipv6Descriptor.SOURCE_OFFSET + 8, finish);
        storeWord(SRC_LO, R0);
        read(DW, R0, R5, Ipv6Descriptor.DESTINATION_OFFSET, finish);
        storeWord(DST_HI, R0);
        read(DW, R0, R5, Ipv6Descriptor.DESTINATION_OFFSET + 8, finish);
        storeWord(DST_LO, R0);
        read(H, R2, R5, Ipv6Descriptor.PAYLOAD_LENGTH_OFFSET, finish);
        read(B, R3, R5, Ipv6Descriptor.NEXT_HEADER_OFFSET, finish);
        a.movReg(R4, R5).alu(ADD, R4, Ipv6Descriptor.HEADER_LENGTH).aluReg(ADD, R4, R2);
        Label toFrame = a.label("v6toframe");
        Label endKnown = a.label("v6end");
        Label notJumbo = a.label("v6notjumbo");
        a.jump(JNE, R2, 0, notJumbo);
        a.jump(JEQ, R3, IpProtocols.HOPOPTS, toFrame); // a jumbogram: the frame's end
        a.bind(notJumbo);
        a.jumpReg(JLE, R4, R_LEN, endKnown);
        a.bind(toFrame);
        a.movReg(R4, R_LEN);
        a.bind(endKnown);
        a.alu(ADD, R5, Ipv6Descriptor.HEADER_LENGTH);

        int[] generic = {IpProtocols.HOPOPTS, IpProtocols.ROUTING, IpProtocols.DSTOPTS, IpProtocols.MOBILITY, IpProtocols.HIP,
                IpProtocols.SHIM6};
        for (int k = 0; k <= EXTENSION_HEADERS_WALKED; k++) {
            if (k == EXTENSION_HEADERS_WALKED) {
                // A ninth extension header: the chain goes on beyond what this program walks.
                for (int g : generic) {
                    a.jump(JEQ, R3, g, unjudged);
                }
                a.jump(JEQ, R3, IpProtocols.FRAGMENT, unjudged);
                a.jump(JEQ, R3, IpProtocols.AH, unjudged);
                a.jumpAlways(transport);
                break;
            }
            Label gen = a.label("ext" + k);
            Label frag = a.label("frag" + k);
            Label ah = a.label("ah" + k);
            Label common = a.label("common" + k);
            for (int g : generic) {
                a.jump(JEQ, R3, g, gen);
            }
            a.jump(JEQ, R3, IpProtocols.FRAGMENT, frag);
            a.jump(JEQ, R3, IpProtocols.AH, ah);
            a.jumpAlways(transport);

            a.bind(gen);
            extensionLength(Ipv6Descriptor.EXT_LENGTH_OFFSET, 1, 3); // 8-byte units, not counting the first
            a.jumpAlways(common);

            a.bind(frag);
            a.movReg(R0, R5).alu(ADD, R0, Ipv6Descriptor.FRAG_HEADER_LENGTH);
            a.jumpReg(JGT, R0, R4, finish);
            read(H, R0, R5, Ipv6Descriptor.FRAG_OFFSET_FLAGS_OFFSET, finish);
            a.movReg(R2, R0).alu(AND, R2, 0xfff8);
            a.store(DW, R10, FRAG_OFFSET, R2);
            Label whole = a.label("v6whole" + k);
            a.storeImm(DW, R10, FRAG, 0); // each fragment header decides afresh, as in our parser
            a.alu(AND, R0, 0xfff9); // an offset or M
            a.jump(JEQ, R0, 0, whole);
            a.storeImm(DW, R10, FRAG, 1);
            a.bind(whole);
            a.mov(R2, Ipv6Descriptor.FRAG_HEADER_LENGTH);
            a.jumpAlways(common);

            a.bind(ah);
            extensionLength(Ipv6Descriptor.AH_LENGTH_OFFSET, 2, 2); // AH: 4-byte units, minus 2

            a.bind(common);
            a.movReg(R0, R5).aluReg(ADD, R0, R2);
            a.jumpReg(JGT, R0, R4, finish);
            read(B, R3, R5, Ipv6Descriptor.EXT_NEXT_HEADER_OFFSET, finish);
            a.aluReg(ADD, R5, R2);
            a.load(DW, R0, R10, FRAG_OFFSET);
            a.jump(JNE, R0, 0, transport); // what follows a later fragment's header is payload
        }
    }

    /**
     * R2 = the length of the extension header at R5, {@code (length byte + add) << shift}; a header
     * whose first 8 bytes pass the datagram's end (R4) ends the walk.
     */
    private void extensionLength(int lengthOffset, int add, int shift) {
        a.movReg(R0, R5).alu(ADD, R0, Ipv6Descriptor.EXT_MIN_LENGTH);
        a.jumpReg(JGT, R0, R4, finish);
        read(B, R2, R5, lengthOffset, finish);
        a.alu(ADD, R2, add).alu(LSH, R2, shift);
    }

    /** R3 = protocol, R5 = transport offset, R4 = datagram end. */
    private void transport() {
        a.movReg(R0, R3).alu(LSH, R0, PROTOCOL_SHIFT).alu(OR, R0, (int) PROTOCOL_KNOWN);
        a.load(DW, R1, R10, word(META));
        a.aluReg(OR, R1, R0);
        storeWord(META, R1);
        a.load(DW, R0, R10, FRAG_OFFSET);
        a.jump(JNE, R0, 0, finish);
        a.movReg(R0, R5).alu(ADD, R0, 4);
        a.jumpReg(JGT, R0, R4, finish);
        read(W, R0, R5, 0, finish);
        storeWord(L4, R0);
        orMeta((int) L4_KNOWN);
    }

    // ---------------------------------------------------------------- matching

    private void match(List<RxFlowSpec> rules, int xskMapFd, int countersFd) {
        a.jumpAlways(finish); // the parse fell through: every field it could read is in the key
        a.bind(unjudged);
        boolean ipv6Rules = rules.stream().anyMatch(r -> r.flowType().ipVersion() != 4);
        if (ipv6Rules && xskMapFd < 0) {
            a.ret(TEST_MATCH);
        } else if (ipv6Rules) {
            a.load(W, R2, R_CTX, Bpf.XDP_MD_RX_QUEUE_INDEX);
            a.loadMap(R1, xskMapFd);
            a.mov(R3, 0); // no socket on this queue: XDP_ABORTED back, and the rules decide below
            a.call(Bpf.HELPER_REDIRECT_MAP);
            a.jump(JNE, R0, Bpf.XDP_REDIRECT, finish);
            a.exit();
        }
        a.bind(finish);
        // An IP packet that is not a fragment says so (our parser's rule, whatever else it found).
        Label done = a.label("meta");
        a.load(DW, R0, R10, word(META));
        a.movReg(R1, R0).alu(AND, R1, (int) IP_VERSION_MASK);
        a.jump(JEQ, R1, 0, done);
        a.load(DW, R1, R10, FRAG);
        a.jump(JNE, R1, 0, done);
        a.alu(OR, R0, (int) NOT_FRAGMENT);
        storeWord(META, R0);
        a.bind(done);

        long[] value = new long[WORDS];
        long[] mask = new long[WORDS];
        for (int r = 0; r < rules.size(); r++) {
            RxFlowSpec rule = rules.get(r);
            NtupleClassifier.ruleWords(rule, value, mask);
            Label next = a.label("rule" + (r + 1));
            for (int i = 0; i < WORDS; i++) {
                if (mask[i] == 0) {
                    continue;
                }
                a.load(DW, R0, R10, word(i));
                if (mask[i] != -1L) {
                    if (mask[i] > 0 && mask[i] <= Integer.MAX_VALUE) {
                        a.alu(AND, R0, (int) mask[i]);
                    } else {
                        a.load64(R1, mask[i]);
                        a.aluReg(AND, R0, R1);
                    }
                }
                if (value[i] >= 0 && value[i] <= Integer.MAX_VALUE) {
                    a.jump(JNE, R0, (int) value[i], next);
                } else {
                    a.load64(R1, value[i]);
                    a.jumpReg(JNE, R0, R1, next);
                }
            }
            if (rule.isDrop()) {
                if (countersFd >= 0) {
                    Label drop = a.label("drop" + (r + 1));
                    a.storeImm(W, R10, COUNTER_KEY, r);
                    a.loadMap(R1, countersFd);
                    a.movReg(R2, R10);
                    a.alu(ADD, R2, COUNTER_KEY);
                    a.call(Bpf.HELPER_MAP_LOOKUP_ELEM);
                    a.jump(JEQ, R0, 0, drop);
                    a.load(DW, R1, R0, 0);
                    a.alu(ADD, R1, 1);
                    a.store(DW, R0, 0, R1); // a per-CPU value: no other CPU writes it
                    a.bind(drop);
                }
                a.ret(Bpf.XDP_DROP);
            } else if (xskMapFd < 0) {
                a.ret(TEST_MATCH);
            } else {
                a.load(W, R2, R_CTX, Bpf.XDP_MD_RX_QUEUE_INDEX);
                a.loadMap(R1, xskMapFd);
                a.mov(R3, Bpf.XDP_PASS);
                a.call(Bpf.HELPER_REDIRECT_MAP);
                a.exit();
            }
            a.bind(next);
        }
        a.bind(pass);
        a.ret(Bpf.XDP_PASS);
    }
}
