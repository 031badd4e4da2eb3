package io.netbypass.filter.rules;

import java.util.List;

/** One rule: what to do with packets that pass every test. {@code line} is where it was written. */
public record Rule(int line, String name, Action action, List<Match> matches) {
    public Rule {
        matches = List.copyOf(matches);
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder(action.toString());
        for (Match m : matches) {
            b.append(' ').append(m);
        }
        return b.append(" name ").append(name).toString();
    }
}
