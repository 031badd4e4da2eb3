package io.netbypass.port;

/** A port cannot be opened or used as asked; the message is one line for the operator. */
public final class PortException extends RuntimeException {
    public PortException(String message) {
        super(message, null, false, false);
    }
}
