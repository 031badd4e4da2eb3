package io.netbypass.linux.bpf;

import io.netbypass.linux.bpf.BpfAssembler;
import io.netbypass.linux.xdp.XdpPrograms;

import java.util.HexFormat;

import org.junit.jupiter.api.Test;

import static io.netbypass.linux.bpf.BpfAssembler.*;
import static org.junit.jupiter.api.Assertions.*;

/** Encodings checked against the kernel's uapi (linux/bpf_common.h, linux/bpf.h) by hand. */
class BpfAssemblerTest {
    @Test
    void theQueueRedirectProgramEncodesAsLibxdpsDefault() {
        byte[] code = XdpPrograms.queueRedirect(7).assemble();
        assertEquals(String.join("",
                "61", "12", "1000", "00000000",   // r2 = *(u32 *)(r1 + 16): ctx->rx_queue_index
                "18", "11", "0000", "07000000",   // r1 = map fd 7 (ld_imm64, src = BPF_PSEUDO_MAP_FD)
                "00", "00", "0000", "00000000",
                "b7", "03", "0000", "02000000",   // r3 = XDP_PASS
                "85", "00", "0000", "33000000",   // call bpf_redirect_map (51)
                "95", "00", "0000", "00000000"),  // exit
                HexFormat.of().formatHex(code));
    }

    @Test
    void labelsResolveForwardAndBackward() {
        BpfAssembler a = new BpfAssembler();
        Label top = a.label("top");
        Label out = a.label("out");
        a.bind(top);
        a.jump(JEQ, R2, 53, out);       // 0: +2
        a.alu(ADD, R2, 1);              // 1
        a.jumpAlways(top);              // 2: -3
        a.bind(out);
        a.toBigEndian(R2, 16);          // 3
        a.ret(2);                       // 4, 5
        byte[] c = a.assemble();
        assertEquals("15", HexFormat.of().formatHex(c, 0, 1));
        assertEquals("0200", HexFormat.of().formatHex(c, 2, 4), "jeq skips two");
        assertEquals("fdff", HexFormat.of().formatHex(c, 18, 20), "ja back three");
        assertEquals("dc02000010000000", HexFormat.of().formatHex(c, 24, 32), "be16 r2");
        assertThrows(IllegalStateException.class, () -> {
            BpfAssembler b = new BpfAssembler();
            b.jumpAlways(b.label("nowhere"));
            b.assemble();
        });
        assertThrows(IllegalArgumentException.class, () -> new BpfAssembler().mov(11, 0));
    }
}
