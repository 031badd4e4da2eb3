package io.netbypass.dissect;

import java.util.ArrayList;
import java.util.List;

/** The values one frame gave each {@link DumpField}, in the order the dissector met them (outer first). */
public final class FieldRow {
    private final List<List<String>> values = new ArrayList<>();

    public FieldRow() {
        for (int i = 0; i < DumpField.values().length; i++) {
            values.add(new ArrayList<>(2));
        }
    }

    void add(DumpField field, String value) {
        values.get(field.ordinal()).add(value);
    }

    void add(DumpField field, long value) {
        add(field, Long.toString(value));
    }

    /** Every occurrence of {@code field}, outermost first. */
    public List<String> all(DumpField field) {
        return values.get(field.ordinal());
    }

    /** The first occurrence, or "" when the field is absent. */
    public String first(DumpField field) {
        List<String> v = values.get(field.ordinal());
        return v.isEmpty() ? "" : v.get(0);
    }

    /** One TSV line: occurrences comma-joined, absent fields empty. */
    public String toTsv() {
        StringBuilder b = new StringBuilder(128);
        for (int i = 0; i < values.size(); i++) {
            if (i > 0) {
                b.append('\t');
            }
            List<String> v = values.get(i);
            for (int j = 0; j < v.size(); j++) {
                if (j > 0) {
                    b.append(',');
                }
                b.append(v.get(j));
            }
        }
        return b.toString();
    }
}
