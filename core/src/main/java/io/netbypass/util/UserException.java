package io.netbypass.util;

/**
 * Something the operator asked for or has that we refuse: a bad option value, a rule that does
 * not parse, an interface that is not there. Its message is the whole story, one line naming
 * what and, where there is one, the remedy; a command prints it and nothing else. Anything
 * else that escapes a command is a bug in netbypass, reported with its stack trace.
 */
public class UserException extends RuntimeException {
    public UserException(String message) {
        super(message);
    }

    public UserException(String message, Throwable cause) {
        super(message, cause);
    }

    /** Without a stack trace: for refusals made often enough (a port that cannot open) that it costs. */
    protected UserException(String message, boolean stackTrace) {
        super(message, null, false, stackTrace);
    }
}
