package io.netbypass.scaling.rss;

/** A table layout ethtool would refuse; the message is ethtool's reason. */
public final class IndirectionException extends IllegalArgumentException {
    public IndirectionException(String message) {
        super(message);
    }
}
