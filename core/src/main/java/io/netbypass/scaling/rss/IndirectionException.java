package io.netbypass.scaling.rss;

import io.netbypass.util.UserException;

/** A table layout ethtool would refuse; the message is ethtool's reason. */
public final class IndirectionException extends UserException {
    public IndirectionException(String message) {
        super(message);
    }
}
