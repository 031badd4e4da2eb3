package io.netbypass.port;

import io.netbypass.util.UserException;

/** A port cannot be opened or used as asked; the message is one line for the operator. */
public final class PortException extends UserException {
    public PortException(String message) {
        super(message, false);
    }
}
