package io.netbypass.filter.classify;

import io.netbypass.filter.lookup.RangeIndex128;
import io.netbypass.filter.lookup.RangeIndex;
import io.netbypass.filter.rules.Match;
import io.netbypass.filter.rules.NumberSet;
import io.netbypass.filter.rules.Prefix;
import io.netbypass.filter.rules.Rule;
import io.netbypass.filter.rules.RuleSet;
import io.netbypass.filter.rules.RuleSyntaxException;
import io.netbypass.packet.Bytes;
import io.netbypass.packet.DnsQuery;
import io.netbypass.packet.IpProtocols;
import io.netbypass.packet.LinkType;
import io.netbypass.packet.ParseStatus;
import io.netbypass.packet.ParsedPacket;
import io.netbypass.util.UserException;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A rule set compiled for the data path ("bit-vector" classification). Each rule is first
 * rewritten as alternatives ("variants") that are plain conjunctions of per-field value sets
 * ({@code port 53} becomes {@code src port 53} or {@code dst port 53}; {@code not} pushes into
 * the sets). For every field any variant tests, the field's value space is cut into the
 * intervals where the set of accepting variants is constant, and each interval maps to a bit
 * vector over the variants. A packet then costs one lookup per tested field (a direct table or a
 * bucketed range index, prefix lists included) and an AND of the vectors; the lowest set bit is
 * the first matching rule, unless it still has payload or DNS tests, which run only for such
 * candidates. Fields no rule tests are never read.
 *
 * <p>Not thread-safe: the AND runs in a scratch vector. Use one instance per worker thread
 * ({@link #copy()} shares the tables). Never allocates after construction.
 */
public final class CompiledClassifier implements RuleClassifier {
    /** Alternatives one rule may expand to. */
    public static final int MAX_VARIANTS_PER_RULE = 256;

    private static final int RESIDUAL_PAYLOAD = 0;
    private static final int RESIDUAL_DNS = 1;

    /**
     * Variants per group. Bit vectors over every variant of a large rule set would cost
     * classes x variants bits per field (quadratic: 40,000 rules took 79 s and gigabytes), so the
     * variants are cut, in rule order, into groups of at most this many, each with its own
     * tables; a packet tries the groups in order and the first that matches decides (its rules
     * all come before the next group's).
     */
    static final int GROUP_VARIANTS = 1024;
    /** Compiled tables may take at most this much memory; a larger rule set is refused, naming the remedy. */
    public static final long MAX_TABLE_BYTES = 1L << 30;

    private final int variants;
    private final int[] variantRule;
    /** Variants of fail-closed rules: their payload and DNS tests hold on a packet that stopped before its transport. */
    private final boolean[] variantFailClosed;
    /** Residual tests per variant: indexes into the residual arrays; null when none. */
    private final int[][] variantResiduals;
    private final int[] residualKind;
    private final boolean[] residualNegated;
    private final int[] residualOffset;
    private final byte[][] residualValue;
    private final byte[][] residualMask;
    private final boolean[] residualSuffix;

    private final Group[] groups;

    /** One field's lookup: value -> class -> bit vector over a group's variants. */
    private static final class FieldTable {
        final Field field;
        /** {@code field.id}, here to save a load per lookup. */
        final int id;
        final char[] direct;
        final RangeIndex range;
        final RangeIndex128 range128;
        final int absentClass;
        /** {@link Field#level()}: on a malformed packet that stopped before it, fail-closed variants accept any value. */
        final int level;
        final long[] bits;

        FieldTable(Field field, char[] direct, RangeIndex range, RangeIndex128 range128, int absentClass, long[] bits) {
            this.field = field;
            this.id = field.id;
            this.direct = direct;
            this.range = range;
            this.range128 = range128;
            this.absentClass = absentClass;
            this.level = field.level();
            this.bits = bits;
        }

        long bytes() {
            return 8L * bits.length + (direct == null ? 0 : 2L * direct.length) + (range != null ? range.bytes() : 0)
                    + (range128 != null ? range128.bytes() : 0);
        }
    }

    /** Variants {@code offset ..} of the rule set, with their own field tables. */
    private static final class Group {
        final int offset;
        final int variants;
        final int words;
        final FieldTable[] tables;
        final long[] all;
        /** The group's fail-closed variants: ORed into a field's vector when a malformed packet stopped before the field. */
        final long[] failClosed;
        final long[] scratch;

        Group(int offset, int variants, int words, FieldTable[] tables, long[] all, long[] failClosed) {
            this.offset = offset;
            this.variants = variants;
            this.words = words;
            this.tables = tables;
            this.all = all;
            this.failClosed = failClosed;
            this.scratch = new long[words];
        }

        Group copy() {
            return new Group(offset, variants, words, tables, all, failClosed);
        }

        long bytes() {
            long b = 0;
            for (FieldTable t : tables) {
                b += t.bytes();
            }
            return b;
        }

        /** The first variant (global index) of this group the packet matches, residual tests included; -1 if none. */
        int classify(CompiledClassifier c, ParsedPacket p, int wireLength, int reached) {
            if (words == 1) {
                long acc = all[0];
                if (reached == ParsedPacket.REACHED_ALL) { // every well-formed packet: no field is unknown
                    for (FieldTable t : tables) {
                        acc &= t.bits[classOf(t, p, wireLength)];
                        if (acc == 0) {
                            return -1; // no rule of this group can match any more: skip the remaining lookups
                        }
                    }
                } else {
                    for (FieldTable t : tables) {
                        long b = t.bits[classOf(t, p, wireLength)];
                        acc &= t.level > reached ? b | failClosed[0] : b;
                        if (acc == 0) {
                            return -1;
                        }
                    }
                }
                while (acc != 0) {
                    int v = offset + Long.numberOfTrailingZeros(acc);
                    if (c.variantResiduals[v] == null || c.residualsHold(v, reached, p)) {
                        return v;
                    }
                    acc &= acc - 1;
                }
                return -1;
            }
            long[] acc = scratch;
            System.arraycopy(all, 0, acc, 0, words);
            for (FieldTable t : tables) {
                int base = classOf(t, p, wireLength) * words;
                long[] b = t.bits;
                long any = 0;
                if (t.level > reached) {
                    for (int w = 0; w < words; w++) {
                        any |= acc[w] &= b[base + w] | failClosed[w];
                    }
                } else {
                    for (int w = 0; w < words; w++) {
                        any |= acc[w] &= b[base + w];
                    }
                }
                if (any == 0) {
                    return -1;
                }
            }
            for (int w = 0; w < words; w++) {
                long bits = acc[w];
                while (bits != 0) {
                    int v = offset + (w << 6) + Long.numberOfTrailingZeros(bits);
                    if (c.variantResiduals[v] == null || c.residualsHold(v, reached, p)) {
                        return v;
                    }
                    bits &= bits - 1;
                }
            }
            return -1;
        }
    }

    private CompiledClassifier(CompiledClassifier o) {
        variants = o.variants;
        variantRule = o.variantRule;
        variantFailClosed = o.variantFailClosed;
        variantResiduals = o.variantResiduals;
        residualKind = o.residualKind;
        residualNegated = o.residualNegated;
        residualOffset = o.residualOffset;
        residualValue = o.residualValue;
        residualMask = o.residualMask;
        residualSuffix = o.residualSuffix;
        groups = new Group[o.groups.length];
        for (int i = 0; i < groups.length; i++) {
            groups[i] = o.groups[i].copy();
        }
    }

    @Override
    public RuleClassifier forAnotherThread() {
        return copy();
    }

    /** Another classifier over the same tables, for another thread. */
    public CompiledClassifier copy() {
        return new CompiledClassifier(this);
    }

    /** Bytes the compiled tables take (shared by copies). */
    public long tableBytes() {
        long b = 0;
        for (Group g : groups) {
            b += g.bytes();
        }
        return b;
    }

    // ---------------------------------------------------------------- data path

    @Override
    public int classify(ParsedPacket p, int wireLength) {
        dnsState = DNS_UNKNOWN;
        int reached = p.reached();
        for (Group g : groups) {
            int v = g.classify(this, p, wireLength, reached);
            if (v >= 0) {
                return variantRule[v];
            }
        }
        return DEFAULT;
    }

    private static int classOf(FieldTable t, ParsedPacket p, int wireLength) {
        MemorySegment s = p.segment();
        int ipVersion = p.ipVersion();
        switch (t.id) {
            case Field.ETHER_TYPE:
                return p.etherType() == ParsedPacket.NONE ? t.absentClass : t.direct[p.etherType()];
            case Field.MAC_SRC:
            case Field.MAC_DST: {
                if (p.linkType() != LinkType.ETHERNET || p.capturedLength() < 14) {
                    return t.absentClass;
                }
                long at = p.base() + (t.field.id == Field.MAC_DST ? 0 : 6);
                long mac = (Bytes.u16(s, at) & 0xffffL) << 32 | Bytes.u32(s, at + 2);
                return t.range.find(mac);
            }
            case Field.VLAN:
                return p.vlanCount() == 0 ? t.absentClass : t.direct[p.vlanId(0)];
            case Field.IP_VERSION:
                return t.direct[ipVersion & 0xf];
            case Field.PROTOCOL:
                return ipVersion == 0 || p.ipProtocol() == ParsedPacket.NONE ? t.absentClass : t.direct[p.ipProtocol()];
            case Field.SRC4:
                return ipVersion == 4 ? t.range.find(p.ipv4Source() & 0xffff_ffffL) : t.absentClass;
            case Field.DST4:
                return ipVersion == 4 ? t.range.find(p.ipv4Destination() & 0xffff_ffffL) : t.absentClass;
            case Field.SRC6:
            case Field.DST6: {
                if (ipVersion != 6) {
                    return t.absentClass;
                }
                long at = p.base() + p.l3Offset() + (t.field.id == Field.SRC6 ? 8 : 24);
                return t.range128.find(Bytes.i64(s, at), Bytes.i64(s, at + 8));
            }
            case Field.SRC_PORT:
                return p.sourcePort() == ParsedPacket.NONE ? t.absentClass : t.direct[p.sourcePort()];
            case Field.DST_PORT:
                return p.destinationPort() == ParsedPacket.NONE ? t.absentClass : t.direct[p.destinationPort()];
            case Field.TCP_FLAGS:
                return p.ipProtocol() == IpProtocols.TCP && p.sourcePort() != ParsedPacket.NONE
                        ? t.direct[p.tcpFlags() & 0xff] : t.absentClass;
            case Field.LENGTH:
                return t.direct[wireLength < 0 || wireLength > 65535 ? 65535 : wireLength];
            case Field.TTL:
                return ipVersion == 0 ? t.absentClass : t.direct[p.ttl()];
            case Field.FRAGMENT:
                return ipVersion == 0 ? t.absentClass
                        : t.direct[p.fragmentOffset() != 0 ? Field.LATER_FRAGMENT : p.isFragment() ? Field.FIRST_FRAGMENT : Field.NOT_FRAGMENT];
            case Field.ICMP_TYPE:
            case Field.ICMP_CODE: {
                int proto = p.ipProtocol();
                if (ipVersion == 0 || (proto != IpProtocols.ICMP && proto != IpProtocols.ICMPV6)
                        || p.payloadOffset() == ParsedPacket.NONE) {
                    return t.absentClass;
                }
                return t.direct[Bytes.u8(s, p.base() + p.l4Offset() + (t.field.id == Field.ICMP_CODE ? 1 : 0))];
            }
            case Field.MALFORMED:
                return t.direct[p.status().ordinal()];
            case Field.LIST: {
                int member;
                boolean src = t.field.listSource;
                if (ipVersion == 4) {
                    member = t.field.list.longest4(src ? p.ipv4Source() : p.ipv4Destination()) >= 0 ? 1 : 0;
                } else if (ipVersion == 6) {
                    long at = p.base() + p.l3Offset() + (src ? 8 : 24);
                    member = t.field.list.longest6(Bytes.i64(s, at), Bytes.i64(s, at + 8)) >= 0 ? 1 : 0;
                } else {
                    return t.absentClass;
                }
                return t.direct[member];
            }
            default:
                return t.absentClass;
        }
    }

    private boolean residualsHold(int v, int reached, ParsedPacket p) {
        if (reached < ParsedPacket.REACHED_ALL && variantFailClosed[v]) {
            return true; // payload and DNS tests on a packet that stopped before them: unknown, so they hold
        }
        for (int r : variantResiduals[v]) {
            boolean hold = residualKind[r] == RESIDUAL_PAYLOAD ? payload(r, p) : dns(r, p);
            if (hold == residualNegated[r]) {
                return false;
            }
        }
        return true;
    }

    private boolean payload(int r, ParsedPacket p) {
        if (p.payloadOffset() == ParsedPacket.NONE) {
            return false;
        }
        byte[] value = residualValue[r];
        byte[] mask = residualMask[r];
        int from = p.payloadOffset() + residualOffset[r];
        if (from + value.length > p.payloadEnd()) {
            return false;
        }
        MemorySegment s = p.segment();
        long at = p.base() + from;
        for (int i = 0; i < value.length; i++) {
            if ((s.get(ValueLayout.JAVA_BYTE, at + i) & mask[i]) != value[i]) {
                return false;
            }
        }
        return true;
    }

    private static final int DNS_UNKNOWN = 0;
    private static final int DNS_VALID = 1;
    private static final int DNS_INVALID = 2;
    /** Whether this packet is a valid DNS query, once a DNS test asked (several rules may). */
    private int dnsState;

    private boolean dns(int r, ParsedPacket p) {
        if (dnsState == DNS_UNKNOWN) {
            boolean valid = p.ipProtocol() == IpProtocols.UDP && p.destinationPort() == 53 && !p.isFragment()
                    && p.payloadOffset() != ParsedPacket.NONE
                    && DnsQuery.isValidQuery(p.segment(), p.base() + p.payloadOffset(), p.payloadLength());
            dnsState = valid ? DNS_VALID : DNS_INVALID;
        }
        if (dnsState == DNS_INVALID) {
            return false;
        }
        long at = p.base() + p.payloadOffset();
        int length = p.payloadLength();
        byte[] name = residualValue[r];
        return name == null || DnsQuery.questionNameMatches(p.segment(), at, length, name, residualSuffix[r]);
    }

    // ---------------------------------------------------------------- compilation

    /** One conjunct of a variant: a field's accepted values, or a payload/DNS test (field null). */
    private record Atom(Field field, ValueSet set, Match residual, boolean negated) {
        Atom negate() {
            return field == null ? new Atom(null, null, residual, !negated) : new Atom(field, set.complement(field.max()), null, false);
        }
    }

    private record Variant(int rule, boolean failClosed, Map<Field, ValueSet> sets, List<Atom> residuals) {
    }

    /** Compiles a rule set; a rule that expands too far is an error at its line. */
    public static CompiledClassifier compile(RuleSet set) throws RuleSyntaxException {
        return compile(set, MAX_TABLE_BYTES);
    }

    /** As {@link #compile(RuleSet)}, refusing tables larger than {@code maxTableBytes} (tests try small bounds). */
    public static CompiledClassifier compile(RuleSet set, long maxTableBytes) throws RuleSyntaxException {
        List<Variant> variants = new ArrayList<>();
        for (int r = 0; r < set.size(); r++) {
            Rule rule = set.rule(r);
            List<Match> matches = rule.matches();
            List<List<Atom>> dnf = expand(set, rule, matches.size());
            if (dnf.isEmpty()) {
                // Which test empties it: the shortest prefix that can never match (prefixes only shrink).
                int lo = 1;
                int hi = matches.size();
                while (lo < hi) {
                    int mid = (lo + hi) >>> 1;
                    if (expand(set, rule, mid).isEmpty()) {
                        hi = mid;
                    } else {
                        lo = mid + 1;
                    }
                }
                throw contradiction(set, rule, lo - 1);
            }
            for (List<Atom> conjunction : dnf) {
                Variant v = variant(r, rule.failClosed(), conjunction);
                if (v != null) {
                    variants.add(v);
                }
            }
        }
        try {
            return new CompiledClassifier(variants, maxTableBytes);
        } catch (TooLarge e) {
            throw new RuleSyntaxException(set.source(), 1, 1, e.getMessage());
        }
    }

    /**
     * The alternatives some packet could pass of the rule's first {@code count} tests (empty when
     * none could). Tests of one field and one alternative (most: {@code not src X}, {@code ttl N})
     * are intersected per field in one sweep, whatever their number: a line of 100,000 tests costs
     * a sort, not 100,000 intersections of a growing set. Only tests that expand (either side, a
     * negated multi-field test) multiply the alternatives.
     */
    private static List<List<Atom>> expand(RuleSet set, Rule rule, int count) throws RuleSyntaxException {
        Map<Field, List<ValueSet>> single = new LinkedHashMap<>();
        List<Atom> base = new ArrayList<>();
        List<List<List<Atom>>> expanding = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            List<List<Atom>> t = translate(rule.matches().get(i));
            if (t.size() != 1) {
                expanding.add(t);
                continue;
            }
            for (Atom a : t.getFirst()) {
                if (a.field == null) {
                    base.add(a);
                } else {
                    single.computeIfAbsent(a.field, k -> new ArrayList<>()).add(a.set);
                }
            }
        }
        for (Map.Entry<Field, List<ValueSet>> e : single.entrySet()) {
            ValueSet s = ValueSet.intersectAll(e.getValue());
            if (s.isEmpty()) {
                return List.of();
            }
            base.add(new Atom(e.getKey(), s, null, false));
        }
        List<List<Atom>> dnf = List.of(base);
        for (List<List<Atom>> t : expanding) {
            dnf = satisfiable(and(dnf, t));
            if (dnf.isEmpty()) {
                return dnf;
            }
            if (dnf.size() > MAX_VARIANTS_PER_RULE) {
                throw new RuleSyntaxException(set.source(), rule.line(), 1, "the rule expands to more than "
                        + MAX_VARIANTS_PER_RULE + " alternatives (each 'not' of a multi-field test or either-side test"
                        + " multiplies them): split it");
            }
        }
        return dnf;
    }

    /** The alternatives some packet could pass (no field asked for two disjoint sets of values). */
    private static List<List<Atom>> satisfiable(List<List<Atom>> dnf) {
        List<List<Atom>> out = new ArrayList<>(dnf.size());
        for (List<Atom> conjunction : dnf) {
            if (variant(0, false, conjunction) != null) {
                out.add(conjunction);
            }
        }
        return out;
    }

    /**
     * Test {@code i} of the rule leaves no packet that could match: name the earlier test it
     * contradicts (or say that the tests before it do, together). Such a rule is surely a typo.
     */
    private static RuleSyntaxException contradiction(RuleSet set, Rule rule, int i) {
        List<Match> m = rule.matches();
        String why = null;
        if (satisfiable(translate(m.get(i))).isEmpty()) {
            why = "'" + m.get(i) + "' can never hold";
        }
        for (int j = 0; j < i && why == null; j++) {
            if (satisfiable(and(translate(m.get(j)), translate(m.get(i)))).isEmpty()) {
                why = "'" + m.get(i) + "' contradicts '" + m.get(j) + "' earlier in the rule";
            }
        }
        if (why == null) {
            why = "'" + m.get(i) + "' contradicts the tests before it, taken together";
        }
        return new RuleSyntaxException(set.source(), rule.line(), rule.column(i), why + ": it could never match");
    }

    private static Variant variant(int rule, boolean failClosed, List<Atom> atoms) {
        Map<Field, ValueSet> sets = new LinkedHashMap<>();
        List<Atom> residuals = new ArrayList<>();
        for (Atom a : atoms) {
            if (a.field == null) {
                residuals.add(a);
                continue;
            }
            ValueSet s = sets.get(a.field);
            s = s == null ? a.set : s.intersect(a.set);
            if (s.isEmpty()) {
                return null; // this alternative can never match
            }
            sets.put(a.field, s);
        }
        return new Variant(rule, failClosed, sets, residuals);
    }

    private static List<List<Atom>> and(List<List<Atom>> a, List<List<Atom>> b) {
        List<List<Atom>> out = new ArrayList<>();
        for (List<Atom> x : a) {
            for (List<Atom> y : b) {
                List<Atom> c = new ArrayList<>(x);
                c.addAll(y);
                out.add(c);
            }
        }
        return out;
    }

    private static List<List<Atom>> single(Field f, ValueSet s) {
        return List.of(List.of(new Atom(f, s, null, false)));
    }

    private static List<List<Atom>> either(List<List<Atom>> src, List<List<Atom>> dst, Match.Side side) {
        return switch (side) {
            case SRC -> src;
            case DST -> dst;
            case EITHER -> {
                List<List<Atom>> out = new ArrayList<>(src);
                out.addAll(dst);
                yield out;
            }
        };
    }

    private static List<List<Atom>> translate(Match m) {
        return switch (m) {
            case Match.Not n -> negate(translate(n.match()));
            case Match.EtherType e -> single(Field.of(Field.ETHER_TYPE), ValueSet.of(e.type()));
            case Match.EtherAddress e -> single(Field.of(e.side() == Match.Side.SRC ? Field.MAC_SRC : Field.MAC_DST),
                    ValueSet.of(e.mac()));
            case Match.Vlan v -> single(Field.of(Field.VLAN), v.ids() == null ? ValueSet.range(0, 4095) : numbers(v.ids()));
            case Match.IpVersion v -> single(Field.of(Field.IP_VERSION), ValueSet.of(v.version()));
            case Match.Protocol p -> single(Field.of(Field.PROTOCOL), ValueSet.of(p.protocol()));
            case Match.Address a -> either(address(a.prefix(), true), address(a.prefix(), false), a.side());
            case Match.AddressList a -> either(single(Field.list(a.list(), true), ValueSet.of(1)),
                    single(Field.list(a.list(), false), ValueSet.of(1)), a.side());
            case Match.Port p -> either(single(Field.of(Field.SRC_PORT), numbers(p.ports())),
                    single(Field.of(Field.DST_PORT), numbers(p.ports())), p.side());
            case Match.TcpFlags f -> {
                List<long[]> values = new ArrayList<>();
                for (int v = 0; v < 256; v++) {
                    if ((v & f.mask()) == f.value()) {
                        values.add(new long[] {v, v});
                    }
                }
                yield single(Field.of(Field.TCP_FLAGS), ValueSet.ofRanges(values));
            }
            case Match.Length l -> single(Field.of(Field.LENGTH), numbers(l.lengths()));
            case Match.Ttl t -> single(Field.of(Field.TTL), numbers(t.values()));
            case Match.Fragment f -> single(Field.of(Field.FRAGMENT), switch (f.kind()) {
                case ANY -> ValueSet.range(Field.FIRST_FRAGMENT, Field.LATER_FRAGMENT);
                case FIRST -> ValueSet.of(Field.FIRST_FRAGMENT);
                case LATER -> ValueSet.of(Field.LATER_FRAGMENT);
            });
            case Match.Icmp i -> {
                List<Atom> c = new ArrayList<>();
                c.add(new Atom(Field.of(Field.PROTOCOL), ValueSet.of(i.protocol()), null, false));
                c.add(new Atom(Field.of(Field.ICMP_TYPE), numbers(i.types()), null, false));
                if (i.codes() != null) {
                    c.add(new Atom(Field.of(Field.ICMP_CODE), numbers(i.codes()), null, false));
                }
                yield List.of(c);
            }
            case Match.Malformed x -> {
                List<long[]> values = new ArrayList<>();
                for (ParseStatus status : ParseStatus.values()) {
                    if (x.covers(status)) {
                        values.add(new long[] {status.ordinal(), status.ordinal()});
                    }
                }
                yield single(Field.of(Field.MALFORMED), ValueSet.ofRanges(values));
            }
            case Match.Payload pl -> List.of(List.of(new Atom(null, null, pl, false)));
            case Match.Dns d -> List.of(List.of(new Atom(null, null, d, false)));
        };
    }

    /** not (A1 or A2 ...) = (not A1) and (not A2) ...; not (a and b) = (not a) or (not b). */
    private static List<List<Atom>> negate(List<List<Atom>> dnf) {
        List<List<Atom>> out = List.of(List.of());
        for (List<Atom> conjunction : dnf) {
            List<List<Atom>> alternatives = new ArrayList<>();
            for (Atom a : conjunction) {
                alternatives.add(List.of(a.negate()));
            }
            out = and(out, alternatives);
        }
        return out;
    }

    private static ValueSet numbers(NumberSet n) {
        List<long[]> r = new ArrayList<>();
        for (int i = 0; i < n.ranges(); i++) {
            r.add(new long[] {n.low(i), n.high(i)});
        }
        return ValueSet.ofRanges(r);
    }

    private static List<List<Atom>> address(Prefix p, boolean source) {
        if (p.version() == 4) {
            return single(Field.of(source ? Field.SRC4 : Field.DST4), ValueSet.range(p.low(), p.lastLow()));
        }
        return single(Field.of(source ? Field.SRC6 : Field.DST6),
                ValueSet.range(u128(p.high(), p.low()), u128(p.lastHigh(), p.lastLow())));
    }

    private static BigInteger u128(long high, long low) {
        return new BigInteger(Long.toUnsignedString(high)).shiftLeft(64).or(new BigInteger(Long.toUnsignedString(low)));
    }

    private CompiledClassifier(List<Variant> list, long maxTableBytes) {
        variants = list.size();
        variantRule = new int[variants];
        variantFailClosed = new boolean[variants];
        variantResiduals = new int[variants][];
        List<Atom> residuals = new ArrayList<>();
        for (int v = 0; v < variants; v++) {
            Variant x = list.get(v);
            variantRule[v] = x.rule;
            variantFailClosed[v] = x.failClosed;
            if (!x.residuals.isEmpty()) {
                int[] idx = new int[x.residuals.size()];
                for (int i = 0; i < idx.length; i++) {
                    idx[i] = residuals.size();
                    residuals.add(x.residuals.get(i));
                }
                variantResiduals[v] = idx;
            }
        }
        int n = residuals.size();
        residualKind = new int[n];
        residualNegated = new boolean[n];
        residualOffset = new int[n];
        residualValue = new byte[n][];
        residualMask = new byte[n][];
        residualSuffix = new boolean[n];
        for (int i = 0; i < n; i++) {
            Atom a = residuals.get(i);
            residualNegated[i] = a.negated;
            if (a.residual instanceof Match.Payload pl) {
                residualKind[i] = RESIDUAL_PAYLOAD;
                residualOffset[i] = pl.offset();
                residualValue[i] = pl.value().clone();
                residualMask[i] = pl.mask().clone();
            } else if (a.residual instanceof Match.Dns d) {
                residualKind[i] = RESIDUAL_DNS;
                residualValue[i] = d.name() == null ? null : d.name().getBytes(StandardCharsets.US_ASCII);
                residualSuffix[i] = d.suffix();
            }
        }
        List<Group> built = new ArrayList<>();
        long bytes = 0;
        for (int from = 0; from < variants; from += GROUP_VARIANTS) {
            Group g = group(list, from, Math.min(variants, from + GROUP_VARIANTS));
            bytes += g.bytes();
            if (bytes > maxTableBytes) {
                throw new TooLarge(bytes, maxTableBytes, from + GROUP_VARIANTS, variants);
            }
            built.add(g);
        }
        groups = built.toArray(new Group[0]);
    }

    /** The compiled tables would take more than {@link #MAX_TABLE_BYTES}: thrown early, as the groups are built. */
    static final class TooLarge extends IllegalStateException {
        TooLarge(long bytes, long max, int done, int variants) {
            super("the compiled rules would take more than " + (max >> 20) + " MiB (" + (bytes >> 20)
                    + " MiB for the first " + Math.min(done, variants) + " of " + variants + " alternatives): put addresses"
                    + " in a list file ('drop src list FILE': one lookup however long) or merge rules");
        }
    }

    /** The group of variants {@code [from, to)}: its field tables, most-tested fields first. */
    private static Group group(List<Variant> all, int from, int to) {
        List<Variant> list = all.subList(from, to);
        int n = list.size();
        int words = Math.max(1, (n + 63) >>> 6);
        long[] every = new long[words];
        long[] failClosed = new long[words];
        for (int v = 0; v < n; v++) {
            every[v >>> 6] |= 1L << (v & 63);
            if (list.get(v).failClosed) {
                failClosed[v >>> 6] |= 1L << (v & 63);
            }
        }
        // Fields that more variants test first: the AND empties sooner and the remaining lookups
        // are skipped. Prefix lists (the dearest lookups) go last among equals.
        Map<Field, Integer> used = new LinkedHashMap<>();
        for (int id = 0; id < Field.LIST; id++) {
            Field f = Field.of(id);
            for (Variant x : list) {
                if (x.sets.containsKey(f)) {
                    used.merge(f, 1, Integer::sum);
                }
            }
        }
        for (Variant x : list) {
            for (Field f : x.sets.keySet()) {
                if (f.id == Field.LIST) {
                    used.merge(f, 1, Integer::sum);
                }
            }
        }
        List<Field> order = new ArrayList<>(used.keySet());
        order.sort((a, b) -> Integer.compare(used.get(b), used.get(a))); // stable: enum order among equals
        FieldTable[] tables = new FieldTable[order.size()];
        int t = 0;
        for (Field f : order) {
            tables[t++] = table(f, list, words);
        }
        return new Group(from, n, words, tables, every, failClosed);
    }

    /**
     * One field's table for a group: the value space cut at every range edge of any variant,
     * each piece's bit vector found by a sweep over the edges in order (a variant's bit is set
     * where one of its ranges starts and cleared after it ends), so the cost grows with the
     * edges times the vector's words, not with edges times variants.
     */
    private static FieldTable table(Field f, List<Variant> list, int words) {
        BigInteger max = f.max();
        int variants = list.size();
        long[] wildcard = new long[words]; // variants that do not test the field: every value
        long[] absentBits = new long[words];
        record Event(BigInteger at, int variant, boolean start) {
        }
        List<Event> events = new ArrayList<>();
        for (int v = 0; v < variants; v++) {
            ValueSet s = list.get(v).sets.get(f);
            if (s == null) {
                wildcard[v >>> 6] |= 1L << (v & 63);
                absentBits[v >>> 6] |= 1L << (v & 63);
                continue;
            }
            if (s.absent) {
                absentBits[v >>> 6] |= 1L << (v & 63);
            }
            for (BigInteger[] r : s.ranges) {
                events.add(new Event(r[0], v, true));
                BigInteger after = r[1].add(BigInteger.ONE);
                if (after.compareTo(max) <= 0) {
                    events.add(new Event(after, v, false));
                }
            }
        }
        events.sort((a, b) -> a.at.compareTo(b.at));
        Map<BitsKey, Integer> classes = new HashMap<>();
        List<long[]> classBits = new ArrayList<>();
        List<BigInteger> starts = new ArrayList<>();
        List<Integer> startClasses = new ArrayList<>();
        long[] current = wildcard.clone();
        int e = 0;
        BigInteger at = BigInteger.ZERO;
        while (true) {
            // Every event at this value: a variant's ranges are disjoint and never touch, so a
            // start and an end of the same variant never meet here.
            while (e < events.size() && events.get(e).at.equals(at)) {
                Event x = events.get(e++);
                if (x.start) {
                    current[x.variant >>> 6] |= 1L << (x.variant & 63);
                } else {
                    current[x.variant >>> 6] &= ~(1L << (x.variant & 63));
                }
            }
            int c = classes.computeIfAbsent(new BitsKey(current.clone()), k -> {
                classBits.add(k.bits);
                return classBits.size() - 1;
            });
            if (startClasses.isEmpty() || startClasses.getLast() != c) {
                starts.add(at);
                startClasses.add(c);
            }
            if (e == events.size()) {
                break;
            }
            at = events.get(e).at;
        }
        int absentClass = classes.computeIfAbsent(new BitsKey(absentBits), k -> {
            classBits.add(k.bits);
            return classBits.size() - 1;
        });
        if (classBits.size() > Character.MAX_VALUE) {
            throw new UserException("the rules split one packet field (" + f + ") into more than 65,535 classes, more than"
                    + " this classifier takes: fewer distinct values or ranges of it (merge prefixes, use a list file)");
        }
        long[] flat = new long[classBits.size() * words];
        for (int c = 0; c < classBits.size(); c++) {
            System.arraycopy(classBits.get(c), 0, flat, c * words, words);
        }
        int[] values = startClasses.stream().mapToInt(Integer::intValue).toArray();
        switch (f.kind()) {
            case Field.DIRECT -> {
                char[] direct = new char[1 << f.bits];
                for (int i = 0; i < starts.size(); i++) {
                    int lo = starts.get(i).intValue();
                    int hi = i + 1 < starts.size() ? starts.get(i + 1).intValue() : direct.length;
                    Arrays.fill(direct, lo, hi, (char) values[i]);
                }
                return new FieldTable(f, direct, null, null, absentClass, flat);
            }
            case Field.RANGE -> {
                long[] r = new long[starts.size()];
                for (int i = 0; i < r.length; i++) {
                    r[i] = starts.get(i).longValue();
                }
                return new FieldTable(f, null, new RangeIndex(f.bits, r, values), null, absentClass, flat);
            }
            default -> {
                long[] hi = new long[starts.size()];
                long[] lo = new long[starts.size()];
                for (int i = 0; i < hi.length; i++) {
                    hi[i] = starts.get(i).shiftRight(64).longValue();
                    lo[i] = starts.get(i).longValue();
                }
                return new FieldTable(f, null, null, new RangeIndex128(hi, lo, values), absentClass, flat);
            }
        }
    }

    private record BitsKey(long[] bits) {
        @Override
        public boolean equals(Object o) {
            return o instanceof BitsKey k && Arrays.equals(bits, k.bits);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bits);
        }
    }
}
