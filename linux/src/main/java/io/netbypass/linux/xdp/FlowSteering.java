package io.netbypass.linux.xdp;

import io.netbypass.linux.bpf.BpfAssembler;
import io.netbypass.scaling.ntuple.RxFlowSpec;

import java.util.List;

/** Flow mode: an XDP program that sends only packets matching ntuple rules to their queue's socket. */
public final class FlowSteering {
    private FlowSteering() {
    }

    public static BpfAssembler program(List<RxFlowSpec> rules, int xskMapFd) {
        throw new UnsupportedOperationException("flow steering in XDP is not built yet");
    }
}
