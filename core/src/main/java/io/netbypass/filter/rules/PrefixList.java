package io.netbypass.filter.rules;

import io.netbypass.filter.lookup.RangeIndex;
import io.netbypass.filter.lookup.RangeIndex128;
import io.netbypass.util.UserException;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;

/**
 * A list of IPv4 and IPv6 prefixes from a file: one prefix (or bare address) per line, {@code #}
 * comments, blank lines ignored. Lookups return the longest prefix that contains an address.
 * The prefixes are flattened into disjoint address ranges once, so a lookup is a bucket pick and
 * a short binary search however many prefixes the list holds.
 */
public final class PrefixList {
    private final Path path;
    private final List<Prefix> prefixes;
    private final RangeIndex ipv4;
    private final RangeIndex128 ipv6;

    private PrefixList(Path path, List<Prefix> prefixes) {
        this.path = path;
        this.prefixes = List.copyOf(prefixes);
        this.ipv4 = flatten4();
        this.ipv6 = flatten6();
    }

    /** A list made in memory (tests, benchmarks). */
    public static PrefixList of(String name, List<Prefix> prefixes) {
        return new PrefixList(Path.of(name), prefixes);
    }

    /** Loads a list file; a bad line is an error naming {@code file:line:col}. */
    public static PrefixList load(Path path) throws IOException, RuleSyntaxException {
        List<Prefix> prefixes = new ArrayList<>();
        List<String> lines = TextFile.read(path).lines().toList();
        for (int n = 0; n < lines.size(); n++) {
            String line = lines.get(n);
            int hash = line.indexOf('#');
            String text = (hash < 0 ? line : line.substring(0, hash)).strip();
            if (text.isEmpty()) {
                continue;
            }
            int col = line.indexOf(text) + 1;
            try {
                if (text.chars().anyMatch(Character::isWhitespace)) {
                    throw new UserException("one prefix per line, not '" + text + "'");
                }
                prefixes.add(Prefix.parse(text));
            } catch (UserException e) {
                if (prefixes.isEmpty() && !text.matches("[0-9A-Fa-f:./\\s]{1,64}")) {
                    // Not one prefix yet: maybe not a list at all (/etc/shadow named by mistake or by
                    // someone else). Say so without quoting what it holds.
                    throw new RuleSyntaxException(path.toString(), n + 1, col, "not a prefix list: its first entry is not"
                            + " a prefix or address (its text is not shown: it may not be ours to show)");
                }
                String m = e.getMessage();
                throw new RuleSyntaxException(path.toString(), n + 1, col, m.length() > 120 ? m.substring(0, 117) + "..." : m);
            }
        }
        return new PrefixList(path, prefixes);
    }

    public Path path() {
        return path;
    }

    public int size() {
        return prefixes.size();
    }

    public Prefix prefix(int index) {
        return prefixes.get(index);
    }

    /** Index of the longest prefix containing the IPv4 address, or -1. */
    public int longest4(int address) {
        return ipv4.find(address & 0xffff_ffffL);
    }

    /** Index of the longest prefix containing the IPv6 address, or -1. */
    public int longest6(long high, long low) {
        return ipv6.find(high, low);
    }

    /** The plain answer, testing every prefix: the reference for tests. */
    public int longestLinear(int version, long high, long low) {
        int best = -1;
        for (int i = 0; i < prefixes.size(); i++) {
            Prefix p = prefixes.get(i);
            boolean hit = version == 4 ? p.containsIpv4((int) low) : p.containsIpv6(high, low);
            if (hit && (best < 0 || p.length() > prefixes.get(best).length())) {
                best = i;
            }
        }
        return best;
    }

    private static BigInteger value(long high, long low) {
        return new BigInteger(1, new byte[] {
                (byte) (high >>> 56), (byte) (high >>> 48), (byte) (high >>> 40), (byte) (high >>> 32),
                (byte) (high >>> 24), (byte) (high >>> 16), (byte) (high >>> 8), (byte) high,
                (byte) (low >>> 56), (byte) (low >>> 48), (byte) (low >>> 40), (byte) (low >>> 32),
                (byte) (low >>> 24), (byte) (low >>> 16), (byte) (low >>> 8), (byte) low});
    }

    /** Disjoint ranges (start, longest prefix index or -1) covering the whole address space of one version. */
    private List<Object[]> ranges(int version) {
        record Entry(int index, BigInteger first, BigInteger last, int length) {
        }
        List<Entry> entries = new ArrayList<>();
        for (int i = 0; i < prefixes.size(); i++) {
            Prefix p = prefixes.get(i);
            if (p.version() == version) {
                entries.add(new Entry(i, value(p.high(), p.low()), value(p.lastHigh(), p.lastLow()), p.length()));
            }
        }
        // Containing prefixes first; of two equal prefixes the earlier line wins.
        entries.sort(Comparator.comparing(Entry::first).thenComparingInt(Entry::length).thenComparingInt(Entry::index));
        List<Object[]> out = new ArrayList<>();
        Deque<Entry> open = new ArrayDeque<>();
        BigInteger cursor = BigInteger.ZERO;
        BigInteger max = BigInteger.ONE.shiftLeft(version == 4 ? 32 : 128).subtract(BigInteger.ONE);
        for (Entry e : entries) {
            while (!open.isEmpty() && open.peek().last.compareTo(e.first) < 0) {
                Entry top = open.pop();
                if (cursor.compareTo(top.last) <= 0) {
                    emit(out, cursor, top.index);
                    cursor = top.last.add(BigInteger.ONE);
                }
            }
            if (!open.isEmpty() && open.peek().first.equals(e.first) && open.peek().last.equals(e.last)) {
                continue; // a duplicate of the open prefix
            }
            if (cursor.compareTo(e.first) < 0) {
                emit(out, cursor, open.isEmpty() ? -1 : open.peek().index);
                cursor = e.first;
            }
            open.push(e);
        }
        while (!open.isEmpty()) {
            Entry top = open.pop();
            if (cursor.compareTo(top.last) <= 0) {
                emit(out, cursor, top.index);
                cursor = top.last.add(BigInteger.ONE);
            }
        }
        if (cursor.compareTo(max) <= 0) {
            emit(out, cursor, -1);
        }
        return out;
    }

    private static void emit(List<Object[]> out, BigInteger start, int value) {
        if (!out.isEmpty() && (int) out.getLast()[1] == value) {
            return;
        }
        out.add(new Object[] {start, value});
    }

    private RangeIndex flatten4() {
        List<Object[]> r = ranges(4);
        long[] starts = new long[r.size()];
        int[] values = new int[r.size()];
        for (int i = 0; i < starts.length; i++) {
            starts[i] = ((BigInteger) r.get(i)[0]).longValue();
            values[i] = (int) r.get(i)[1];
        }
        return new RangeIndex(32, starts, values);
    }

    private RangeIndex128 flatten6() {
        List<Object[]> r = ranges(6);
        long[] high = new long[r.size()];
        long[] low = new long[r.size()];
        int[] values = new int[r.size()];
        for (int i = 0; i < high.length; i++) {
            BigInteger v = (BigInteger) r.get(i)[0];
            high[i] = v.shiftRight(64).longValue();
            low[i] = v.longValue();
            values[i] = (int) r.get(i)[1];
        }
        return new RangeIndex128(high, low, values);
    }

    @Override
    public String toString() {
        return path + " (" + prefixes.size() + " prefixes)";
    }
}
