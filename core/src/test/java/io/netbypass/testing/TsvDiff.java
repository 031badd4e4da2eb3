package io.netbypass.testing;

import java.util.ArrayList;
import java.util.List;

/**
 * Compares two field dumps row by row: a difference in any field's first occurrence is an error;
 * rows that differ only in later occurrences (tunnels, quoted headers) are listed as notes.
 */
public final class TsvDiff {
    public final List<String> errors = new ArrayList<>();
    public final List<String> laterOccurrenceNotes = new ArrayList<>();

    public static TsvDiff compare(String what, List<String> expected, List<String> actual) {
        TsvDiff d = new TsvDiff();
        if (expected.size() != actual.size()) {
            d.errors.add(what + ": " + expected.size() + " lines expected, " + actual.size() + " produced");
        }
        String[] header = expected.isEmpty() ? new String[0] : expected.get(0).split("\t", -1);
        for (int i = 0; i < Math.min(expected.size(), actual.size()); i++) {
            String e = expected.get(i);
            String a = actual.get(i);
            if (e.equals(a)) {
                continue;
            }
            String[] ec = e.split("\t", -1);
            String[] ac = a.split("\t", -1);
            if (ec.length != ac.length) {
                d.errors.add(what + " line " + (i + 1) + ": " + ec.length + " columns expected, " + ac.length + " produced");
                continue;
            }
            for (int c = 0; c < ec.length; c++) {
                if (ec[c].equals(ac[c])) {
                    continue;
                }
                String name = c < header.length ? header[c] : "column " + c;
                String ef = ec[c].split(",", -1)[0];
                String af = ac[c].split(",", -1)[0];
                String detail = what + " line " + (i + 1) + " " + name + ": expected '" + ec[c] + "', got '" + ac[c] + "'";
                if (ef.equals(af)) {
                    d.laterOccurrenceNotes.add(detail);
                } else {
                    d.errors.add(detail);
                }
            }
        }
        return d;
    }
}
