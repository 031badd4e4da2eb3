package io.netbypass.linux.xdp;

import io.netbypass.linux.bpf.BpfAssembler;
import io.netbypass.linux.bpf.BpfAssembler.Label;

import static io.netbypass.linux.bpf.BpfAssembler.*;

/**
 * Bounds-checked packet reads for the XDP programs that parse headers, with the packet's start
 * in {@link #DATA} and its end in {@link #END} (callee-saved, so they survive helper calls).
 */
final class PacketReads {
    static final int DATA = R7;
    static final int END = R8;
    /** Offsets stay below this, so the verifier can bound every packet pointer. */
    static final int MAX_OFFSET = 0x3fff;

    private PacketReads() {
    }

    /**
     * {@code dst = size bytes at packet offset (offsetReg + disp)}, network order to host; out of
     * bounds goes to {@code fail}. Uses R1 only, so callers keep values in R0 and R2-R5 across reads.
     */
    static void read(BpfAssembler a, int size, int dst, int offsetReg, int disp, Label fail) {
        int bytes = size == B ? 1 : size == H ? 2 : size == W ? 4 : 8;
        a.jump(JGT, offsetReg, MAX_OFFSET, fail);
        a.movReg(R1, DATA).aluReg(ADD, R1, offsetReg).alu(ADD, R1, disp + bytes);
        a.jumpReg(JGT, R1, END, fail);
        a.load(size, dst, R1, -bytes);
        if (bytes > 1) {
            a.toBigEndian(dst, bytes * 8);
        }
    }
}
