package io.netbypass.linux;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * One thread that has entered a network namespace (setns is per thread): ports and sockets made
 * on it live in that namespace, and a port is used from the one thread that opened it.
 */
public final class InNamespace implements AutoCloseable {
    private final ExecutorService thread;

    public InNamespace(String ns) throws Exception {
        thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "in-" + ns);
            t.setDaemon(true);
            return t;
        });
        call(() -> {
            Native.enterNetworkNamespace(ns);
            return null;
        });
    }

    public <T> T call(Callable<T> work) throws Exception {
        try {
            return thread.submit(work).get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception x) {
                throw x;
            }
            throw e;
        }
    }

    public <T> Future<T> submit(Callable<T> work) {
        return thread.submit(work);
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
