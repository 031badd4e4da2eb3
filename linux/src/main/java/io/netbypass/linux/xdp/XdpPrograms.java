package io.netbypass.linux.xdp;

import io.netbypass.linux.bpf.Bpf;
import io.netbypass.linux.bpf.BpfAssembler;

import static io.netbypass.linux.bpf.BpfAssembler.*;

/** The XDP programs netbypass generates. */
public final class XdpPrograms {
    private XdpPrograms() {
    }

    /**
     * Queue mode: a packet goes to the AF_XDP socket bound on the queue it arrived on, when one
     * is in {@code xskMap}; every other packet passes to the kernel. (bpf_redirect_map returns the
     * low bits of its flags argument, here XDP_PASS, when the key has no socket.)
     */
    public static BpfAssembler queueRedirect(int xskMapFd) {
        BpfAssembler a = new BpfAssembler();
        a.load(W, R2, R1, Bpf.XDP_MD_RX_QUEUE_INDEX);
        a.loadMap(R1, xskMapFd);
        a.mov(R3, Bpf.XDP_PASS);
        a.call(Bpf.HELPER_REDIRECT_MAP);
        a.exit();
        return a;
    }

    /**
     * Drops in the driver every packet of RX queue {@code queue} ({@code -1}: of every queue),
     * adding one to the u64 at key 0 of {@code countsMapFd}, a per-CPU array (no atomics needed);
     * other queues' packets pass to the kernel.
     */
    public static BpfAssembler countingDrop(int queue, int countsMapFd) {
        BpfAssembler a = new BpfAssembler();
        BpfAssembler.Label pass = a.label("pass");
        BpfAssembler.Label drop = a.label("drop");
        if (queue >= 0) {
            a.load(W, R2, R1, Bpf.XDP_MD_RX_QUEUE_INDEX);
            a.jump(JNE, R2, queue, pass);
        }
        countAndDrop(a, countsMapFd, -4, drop);
        if (queue >= 0) {
            // Only reachable with a queue test: the verifier refuses unreachable instructions.
            a.bind(pass);
            a.ret(Bpf.XDP_PASS);
        }
        return a;
    }

    /**
     * Drops in the driver every packet whose IPv4 or IPv6 source is in a {@link PrefixMap}
     * ({@code v4} and {@code v6}: its tries), counting each drop at key 0 of the per-CPU array
     * {@code countsMapFd}; every other packet (a source not listed, a frame that is not IP right
     * after the Ethernet header, VLAN-tagged ones included, or too short) goes on to the kernel.
     */
    public static BpfAssembler sourceListDrop(int v4, int v6, int countsMapFd) {
        BpfAssembler a = new BpfAssembler();
        BpfAssembler.Label pass = a.label("pass");
        BpfAssembler.Label ipv6 = a.label("ipv6");
        BpfAssembler.Label lookup = a.label("lookup");
        BpfAssembler.Label drop = a.label("drop");
        ipv4Header(a, pass, ipv6);
        a.storeImm(W, R10, -8, 32); // key: /32, then the source address as it is in the packet
        a.load(W, R3, R7, 26);
        a.store(W, R10, -4, R3);
        a.loadMap(R1, v4);
        a.movReg(R2, R10);
        a.alu(ADD, R2, -8);
        a.jumpAlways(lookup);
        ipv6Header(a, ipv6, pass);
        a.storeImm(W, R10, -24, 128); // key: /128, then the 16 source bytes
        for (int i = 0; i < 4; i++) {
            a.load(W, R3, R7, 22 + 4 * i);
            a.store(W, R10, -20 + 4 * i, R3);
        }
        a.loadMap(R1, v6);
        a.movReg(R2, R10);
        a.alu(ADD, R2, -24);
        a.bind(lookup);
        a.call(Bpf.HELPER_MAP_LOOKUP_ELEM);
        a.jump(JEQ, R0, 0, pass);
        countAndDrop(a, countsMapFd, -28, drop);
        a.bind(pass);
        a.ret(Bpf.XDP_PASS);
        return a;
    }

    /**
     * As {@link #sourceListDrop}, with the list in a {@link PrefixHash}: one probe per prefix
     * length the list holds instead of a trie lookup.
     */
    public static BpfAssembler sourceHashDrop(PrefixHash list, int countsMapFd) {
        BpfAssembler a = new BpfAssembler();
        BpfAssembler.Label pass = a.label("pass");
        BpfAssembler.Label ipv6 = a.label("ipv6");
        BpfAssembler.Label drop = a.label("drop");
        final int high = -8;
        final int low = -16;
        final int key = -40;
        ipv4Header(a, pass, ipv6);
        a.load(W, R3, R7, 26);
        a.toBigEndian(R3, 32);
        a.store(DW, R10, low, R3);
        PrefixHash.probe4(a, list.ipv4(), list.ipv4Lengths(), low, key, drop);
        a.jumpAlways(pass);
        ipv6Header(a, ipv6, pass);
        a.load(DW, R3, R7, 22);
        a.toBigEndian(R3, 64);
        a.store(DW, R10, high, R3);
        a.load(DW, R3, R7, 30);
        a.toBigEndian(R3, 64);
        a.store(DW, R10, low, R3);
        PrefixHash.probe6(a, list.ipv6(), list.ipv6Lengths(), high, low, key, drop);
        a.bind(pass);
        a.ret(Bpf.XDP_PASS);
        a.bind(drop);
        countAndDrop(a, countsMapFd, -44, a.label("counted"));
        return a;
    }

    /**
     * The source-list programs' start: R7/R8 = the frame's start and end; an IPv4 header right after
     * the Ethernet header falls through with its first 34 bytes in the frame, IPv6 goes to {@code
     * ipv6} (R3 = the EtherType as stored), anything shorter to {@code pass}.
     */
    private static void ipv4Header(BpfAssembler a, BpfAssembler.Label pass, BpfAssembler.Label ipv6) {
        a.load(W, R7, R1, Bpf.XDP_MD_DATA);
        a.load(W, R8, R1, Bpf.XDP_MD_DATA_END);
        a.movReg(R2, R7);
        a.alu(ADD, R2, 14);
        a.jumpReg(JGT, R2, R8, pass);
        a.load(H, R3, R7, 12); // the EtherType as stored: 0x0008 is IPv4 read little-endian, 0xdd86 IPv6
        a.jump(JNE, R3, 0x0008, ipv6);
        a.movReg(R2, R7);
        a.alu(ADD, R2, 34);
        a.jumpReg(JGT, R2, R8, pass);
    }

    /** Binds {@code ipv6}: an IPv6 header whose source is in the frame falls through; anything else goes to {@code pass}. */
    private static void ipv6Header(BpfAssembler a, BpfAssembler.Label ipv6, BpfAssembler.Label pass) {
        a.bind(ipv6);
        a.jump(JNE, R3, 0xdd86, pass);
        a.movReg(R2, R7);
        a.alu(ADD, R2, 54);
        a.jumpReg(JGT, R2, R8, pass);
    }

    /**
     * Adds one to the u64 at key 0 of the per-CPU array {@code countsMapFd} (the key kept at stack
     * offset {@code keyAt}, a free slot) and returns XDP_DROP; {@code drop} is bound here.
     */
    private static void countAndDrop(BpfAssembler a, int countsMapFd, int keyAt, BpfAssembler.Label drop) {
        a.storeImm(W, R10, keyAt, 0);
        a.loadMap(R1, countsMapFd);
        a.movReg(R2, R10);
        a.alu(ADD, R2, keyAt);
        a.call(Bpf.HELPER_MAP_LOOKUP_ELEM);
        a.jump(JEQ, R0, 0, drop);
        a.load(DW, R1, R0, 0);
        a.alu(ADD, R1, 1);
        a.store(DW, R0, 0, R1);
        a.bind(drop);
        a.ret(Bpf.XDP_DROP);
    }

    /** Every packet dropped in the driver: the ceiling of this path, for benchmarks. */
    public static BpfAssembler dropAll() {
        return new BpfAssembler().ret(Bpf.XDP_DROP);
    }

    /** Every packet on to the kernel, as if no program were there. */
    public static BpfAssembler passAll() {
        return new BpfAssembler().ret(Bpf.XDP_PASS);
    }
}
