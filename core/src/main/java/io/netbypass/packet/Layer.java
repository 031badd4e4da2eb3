package io.netbypass.packet;

/** The deepest layer the parser decoded completely. */
public enum Layer {
    NONE, LINK, NETWORK, TRANSPORT
}
