package io.netbypass.cli;

import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;

/** Turns an exception into the one line an operator reads. */
final class Errors {
    private Errors() {
    }

    static String oneLine(Throwable e) {
        if (e instanceof java.io.UncheckedIOException u && u.getCause() != null) {
            return oneLine(u.getCause()); // an I/O error from inside a stream: "No space left on device"
        }
        if (e instanceof InternalError && e.getMessage() != null && e.getMessage().contains("unsafe memory access")) {
            return "a file this command had mapped was cut short while it was read (another process truncated or"
                    + " replaced it): run again on a copy";
        }
        if (e instanceof OutOfMemoryError) {
            return "out of memory: the Java heap is full (" + (Runtime.getRuntime().maxMemory() >> 20) + " MiB); give it more"
                    + " with NETBYPASS_JAVA_OPTS=-Xmx..., or fewer rules (a list file for many addresses)";
        }
        if (e instanceof NoSuchFileException n) {
            return n.getFile() + ": no such file";
        }
        if (e instanceof AccessDeniedException a) {
            return a.getFile() + ": permission denied";
        }
        String message = e.getMessage();
        if (message == null || message.isBlank()) {
            message = e.getClass().getSimpleName();
        }
        if (e instanceof io.netbypass.port.PortException) {
            return message.replace('\n', ' ');
        }
        if (e instanceof OutOfMemoryError || e instanceof StackOverflowError || e instanceof RuntimeException
                && !(e instanceof IllegalArgumentException) && !(e instanceof IllegalStateException)
                && !(e instanceof UnsupportedOperationException)) {
            message = "internal error: " + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage())
                    + " (set NETBYPASS_DEBUG=1 for the stack trace)";
        }
        return message.replace('\n', ' ');
    }
}
