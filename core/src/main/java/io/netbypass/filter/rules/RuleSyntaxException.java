package io.netbypass.filter.rules;

/** A rule file error at {@code file:line:col}; {@link #getMessage()} is the whole one-line report. */
public final class RuleSyntaxException extends Exception {
    private final String file;
    private final int line;
    private final int column;
    private final String reason;

    public RuleSyntaxException(String file, int line, int column, String reason) {
        super(file + ":" + line + ":" + column + ": " + reason);
        this.file = file;
        this.line = line;
        this.column = column;
        this.reason = reason;
    }

    public String file() {
        return file;
    }

    public int line() {
        return line;
    }

    public int column() {
        return column;
    }

    /** The message without the position. */
    public String reason() {
        return reason;
    }
}
