package io.netbypass.filter.rules;

import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * A parsed rule file: rules in order (the first that matches decides) and what happens to a
 * packet no rule matches ({@code default}; pass when the file does not say).
 */
public record RuleSet(String source, List<Rule> rules, Action defaultAction) {
    public RuleSet {
        rules = List.copyOf(rules);
        if (defaultAction.kind() != Action.Kind.DROP && defaultAction.kind() != Action.Kind.PASS) {
            throw new IllegalArgumentException("default is drop or pass");
        }
    }

    public int size() {
        return rules.size();
    }

    public Rule rule(int i) {
        return rules.get(i);
    }

    /** The prefix-list files the rules name, each once (what a reload on change must watch too). */
    public List<Path> listFiles() {
        LinkedHashSet<Path> out = new LinkedHashSet<>();
        for (Rule r : rules) {
            for (Match m : r.matches()) {
                Match x = m instanceof Match.Not n ? n.match() : m;
                if (x instanceof Match.AddressList a) {
                    out.add(a.list().path());
                }
            }
        }
        return List.copyOf(out);
    }
}
