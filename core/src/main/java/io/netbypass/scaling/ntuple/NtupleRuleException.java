package io.netbypass.scaling.ntuple;

import io.netbypass.util.UserException;

/** A well-formed rule the device refuses (no room, no such queue, unsupported field). */
public final class NtupleRuleException extends UserException {
    public NtupleRuleException(String message) {
        super(message);
    }
}
