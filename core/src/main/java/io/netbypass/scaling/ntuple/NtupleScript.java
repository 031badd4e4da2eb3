package io.netbypass.scaling.ntuple;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A file of ethtool ntuple commands, one per line, applied in order to an {@link NtupleTable}:
 * {@code flow-type ...} inserts, {@code delete N} removes. A line may carry the whole command
 * ({@code ethtool -N eth0 flow-type ...}); {@code #} starts a comment. Nothing is applied unless
 * every line is good: the first bad line is reported with its number.
 */
public final class NtupleScript {
    private NtupleScript() {
    }

    /** One parsed line: an insert (spec) or a delete (location). */
    public record Command(int line, RxFlowSpec insert, int delete) {
    }

    public static List<Command> parse(List<String> lines) {
        List<Command> out = new ArrayList<>();
        for (int n = 0; n < lines.size(); n++) {
            String text = lines.get(n);
            int hash = text.indexOf('#');
            if (hash >= 0) {
                text = text.substring(0, hash);
            }
            text = text.trim();
            if (text.isEmpty()) {
                continue;
            }
            List<String> words = new ArrayList<>(Arrays.asList(text.split("\\s+")));
            if (words.get(0).equals("ethtool") || words.get(0).endsWith("/ethtool")) {
                if (words.size() < 3 || !isNtupleOption(words.get(1))) {
                    throw new NtupleSyntaxException("line " + (n + 1) + ": not an 'ethtool -N DEV ...' command");
                }
                words = words.subList(3, words.size());
            }
            try {
                if (!words.isEmpty() && words.get(0).equals("delete")) {
                    if (words.size() != 2) {
                        throw new NtupleSyntaxException("delete takes one location");
                    }
                    long loc;
                    try {
                        loc = EthtoolValues.unsigned(words.get(1), 31);
                    } catch (NumberFormatException e) {
                        throw new NtupleSyntaxException("Invalid delete value[" + words.get(1) + "]");
                    }
                    out.add(new Command(n + 1, null, (int) loc));
                } else {
                    out.add(new Command(n + 1, NtupleParser.parse(words), -1));
                }
            } catch (NtupleSyntaxException e) {
                throw new NtupleSyntaxException("line " + (n + 1) + ": " + e.getMessage());
            }
        }
        return out;
    }

    private static boolean isNtupleOption(String option) {
        return option.equals("-N") || option.equals("-U") || option.equals("--config-ntuple")
                || option.equals("--config-nfc");
    }

    /**
     * Applies the commands to a copy-first basis: if any fails, {@code table} is left as it was.
     * Returns the location each insert took (-1 for deletes), in order.
     */
    public static int[] apply(List<Command> commands, NtupleTable table) {
        NtupleTable trial = new NtupleTable(table.size(), table.rings());
        trial.copyFrom(table);
        int[] locations = new int[commands.size()];
        for (int i = 0; i < commands.size(); i++) {
            Command c = commands.get(i);
            try {
                if (c.insert() != null) {
                    locations[i] = trial.insert(c.insert());
                } else {
                    trial.delete(c.delete());
                    locations[i] = -1;
                }
            } catch (NtupleRuleException e) {
                throw new NtupleRuleException("line " + c.line() + ": " + e.getMessage());
            }
        }
        table.copyFrom(trial);
        return locations;
    }
}
