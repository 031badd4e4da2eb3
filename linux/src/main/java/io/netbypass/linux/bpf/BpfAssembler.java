package io.netbypass.linux.bpf;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * A small eBPF assembler for the programs netbypass emits: register moves and ALU, loads and
 * stores, byte swaps, conditional jumps to labels, 64-bit immediates carrying a map fd, helper
 * calls and exit. Instructions are 8 bytes: opcode, {@code dst | src << 4}, a signed 16-bit
 * offset, a signed 32-bit immediate (little-endian on x86-64).
 */
public final class BpfAssembler {
    public static final int R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R5 = 5, R6 = 6, R7 = 7, R8 = 8, R9 = 9, R10 = 10;

    // classes
    private static final int LD = 0x00, LDX = 0x01, STX = 0x03, ALU = 0x04, JMP = 0x05, ALU64 = 0x07, ST = 0x02;
    // sizes
    public static final int W = 0x00, H = 0x08, B = 0x10, DW = 0x18;
    // modes
    private static final int IMM = 0x00, MEM = 0x60;
    // sources
    private static final int K = 0x00, X = 0x08;
    // ALU ops
    public static final int ADD = 0x00, SUB = 0x10, MUL = 0x20, OR = 0x40, AND = 0x50, LSH = 0x60, RSH = 0x70, XOR = 0xa0,
            MOV = 0xb0;
    private static final int END = 0xd0, TO_BE = 0x08;
    // jump ops
    public static final int JEQ = 0x10, JGT = 0x20, JGE = 0x30, JSET = 0x40, JNE = 0x50, JLT = 0xa0, JLE = 0xb0;
    private static final int JA = 0x00, CALL = 0x80, EXIT = 0x90;
    private static final int PSEUDO_MAP_FD = 1;

    /** A jump target; bind it where it should point. */
    public static final class Label {
        private int at = -1;
        private final String name;

        private Label(String name) {
            this.name = name;
        }
    }

    private record Insn(int opcode, int dst, int src, int offset, int imm, Label target) {
    }

    private final List<Insn> code = new ArrayList<>();

    public Label label(String name) {
        return new Label(name);
    }

    /** The next instruction is {@code label}'s target. */
    public BpfAssembler bind(Label label) {
        if (label.at >= 0) {
            throw new IllegalStateException("label " + label.name + " bound twice");
        }
        label.at = code.size();
        return this;
    }

    private BpfAssembler emit(int opcode, int dst, int src, int offset, int imm, Label target) {
        if (dst < 0 || dst > 10 || src < 0 || src > 10) {
            throw new IllegalArgumentException("no register r" + Math.max(dst, src));
        }
        if (offset < Short.MIN_VALUE || offset > Short.MAX_VALUE) {
            throw new IllegalArgumentException("offset " + offset + " does not fit 16 bits");
        }
        code.add(new Insn(opcode, dst, src, offset, imm, target));
        return this;
    }

    // ---------------------------------------------------------------- ALU

    /** {@code dst = imm} (64-bit, sign-extended). */
    public BpfAssembler mov(int dst, int imm) {
        return emit(ALU64 | MOV | K, dst, 0, 0, imm, null);
    }

    /** {@code dst = src} (64-bit). */
    public BpfAssembler movReg(int dst, int src) {
        return emit(ALU64 | MOV | X, dst, src, 0, 0, null);
    }

    /** {@code dst op= imm} (64-bit): op one of ADD SUB MUL OR AND LSH RSH XOR. */
    public BpfAssembler alu(int op, int dst, int imm) {
        return emit(ALU64 | op | K, dst, 0, 0, imm, null);
    }

    /** {@code dst op= src} (64-bit). */
    public BpfAssembler aluReg(int op, int dst, int src) {
        return emit(ALU64 | op | X, dst, src, 0, 0, null);
    }

    /** {@code dst = htobe(dst)} over 16, 32 or 64 bits: network order to host order for comparisons. */
    public BpfAssembler toBigEndian(int dst, int bits) {
        if (bits != 16 && bits != 32 && bits != 64) {
            throw new IllegalArgumentException("byte swap of " + bits + " bits");
        }
        return emit(ALU | END | TO_BE, dst, 0, 0, bits, null);
    }

    // ---------------------------------------------------------------- memory

    /** {@code dst = *(size *)(src + offset)}; size one of B H W DW. */
    public BpfAssembler load(int size, int dst, int src, int offset) {
        return emit(LDX | MEM | size, dst, src, offset, 0, null);
    }

    /** {@code *(size *)(dst + offset) = src}. */
    public BpfAssembler store(int size, int dst, int offset, int src) {
        return emit(STX | MEM | size, dst, src, offset, 0, null);
    }

    /** {@code *(size *)(dst + offset) = imm}. */
    public BpfAssembler storeImm(int size, int dst, int offset, int imm) {
        return emit(ST | MEM | size, dst, 0, offset, imm, null);
    }

    /** {@code dst = map} by file descriptor (the two-slot 64-bit immediate the loader rewrites). */
    public BpfAssembler loadMap(int dst, int mapFd) {
        emit(LD | DW | IMM, dst, PSEUDO_MAP_FD, 0, mapFd, null);
        return emit(0, 0, 0, 0, 0, null);
    }

    /** {@code dst = imm64}. */
    public BpfAssembler load64(int dst, long imm) {
        emit(LD | DW | IMM, dst, 0, 0, (int) imm, null);
        return emit(0, 0, 0, 0, (int) (imm >>> 32), null);
    }

    // ---------------------------------------------------------------- jumps

    /** {@code if (dst op imm) goto target} (64-bit compare); op one of JEQ JNE JGT JGE JLT JLE JSET. */
    public BpfAssembler jump(int op, int dst, int imm, Label target) {
        return emit(JMP | op | K, dst, 0, 0, imm, target);
    }

    /** {@code if (dst op src) goto target}. */
    public BpfAssembler jumpReg(int op, int dst, int src, Label target) {
        return emit(JMP | op | X, dst, src, 0, 0, target);
    }

    public BpfAssembler jumpAlways(Label target) {
        return emit(JMP | JA, 0, 0, 0, 0, target);
    }

    /** Calls kernel helper {@code id}: arguments in r1-r5, result in r0. */
    public BpfAssembler call(int helper) {
        return emit(JMP | CALL, 0, 0, 0, helper, null);
    }

    public BpfAssembler exit() {
        return emit(JMP | EXIT, 0, 0, 0, 0, null);
    }

    /** {@code return value}. */
    public BpfAssembler ret(int value) {
        mov(R0, value);
        return exit();
    }

    public int size() {
        return code.size();
    }

    /** The encoded program, labels resolved. */
    public byte[] assemble() {
        byte[] out = new byte[code.size() * 8];
        MemorySegment s = MemorySegment.ofArray(out);
        for (int i = 0; i < code.size(); i++) {
            Insn n = code.get(i);
            int offset = n.offset;
            if (n.target != null) {
                if (n.target.at < 0) {
                    throw new IllegalStateException("label " + n.target.name + " never bound");
                }
                offset = n.target.at - (i + 1);
                if (offset < Short.MIN_VALUE || offset > Short.MAX_VALUE) {
                    throw new IllegalStateException("jump to " + n.target.name + " is too far");
                }
            }
            long at = i * 8L;
            s.set(ValueLayout.JAVA_BYTE, at, (byte) n.opcode);
            s.set(ValueLayout.JAVA_BYTE, at + 1, (byte) (n.dst | n.src << 4));
            s.set(ValueLayout.JAVA_SHORT_UNALIGNED, at + 2, (short) offset);
            s.set(ValueLayout.JAVA_INT_UNALIGNED, at + 4, n.imm);
        }
        return out;
    }

    /** The program in off-heap memory for bpf(BPF_PROG_LOAD). */
    public MemorySegment assemble(Arena arena) {
        byte[] b = assemble();
        MemorySegment s = arena.allocate(b.length, 8);
        MemorySegment.copy(b, 0, s, ValueLayout.JAVA_BYTE, 0, b.length);
        return s;
    }
}
