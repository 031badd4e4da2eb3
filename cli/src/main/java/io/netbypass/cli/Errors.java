package io.netbypass.cli;

import io.netbypass.filter.rules.RuleSyntaxException;
import io.netbypass.util.UserException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.util.StringJoiner;

/**
 * Turns an exception into what an operator reads: the one line a {@link UserException} (or an
 * I/O error, a rule that does not parse) carries; for anything else, a bug of ours, "internal
 * error" with its stack trace in one log line, so that the report can be pasted into an issue.
 */
final class Errors {
    private Errors() {
    }

    static String oneLine(Throwable e) {
        if (e instanceof UncheckedIOException u && u.getCause() != null) {
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
        if (e instanceof UserException || e instanceof IOException || e instanceof RuleSyntaxException) {
            return message.replace('\n', ' ');
        }
        return ("internal error: " + e.getClass().getName() + (e.getMessage() == null ? "" : ": " + e.getMessage())
                + "; please report it with this line: " + trace(e)).replace('\n', ' ');
    }

    /** The stack trace as one line: frames joined by " < ", causes after " caused by ". */
    static String trace(Throwable e) {
        StringJoiner j = new StringJoiner(" < ");
        for (StackTraceElement f : e.getStackTrace()) {
            j.add(f.toString());
        }
        String s = "at " + j;
        Throwable cause = e.getCause();
        if (cause != null && cause != e) {
            s += " caused by " + cause.getClass().getName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage())
                    + " " + trace(cause);
        }
        return s;
    }
}
