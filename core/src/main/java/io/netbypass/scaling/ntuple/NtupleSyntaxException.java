package io.netbypass.scaling.ntuple;

/** A rule ethtool would refuse; the message is ethtool's and names the offending word. */
public final class NtupleSyntaxException extends IllegalArgumentException {
    public NtupleSyntaxException(String message) {
        super(message);
    }
}
