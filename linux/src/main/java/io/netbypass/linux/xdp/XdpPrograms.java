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
        a.storeImm(W, R10, -4, 0);
        a.loadMap(R1, countsMapFd);
        a.movReg(R2, R10);
        a.alu(ADD, R2, -4);
        a.call(Bpf.HELPER_MAP_LOOKUP_ELEM);
        a.jump(JEQ, R0, 0, drop);
        a.load(DW, R1, R0, 0);
        a.alu(ADD, R1, 1);
        a.store(DW, R0, 0, R1);
        a.bind(drop);
        a.ret(Bpf.XDP_DROP);
        if (queue >= 0) {
            // Only reachable with a queue test: the verifier refuses unreachable instructions.
            a.bind(pass);
            a.ret(Bpf.XDP_PASS);
        }
        return a;
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
