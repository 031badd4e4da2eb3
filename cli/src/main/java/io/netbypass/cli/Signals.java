package io.netbypass.cli;

import io.netbypass.linux.Native;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import sun.misc.Signal;
import sun.misc.SignalHandler;

/** Signal handlers for commands that must end cleanly (give queues back, put settings back, print their summary). */
final class Signals {
    /** SIGINT's number on Linux: a shell starts background jobs with it ignored. */
    private static final int SIGINT = 2;

    private Signals() {
    }

    /** Installs a handler; returns how to put the previous one back. */
    private static Runnable handle(String name, SignalHandler handler) {
        if (name.equals("INT")) {
            Native.unignoreSignal(SIGINT); // else a run started in the background by a script could not be stopped with it
        }
        Signal s = new Signal(name);
        SignalHandler old = Signal.handle(s, handler);
        return () -> Signal.handle(s, old);
    }

    /**
     * A stop request from SIGINT, SIGTERM or SIGHUP (unless the command gives SIGHUP another
     * meaning), and from SIGUSR1, SIGUSR2 and SIGALRM, whose default action would end the process
     * without cleaning up. Installed before a command changes anything and closed only after it
     * has put everything back, so no signal in between ends it half-way; a second signal while it
     * cleans up is taken as the same request.
     */
    static final class Stop implements AutoCloseable {
        private final CountDownLatch latch = new CountDownLatch(1);
        private final List<Runnable> undo = new ArrayList<>();
        private volatile String signal;

        private Stop(SignalHandler hangup) {
            for (String name : new String[] {"INT", "TERM", "HUP", "USR1", "USR2", "ALRM"}) {
                SignalHandler h = name.equals("HUP") && hangup != null ? hangup : s -> request("SIG" + s.getName());
                try {
                    undo.add(handle(name, h));
                } catch (IllegalArgumentException e) {
                    // a signal the JVM keeps for itself: it never reaches the default action
                }
            }
        }

        /** Stop on every signal above. */
        static Stop install() {
            return new Stop(null);
        }

        /** Stop on every signal above but SIGHUP, which runs {@code hangup} instead (a reload). */
        static Stop install(SignalHandler hangup) {
            return new Stop(hangup);
        }

        void request(String why) {
            if (signal == null) {
                signal = why;
            }
            latch.countDown();
        }

        boolean requested() {
            return latch.getCount() == 0;
        }

        /** The signal that asked to stop, or null. */
        String signal() {
            return signal;
        }

        /** Waits for a stop request, at most {@code millis} ({@code <= 0}: for ever); true when one came. */
        boolean await(long millis) throws InterruptedException {
            if (millis <= 0) {
                latch.await();
                return true;
            }
            return latch.await(millis, TimeUnit.MILLISECONDS);
        }

        @Override
        public void close() {
            for (int i = undo.size() - 1; i >= 0; i--) {
                undo.get(i).run();
            }
            undo.clear();
        }
    }
}
