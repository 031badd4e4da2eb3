package io.netbypass.scaling.ntuple;

import io.netbypass.util.UserException;

/** A rule ethtool would refuse; the message is ethtool's and names the offending word. */
public final class NtupleSyntaxException extends UserException {
    public NtupleSyntaxException(String message) {
        super(message);
    }
}
