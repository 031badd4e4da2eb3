package io.netbypass.filter.rules;

import java.util.List;

/**
 * One rule: what to do with packets that pass every test. {@code line} is where it was written.
 * A {@code failClosed} rule also takes a malformed packet whose fields it could not read: every
 * test on a field past where the parser stopped holds, negated or not (docs/FILTER.md).
 * {@code columns}: where each test starts on its line, for errors found later (a contradiction).
 */
public record Rule(int line, String name, Action action, List<Match> matches, boolean failClosed, List<Integer> columns) {
    public Rule {
        matches = List.copyOf(matches);
        columns = List.copyOf(columns);
    }

    public Rule(int line, String name, Action action, List<Match> matches) {
        this(line, name, action, matches, false, List.of());
    }

    /** The column test {@code i} starts at (1 when not known). */
    public int column(int i) {
        return i < columns.size() ? columns.get(i) : 1;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder(action.toString());
        for (Match m : matches) {
            b.append(' ').append(m);
        }
        if (failClosed) {
            b.append(" fail-closed");
        }
        return b.append(" name ").append(name).toString();
    }
}
