package io.netbypass.filter.rules;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

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

    private static final Pattern AUTO_NAME = Pattern.compile("line-[0-9]+");

    /**
     * Which rule of {@code old} each rule of this set takes over at a reload (its counters, its
     * rate limiter), by index ({@code [size()]}: the default), or -1: a rule named by the operator
     * takes over its name's (its tests may have changed, or the list it reads); a rule without a
     * name (called {@code line-N} after its line, which another rule may take once lines move)
     * only the same rule's (tests, action, fail-closed); the default the old default when it has
     * the same action.
     */
    public int[] keptFrom(RuleSet old) {
        Map<String, Integer> byName = new HashMap<>();
        for (int o = 0; o < old.size(); o++) {
            byName.putIfAbsent(old.rule(o).name(), o);
        }
        int[] kept = new int[size() + 1];
        for (int r = 0; r < size(); r++) {
            Rule a = rule(r);
            Integer o = byName.get(a.name());
            kept[r] = o != null && (!AUTO_NAME.matcher(a.name()).matches() || same(a, old.rule(o))) ? o : -1;
        }
        kept[size()] = defaultAction.equals(old.defaultAction) ? old.size() : -1;
        return kept;
    }

    /** Whether two rules test and do the same (the name and the place aside). */
    public static boolean same(Rule a, Rule b) {
        return a.action().equals(b.action()) && a.failClosed() == b.failClosed() && a.matches().equals(b.matches());
    }
}
