package io.netbypass.filter.classify;

import io.netbypass.filter.rules.Match;
import io.netbypass.filter.rules.Prefix;
import io.netbypass.filter.rules.PrefixList;
import io.netbypass.filter.rules.Rule;
import io.netbypass.filter.rules.RuleSet;
import io.netbypass.packet.Bytes;
import io.netbypass.packet.DnsQuery;
import io.netbypass.packet.IpProtocols;
import io.netbypass.packet.LinkType;
import io.netbypass.packet.ParsedPacket;

import java.lang.foreign.MemorySegment;
import java.util.Locale;

/**
 * The rules' meaning, written as plainly as possible: every rule in order, every test read
 * straight from the packet. Slow and allocating; it is the oracle the compiled classifier is
 * checked against, and the place to read what a test means for a packet that lacks the field
 * (the test is false; {@code not} makes it true), and for a malformed packet a fail-closed rule
 * meets (a test it could not evaluate holds, negated or not).
 */
public final class ReferenceClassifier implements RuleClassifier {
    private final RuleSet rules;

    public ReferenceClassifier(RuleSet rules) {
        this.rules = rules;
    }

    @Override
    public int classify(ParsedPacket p, int wireLength) {
        for (int r = 0; r < rules.size(); r++) {
            if (matches(rules.rule(r), p, wireLength)) {
                return r;
            }
        }
        return DEFAULT;
    }

    static boolean matches(Rule rule, ParsedPacket p, int wireLength) {
        int reached = rule.failClosed() ? p.reached() : ParsedPacket.REACHED_ALL;
        for (Match m : rule.matches()) {
            if (!holds(m, false, p, wireLength, reached)) {
                return false;
            }
        }
        return true;
    }

    /**
     * A test, negated when asked, for a rule that knows the fields up to {@code reached}: a test
     * on a field past it cannot be evaluated, and holds whether negated or not (fail-closed rules
     * on malformed packets; for every other rule {@code reached} is everything).
     */
    private static boolean holds(Match m, boolean negated, ParsedPacket p, int wireLength, int reached) {
        if (m instanceof Match.Not n) {
            return holds(n.match(), !negated, p, wireLength, reached);
        }
        if (m instanceof Match.Icmp i && reached < ParsedPacket.REACHED_ALL) {
            // Protocol and type (and code): the type is unknown, so it holds either way; the
            // protocol decides a positive test when known, and 'not' holds through the type.
            if (negated || reached < ParsedPacket.REACHED_PROTOCOL) {
                return true;
            }
            return p.ipVersion() != 0 && p.ipProtocol() == i.protocol();
        }
        if (level(m) > reached) {
            return true;
        }
        return test(m, p, wireLength) != negated;
    }

    /** How far the parser must have got for the test to be evaluated ({@link ParsedPacket#reached()}). */
    private static int level(Match m) {
        return switch (m) {
            case Match.Not n -> level(n.match());
            case Match.Length l -> ParsedPacket.REACHED_NOTHING;
            case Match.Malformed x -> ParsedPacket.REACHED_NOTHING;
            case Match.EtherAddress e -> ParsedPacket.REACHED_LINK;
            case Match.Vlan v -> ParsedPacket.REACHED_LINK;
            case Match.EtherType e -> ParsedPacket.REACHED_NETWORK;
            case Match.IpVersion v -> ParsedPacket.REACHED_NETWORK;
            case Match.Address a -> ParsedPacket.REACHED_NETWORK;
            case Match.AddressList a -> ParsedPacket.REACHED_NETWORK;
            case Match.Ttl t -> ParsedPacket.REACHED_NETWORK;
            case Match.Protocol pr -> ParsedPacket.REACHED_PROTOCOL;
            case Match.Fragment f -> ParsedPacket.REACHED_PROTOCOL;
            case Match.Port port -> ParsedPacket.REACHED_ALL;
            case Match.TcpFlags f -> ParsedPacket.REACHED_ALL;
            case Match.Icmp i -> ParsedPacket.REACHED_ALL;
            case Match.Payload pl -> ParsedPacket.REACHED_ALL;
            case Match.Dns d -> ParsedPacket.REACHED_ALL;
        };
    }

    static boolean test(Match m, ParsedPacket p, int wireLength) {
        MemorySegment s = p.segment();
        long l3 = p.base() + p.l3Offset();
        return switch (m) {
            case Match.Not n -> !test(n.match(), p, wireLength);
            case Match.EtherType e -> p.etherType() == e.type();
            case Match.EtherAddress e -> ethernet(p)
                    && mac(s, p.base() + (e.side() == Match.Side.DST ? 0 : 6)) == e.mac();
            case Match.Vlan v -> p.vlanCount() > 0 && (v.ids() == null || v.ids().contains(p.vlanId(0)));
            case Match.IpVersion v -> p.ipVersion() == v.version();
            case Match.Protocol pr -> p.ipVersion() != 0 && p.ipProtocol() == pr.protocol();
            case Match.Address a -> side(a.side(), side -> inPrefix(a.prefix(), p, side));
            case Match.AddressList a -> side(a.side(), side -> inList(a.list(), p, side));
            case Match.Port port -> p.sourcePort() != ParsedPacket.NONE
                    && side(port.side(), side -> port.ports().contains(side == Match.Side.SRC ? p.sourcePort() : p.destinationPort()));
            case Match.TcpFlags f -> p.ipProtocol() == IpProtocols.TCP && p.sourcePort() != ParsedPacket.NONE
                    && (Bytes.u8(s, p.base() + p.l4Offset() + 13) & f.mask()) == f.value();
            // Longer than 65535 (or a length field too large for an int) tests as 65535.
            case Match.Length l -> l.lengths().contains(wireLength < 0 || wireLength > 65535 ? 65535 : wireLength);
            case Match.Ttl t -> p.ipVersion() != 0
                    && t.values().contains(Bytes.u8(s, l3 + (p.ipVersion() == 4 ? 8 : 7)));
            case Match.Fragment f -> p.ipVersion() != 0 && switch (f.kind()) {
                case ANY -> p.isFragment();
                case FIRST -> p.isFragment() && p.fragmentOffset() == 0;
                case LATER -> p.fragmentOffset() != 0;
            };
            case Match.Icmp i -> p.ipVersion() != 0 && p.ipProtocol() == i.protocol() && p.payloadOffset() != ParsedPacket.NONE
                    && i.types().contains(Bytes.u8(s, p.base() + p.l4Offset()))
                    && (i.codes() == null || i.codes().contains(Bytes.u8(s, p.base() + p.l4Offset() + 1)));
            case Match.Malformed x -> x.covers(p.status());
            case Match.Payload pl -> payload(pl, p);
            case Match.Dns d -> dns(d, p);
        };
    }

    private interface SideTest {
        boolean test(Match.Side side);
    }

    private static boolean side(Match.Side side, SideTest t) {
        return side == Match.Side.EITHER ? t.test(Match.Side.SRC) || t.test(Match.Side.DST) : t.test(side);
    }

    private static boolean ethernet(ParsedPacket p) {
        return p.linkType() == LinkType.ETHERNET && p.capturedLength() >= 14;
    }

    private static long mac(MemorySegment s, long at) {
        long v = 0;
        for (int i = 0; i < 6; i++) {
            v = v << 8 | Bytes.u8(s, at + i);
        }
        return v;
    }

    private static long[] address(ParsedPacket p, Match.Side side) {
        long l3 = p.base() + p.l3Offset();
        if (p.ipVersion() == 4) {
            return new long[] {0, Bytes.u32(p.segment(), l3 + (side == Match.Side.SRC ? 12 : 16))};
        }
        long at = l3 + (side == Match.Side.SRC ? 8 : 24);
        return new long[] {Bytes.i64(p.segment(), at), Bytes.i64(p.segment(), at + 8)};
    }

    private static boolean inPrefix(Prefix prefix, ParsedPacket p, Match.Side side) {
        if (p.ipVersion() != prefix.version()) {
            return false;
        }
        long[] a = address(p, side);
        return prefix.version() == 4 ? prefix.containsIpv4((int) a[1]) : prefix.containsIpv6(a[0], a[1]);
    }

    private static boolean inList(PrefixList list, ParsedPacket p, Match.Side side) {
        if (p.ipVersion() != 4 && p.ipVersion() != 6) {
            return false;
        }
        long[] a = address(p, side);
        return list.longestLinear(p.ipVersion(), a[0], a[1]) >= 0;
    }

    private static boolean payload(Match.Payload pl, ParsedPacket p) {
        if (p.payloadOffset() == ParsedPacket.NONE) {
            return false;
        }
        int from = p.payloadOffset() + pl.offset();
        if (from + pl.value().length > p.payloadEnd()) {
            return false;
        }
        for (int i = 0; i < pl.value().length; i++) {
            int b = Bytes.u8(p.segment(), p.base() + from + i);
            if ((b & pl.mask()[i] & 0xff) != (pl.value()[i] & 0xff)) {
                return false;
            }
        }
        return true;
    }

    private static boolean dns(Match.Dns d, ParsedPacket p) {
        if (p.ipProtocol() != IpProtocols.UDP || p.destinationPort() != 53 || p.isFragment()
                || p.payloadOffset() == ParsedPacket.NONE) {
            return false;
        }
        long at = p.base() + p.payloadOffset();
        int length = p.payloadLength();
        if (!DnsQuery.isValidQuery(p.segment(), at, length)) {
            return false;
        }
        if (d.name() == null) {
            return true;
        }
        String q = DnsQuery.questionName(p.segment(), at, length);
        if (q == null) {
            return false;
        }
        q = q.toLowerCase(Locale.ROOT);
        return d.suffix() ? q.equals(d.name()) || q.endsWith("." + d.name()) : q.equals(d.name());
    }
}
