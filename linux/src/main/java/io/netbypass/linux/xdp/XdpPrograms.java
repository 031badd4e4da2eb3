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

    /** Every packet dropped in the driver: the ceiling of this path, for benchmarks. */
    public static BpfAssembler dropAll() {
        return new BpfAssembler().ret(Bpf.XDP_DROP);
    }

    /** Every packet on to the kernel, as if no program were there. */
    public static BpfAssembler passAll() {
        return new BpfAssembler().ret(Bpf.XDP_PASS);
    }
}
