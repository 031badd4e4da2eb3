package io.netbypass.scaling.ntuple;

/** A well-formed rule the device refuses (no room, no such queue, unsupported field). */
public final class NtupleRuleException extends IllegalArgumentException {
    public NtupleRuleException(String message) {
        super(message);
    }
}
