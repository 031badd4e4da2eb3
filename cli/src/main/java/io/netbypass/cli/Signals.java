package io.netbypass.cli;

import sun.misc.Signal;
import sun.misc.SignalHandler;

/** Signal handlers for commands that must end cleanly (give queues back, print their summary). */
final class Signals {
    private Signals() {
    }

    /** Installs a handler; returns how to put the previous one back. */
    static Runnable handle(String name, SignalHandler handler) {
        Signal s = new Signal(name);
        SignalHandler old = Signal.handle(s, handler);
        return () -> Signal.handle(s, old);
    }
}
