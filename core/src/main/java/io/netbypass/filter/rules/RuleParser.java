package io.netbypass.filter.rules;

import io.netbypass.packet.EtherTypes;
import io.netbypass.packet.IpProtocols;
import io.netbypass.packet.ParseStatus;
import io.netbypass.util.SafeFiles;
import io.netbypass.util.UserException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Parses a rule file (grammar and examples: docs/FILTER.md). Every error names
 * {@code file:line:col} and what is wrong; the first error ends the parse, so a file either
 * yields a whole {@link RuleSet} or nothing.
 */
public final class RuleParser {
    /** Tests a rule may have that match either side ({@code host}, {@code net}, {@code port}); each doubles the rule's variants. */
    public static final int MAX_EITHER_TESTS = 4;
    public static final int MAX_PAYLOAD_BYTES = 64;
    public static final String FLAG_LETTERS = "FSRPAUEC";

    private final String file;
    private final Path directory;
    private final Map<Path, PrefixList> lists = new HashMap<>();

    private String text;
    private List<Token> tokens;
    private int at;
    private int lineNumber;

    private record Token(String text, int column) {
    }

    private RuleParser(String file, Path directory) {
        this.file = file;
        this.directory = directory;
    }

    /** Parses a rule file; list files are found relative to its directory. */
    public static RuleSet parse(Path path) throws IOException, RuleSyntaxException {
        String content = TextFile.read(path);
        Path dir = path.toAbsolutePath().getParent();
        return new RuleParser(path.toString(), dir).parseAll(content);
    }

    /** Parses rules from text; {@code file} names it in errors, lists are found relative to {@code directory}. */
    public static RuleSet parse(String file, String content, Path directory) throws RuleSyntaxException {
        try {
            return new RuleParser(file, directory).parseAll(content);
        } catch (IOException e) {
            throw new RuleSyntaxException(file, 1, 1, e.getMessage());
        }
    }

    private RuleSet parseAll(String content) throws RuleSyntaxException, IOException {
        List<Rule> rules = new ArrayList<>();
        Set<String> names = new HashSet<>();
        Action defaultAction = null;
        int defaultLine = 0;
        String[] lines = content.split("\r?\n", -1);
        for (int n = 0; n < lines.length; n++) {
            lineNumber = n + 1;
            text = lines[n];
            tokens = tokenize(text);
            at = 0;
            if (tokens.isEmpty()) {
                continue;
            }
            if (defaultAction != null) {
                throw error(tokens.getFirst(), "nothing may follow 'default' (line " + defaultLine + "): no packet would reach it");
            }
            if (rules.isEmpty() && defaultAction == null && !peek().text.matches("[a-z]{1,12}")) {
                // The first rule line is not a rule: maybe not a rules file at all (/etc/shadow given
                // by mistake or by someone else). Say so without quoting what it holds.
                throw new RuleSyntaxException(file, lineNumber, peek().column, "not a rules file: its first rule line"
                        + " does not start with drop, pass, tx, ratelimit or default (its text is not shown: it may not be ours to show)");
            }
            if (peek().text.equals("default")) {
                next();
                Token t = expect("drop or pass after 'default'");
                defaultAction = switch (t.text) {
                    case "drop" -> Action.DROP;
                    case "pass" -> Action.PASS;
                    default -> throw error(t, "default is 'drop' or 'pass', not '" + t.text + "'");
                };
                defaultLine = lineNumber;
                endOfLine();
                continue;
            }
            Rule rule = rule(rules.size());
            if (!names.add(rule.name())) {
                throw error(nameToken, "rule name '" + rule.name() + "' is already used");
            }
            rules.add(rule);
        }
        return new RuleSet(file, rules, defaultAction == null ? Action.PASS : defaultAction);
    }

    private Token nameToken;

    private Rule rule(int index) throws RuleSyntaxException, IOException {
        Action action = action();
        List<Match> matches = new ArrayList<>();
        String name = null;
        nameToken = tokens.getFirst();
        int either = 0;
        Token eitherToken = null;
        boolean failClosed = false;
        List<Integer> columns = new ArrayList<>();
        firstOfKind.clear();
        while (!atEnd()) {
            Token t = peek();
            if (t.text.equals("fail-closed")) {
                next();
                if (failClosed) {
                    throw error(t, "'fail-closed' is already given for this rule");
                }
                if (action.kind() == Action.Kind.PASS || action.kind() == Action.Kind.TX) {
                    throw error(t, "'fail-closed' makes a rule take packets it cannot judge: only drop and ratelimit"
                            + " rules may (a pass rule would hand them to the kernel)");
                }
                failClosed = true;
                continue;
            }
            if (t.text.equals("name")) {
                next();
                nameToken = expect("a rule name after 'name'");
                name = nameToken.text;
                if (!name.matches("[A-Za-z0-9_.:-]{1,64}")) {
                    throw error(nameToken, "a rule name is 1-64 letters, digits and _ . : -, not '" + name + "'");
                }
                endOfLine();
                break;
            }
            Match m = negatable();
            if (eitherSide(m)) {
                either++;
                eitherToken = t;
                if (either > MAX_EITHER_TESTS) {
                    throw error(eitherToken, "at most " + MAX_EITHER_TESTS + " tests per rule may match either side"
                            + " (host, net, port, host list): write src/dst or split the rule");
                }
            }
            contradiction(m, t);
            matches.add(m);
            columns.add(t.column);
        }
        if (name == null) {
            name = "line-" + lineNumber;
        }
        return new Rule(lineNumber, name, action, matches, failClosed, columns);
    }

    private static boolean eitherSide(Match m) {
        return switch (m) {
            case Match.Address a -> a.side() == Match.Side.EITHER;
            case Match.AddressList a -> a.side() == Match.Side.EITHER;
            case Match.Port p -> p.side() == Match.Side.EITHER;
            default -> false;
        };
    }

    /** The first IP version, protocol and EtherType test of the rule being parsed. */
    private final Map<Class<?>, Match> firstOfKind = new HashMap<>();

    /**
     * Two positive tests that no packet can pass together make a rule that never matches: almost
     * surely a typo. Here, the ones a column can name at once (ip/ip6, protocols, EtherTypes), each
     * against the first of its kind (every later one must equal it); the compiler finds the rest.
     */
    private void contradiction(Match m, Token t) throws RuleSyntaxException {
        if (!(m instanceof Match.IpVersion || m instanceof Match.Protocol || m instanceof Match.EtherType)) {
            return;
        }
        Match e = firstOfKind.putIfAbsent(m.getClass(), m);
        if (e != null && !e.equals(m)) {
            throw error(t, "'" + m + "' contradicts '" + e + "' earlier in the rule: it could never match");
        }
    }

    private Action action() throws RuleSyntaxException {
        Token t = next();
        switch (t.text) {
            case "drop":
                return Action.DROP;
            case "pass":
                return Action.PASS;
            case "tx":
                return Action.TX;
            case "ratelimit":
                break;
            default:
                throw error(t, "a rule starts with drop, pass, tx, ratelimit or default, not '" + t.text + "'");
        }
        Token rateToken = expect("a rate such as 1000/s after 'ratelimit'");
        if (!rateToken.text.endsWith("/s")) {
            throw error(rateToken, "a rate is packets per second, such as 1000/s or 10k/s, not '" + rateToken.text + "'");
        }
        long rate = count(rateToken, rateToken.text.substring(0, rateToken.text.length() - 2), "rate");
        long burst = rate;
        Action.Per per = Action.Per.RULE;
        boolean sawBurst = false;
        boolean sawPer = false;
        long block = 0;
        Token blockToken = null;
        while (!atEnd()) {
            Token k = peek();
            if (k.text.equals("burst") && !sawBurst) {
                next();
                Token b = expect("a packet count after 'burst'");
                burst = count(b, b.text, "burst");
                sawBurst = true;
            } else if (k.text.equals("per") && !sawPer) {
                next();
                Token p = expect("src, dst or flow after 'per'");
                per = switch (p.text) {
                    case "src" -> Action.Per.SRC;
                    case "dst" -> Action.Per.DST;
                    case "flow" -> Action.Per.FLOW;
                    default -> throw error(p, "ratelimit is per src, dst or flow, not '" + p.text + "'");
                };
                sawPer = true;
            } else if (k.text.equals("block") && blockToken == null) {
                blockToken = next();
                Token d = expect("a duration such as 60s, 10m or 1h after 'block'");
                block = duration(d);
            } else {
                break;
            }
        }
        if (blockToken != null && per != Action.Per.SRC) {
            throw error(blockToken, "'block' blocks the source that goes over the rate: it takes 'per src'"
                    + (per == Action.Per.RULE ? "" : ", not 'per " + per.name().toLowerCase() + "'"));
        }
        return block == 0 ? Action.rateLimit(rate, burst, per) : Action.rateLimit(rate, burst, per, block);
    }

    /** A duration of 1 s to 7 days: a number with s, m, h or d. */
    private long duration(Token t) throws RuleSyntaxException {
        long seconds = Action.durationSeconds(t.text);
        if (seconds < 0) {
            throw error(t, "a block lasts a number of seconds, minutes, hours or days (60s, 10m, 1h, 1d), not '" + t.text + "'");
        }
        if (seconds < 1 || seconds > Action.MAX_BLOCK_SECONDS) {
            throw error(t, "a block lasts 1s to 7d, not '" + t.text + "'");
        }
        return seconds * 1_000_000_000L;
    }

    /** A positive whole number with an optional k (1,000) or M (1,000,000) suffix. */
    private long count(Token t, String s, String what) throws RuleSyntaxException {
        long unit = 1;
        if (s.endsWith("k")) {
            unit = 1000;
            s = s.substring(0, s.length() - 1);
        } else if (s.endsWith("M")) {
            unit = 1_000_000;
            s = s.substring(0, s.length() - 1);
        }
        if (s.isEmpty() || s.length() > 10 || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw error(t, "'" + t.text + "' is not a " + what + " (a whole number, optionally with k or M)");
        }
        long v = Long.parseLong(s) * unit;
        if (v < 1 || v > 1_000_000_000L) {
            throw error(t, what + " " + t.text + " is out of range 1-1000M");
        }
        return v;
    }

    private Match negatable() throws RuleSyntaxException, IOException {
        Token t = peek();
        if (t.text.equals("not")) {
            next();
            if (!atEnd() && peek().text.equals("not")) {
                throw error(peek(), "'not not' cancels out: leave both out");
            }
            if (atEnd() || peek().text.equals("name")) {
                throw error(atEnd() ? endToken() : peek(), "'not' needs a test after it");
            }
            return new Match.Not(primitive());
        }
        return primitive();
    }

    private Match primitive() throws RuleSyntaxException, IOException {
        Token t = next();
        switch (t.text) {
            case "ether":
                return ether();
            case "vlan":
                if (!atEnd() && startsNumber(peek().text)) {
                    Token ids = next();
                    return new Match.Vlan(numbers(ids, 4095, "VLAN ID"));
                }
                return new Match.Vlan(null);
            case "ip":
                return new Match.IpVersion(4);
            case "ip6":
                return new Match.IpVersion(6);
            case "arp":
                return new Match.EtherType(EtherTypes.ARP);
            case "tcp", "udp", "sctp", "gre", "esp", "ah", "udplite":
                return new Match.Protocol(protocolByName(t.text));
            case "icmp", "icmp6":
                int icmp = t.text.equals("icmp") ? IpProtocols.ICMP : IpProtocols.ICMPV6;
                if (!atEnd() && peek().text.equals("type")) {
                    next();
                    NumberSet types = numbers(expect("ICMP types after 'type'"), 255, "ICMP type");
                    NumberSet codes = null;
                    if (!atEnd() && peek().text.equals("code")) {
                        next();
                        codes = numbers(expect("ICMP codes after 'code'"), 255, "ICMP code");
                    }
                    return new Match.Icmp(icmp, types, codes);
                }
                return new Match.Protocol(icmp);
            case "proto": {
                Token p = expect("a protocol name or number after 'proto'");
                Integer n = protocolByName(p.text);
                if (n == null) {
                    NumberSet s = numbers(p, 255, "protocol");
                    if (s.ranges() != 1 || s.low(0) != s.high(0)) {
                        throw error(p, "proto takes one protocol, not '" + p.text + "'");
                    }
                    n = (int) s.low(0);
                }
                return new Match.Protocol(n);
            }
            case "src", "dst":
                return sided(t.text.equals("src") ? Match.Side.SRC : Match.Side.DST);
            case "host": {
                Token a = expect("an address or list after 'host'");
                if (a.text.equals("list")) {
                    return new Match.AddressList(Match.Side.EITHER, list(expect("a file after 'host list'")));
                }
                Prefix p = prefix(a);
                if (p.length() != p.maxLength()) {
                    throw error(a, "'host' takes one address; use 'net " + a.text + "' for a prefix");
                }
                return new Match.Address(Match.Side.EITHER, p);
            }
            case "net":
                return new Match.Address(Match.Side.EITHER, prefix(expect("a prefix after 'net'")));
            case "port":
                return new Match.Port(Match.Side.EITHER, numbers(expect("ports after 'port'"), 65535, "port"));
            case "flags":
                return flags(expect("TCP flags such as S/SA after 'flags'"));
            case "len":
                return new Match.Length(numbers(expect("lengths after 'len'"), 65535, "length"));
            case "ttl", "hoplimit":
                return new Match.Ttl(numbers(expect("values after '" + t.text + "'"), 255, t.text));
            case "frag":
                if (!atEnd() && (peek().text.equals("first") || peek().text.equals("later"))) {
                    return new Match.Fragment(next().text.equals("first") ? Match.Fragment.Kind.FIRST : Match.Fragment.Kind.LATER);
                }
                return new Match.Fragment(Match.Fragment.Kind.ANY);
            case "malformed":
                return malformed();
            case "payload":
                return payload();
            case "dns":
                return dns();
            default:
                if (t.text.equals("list")) {
                    throw error(t, "'list' follows src, dst or host: src list FILE");
                }
                throw error(t, "unknown test '" + t.text + "' (tests: ether vlan ip ip6 arp tcp udp icmp icmp6 sctp proto"
                        + " src dst host net port flags len ttl frag malformed payload dns; 'not' before any)");
        }
    }

    /** {@code malformed} or {@code malformed REASON[,REASON...]}. */
    private Match malformed() throws RuleSyntaxException {
        if (atEnd() || !isMalformedReason(peek().text.split(",")[0])) {
            return new Match.Malformed(Match.Malformed.ANY);
        }
        Token t = next();
        int bits = 0;
        for (String word : t.text.split(",", -1)) {
            ParseStatus reason = null;
            for (ParseStatus s : ParseStatus.values()) {
                if (s.malformed() && s.word().equals(word)) {
                    reason = s;
                }
            }
            if (reason == null) {
                throw error(t, "'" + word + "' is not a malformed reason (truncated, bad-length, bad-version, too-deep)");
            }
            bits |= 1 << reason.ordinal();
        }
        return new Match.Malformed(bits);
    }

    private static boolean isMalformedReason(String word) {
        for (ParseStatus s : ParseStatus.values()) {
            if (s.malformed() && s.word().equals(word)) {
                return true;
            }
        }
        return false;
    }

    private Match ether() throws RuleSyntaxException {
        Token k = expect("type, src or dst after 'ether'");
        switch (k.text) {
            case "type", "proto": {
                Token v = expect("an EtherType after 'ether " + k.text + "'");
                Integer named = switch (v.text) {
                    case "ip", "ipv4" -> EtherTypes.IPV4;
                    case "ip6", "ipv6" -> EtherTypes.IPV6;
                    case "arp" -> EtherTypes.ARP;
                    case "mpls" -> EtherTypes.MPLS_UNICAST;
                    case "pppoe" -> EtherTypes.PPPOE_SESSION;
                    case "lldp" -> 0x88cc;
                    default -> null;
                };
                if (named != null) {
                    return new Match.EtherType(named);
                }
                NumberSet s = numbers(v, 0xffff, "EtherType");
                if (s.ranges() != 1 || s.low(0) != s.high(0)) {
                    throw error(v, "ether type takes one EtherType, not '" + v.text + "'");
                }
                if (s.low(0) <= EtherTypes.MAX_8023_LENGTH) {
                    throw error(v, "EtherType " + v.text + " is an 802.3 length, not a type (types start at 0x0600)");
                }
                return new Match.EtherType((int) s.low(0));
            }
            case "src", "dst": {
                Token m = expect("a MAC address after 'ether " + k.text + "'");
                if (!m.text.matches("[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5}")) {
                    throw error(m, "'" + m.text + "' is not a MAC address (six hex pairs: 02:00:00:00:00:01)");
                }
                long mac = Long.parseLong(m.text.replaceAll("[:-]", ""), 16);
                return new Match.EtherAddress(k.text.equals("src") ? Match.Side.SRC : Match.Side.DST, mac);
            }
            default:
                throw error(k, "'ether' is followed by type, src or dst, not '" + k.text + "'");
        }
    }

    private Match sided(Match.Side side) throws RuleSyntaxException, IOException {
        String s = side == Match.Side.SRC ? "src" : "dst";
        Token k = expect("an address, net, host, list or port after '" + s + "'");
        switch (k.text) {
            case "port":
                return new Match.Port(side, numbers(expect("ports after '" + s + " port'"), 65535, "port"));
            case "net":
                return new Match.Address(side, prefix(expect("a prefix after '" + s + " net'")));
            case "host": {
                Token a = expect("an address after '" + s + " host'");
                Prefix p = prefix(a);
                if (p.length() != p.maxLength()) {
                    throw error(a, "'host' takes one address; use '" + s + " net " + a.text + "' for a prefix");
                }
                return new Match.Address(side, p);
            }
            case "list":
                return new Match.AddressList(side, list(expect("a file after '" + s + " list'")));
            default:
                if (startsNumber(k.text) || k.text.indexOf(':') >= 0) {
                    return new Match.Address(side, prefix(k));
                }
                throw error(k, "'" + s + "' is followed by an address, net, host, list or port, not '" + k.text + "'");
        }
    }

    private PrefixList list(Token t) throws RuleSyntaxException, IOException {
        Path p;
        try {
            p = directory == null ? Path.of(t.text) : directory.resolve(t.text);
        } catch (InvalidPathException e) {
            throw error(t, "'" + t.text + "' is not a file name");
        }
        Path key = p.toAbsolutePath().normalize();
        PrefixList cached = lists.get(key);
        if (cached != null) {
            return cached;
        }
        if (!Files.isRegularFile(p)) {
            throw error(t, "prefix list " + p + " does not exist or is not a file");
        }
        PrefixList loaded;
        try {
            loaded = PrefixList.load(p);
        } catch (IOException e) {
            throw error(t, "cannot read prefix list " + SafeFiles.describe(e));
        }
        lists.put(key, loaded);
        return loaded;
    }

    private Prefix prefix(Token t) throws RuleSyntaxException {
        try {
            return Prefix.parse(t.text);
        } catch (UserException e) {
            throw error(t, e.getMessage());
        }
    }

    private Match flags(Token t) throws RuleSyntaxException {
        String s = t.text;
        int slash = s.indexOf('/');
        int value = flagBits(t, slash < 0 ? s : s.substring(0, slash));
        int mask = slash < 0 ? 0xff : flagBits(t, s.substring(slash + 1));
        if (mask == 0) {
            throw error(t, "a flags mask of nothing matches every packet: leave 'flags' out");
        }
        if ((value & ~mask) != 0) {
            throw error(t, "flags " + flagLetters(value & ~mask) + " are outside the mask " + flagLetters(mask)
                    + ": the test could never hold");
        }
        return new Match.TcpFlags(value, mask);
    }

    private int flagBits(Token t, String s) throws RuleSyntaxException {
        if (s.startsWith("0x")) {
            try {
                int v = Integer.parseInt(s.substring(2), 16);
                if (v >= 0 && v <= 0xff) {
                    return v;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw error(t, "'" + s + "' is not a TCP flags byte (0x00-0xff)");
        }
        int bits = 0;
        for (char c : s.toCharArray()) {
            int i = FLAG_LETTERS.indexOf(Character.toUpperCase(c));
            if (i < 0) {
                throw error(t, "'" + c + "' is not a TCP flag (F S R P A U E C, as in S/SA)");
            }
            bits |= 1 << i;
        }
        return bits;
    }

    /** The flag letters of a TCP flags byte (FIN = bit 0 ... CWR = bit 7); "none" for 0. */
    public static String flagLetters(int bits) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if ((bits & (1 << i)) != 0) {
                b.append(FLAG_LETTERS.charAt(i));
            }
        }
        return b.isEmpty() ? "0x00" : b.toString();
    }

    private Match payload() throws RuleSyntaxException {
        Token o = expect("an offset after 'payload'");
        NumberSet offset = numbers(o, 65535, "payload offset");
        if (offset.ranges() != 1 || offset.low(0) != offset.high(0)) {
            throw error(o, "payload takes one offset, not '" + o.text + "'");
        }
        Token v = expect("bytes such as 0x0100 after the payload offset");
        byte[] value = hex(v);
        byte[] mask = new byte[value.length];
        Arrays.fill(mask, (byte) 0xff);
        if (!atEnd() && peek().text.equals("mask")) {
            next();
            Token m = expect("mask bytes after 'mask'");
            mask = hex(m);
            if (mask.length != value.length) {
                throw error(m, "the mask has " + mask.length + " bytes, the value " + value.length + ": they must match");
            }
            for (int i = 0; i < value.length; i++) {
                if ((value[i] & ~mask[i]) != 0) {
                    throw error(v, "value bits outside the mask at byte " + i + ": the test could never hold");
                }
            }
        }
        return new Match.Payload((int) offset.low(0), value, mask);
    }

    private byte[] hex(Token t) throws RuleSyntaxException {
        String s = t.text;
        if (!s.startsWith("0x") || s.length() < 4 || (s.length() & 1) != 0 || !s.substring(2).matches("[0-9A-Fa-f]+")) {
            throw error(t, "'" + s + "' is not hex bytes (0x then an even number of hex digits)");
        }
        byte[] b = HexFormat.of().parseHex(s.substring(2));
        if (b.length > MAX_PAYLOAD_BYTES) {
            throw error(t, "at most " + MAX_PAYLOAD_BYTES + " payload bytes per test, not " + b.length);
        }
        return b;
    }

    private Match dns() throws RuleSyntaxException {
        if (atEnd() || !(peek().text.equals("qname") || peek().text.equals("suffix"))) {
            return new Match.Dns(null, false);
        }
        Token k = next();
        Token n = expect("a DNS name after 'dns " + k.text + "'");
        String name = n.text.endsWith(".") && n.text.length() > 1 ? n.text.substring(0, n.text.length() - 1) : n.text;
        if (name.length() > 253 || !name.matches("[A-Za-z0-9_-]{1,63}(\\.[A-Za-z0-9_-]{1,63})*")) {
            throw error(n, "'" + n.text + "' is not a DNS name (labels of 1-63 letters, digits, - or _, joined by dots)");
        }
        return new Match.Dns(name.toLowerCase(Locale.ROOT), k.text.equals("suffix"));
    }

    private NumberSet numbers(Token t, long max, String what) throws RuleSyntaxException {
        try {
            return NumberSet.parse(t.text, max, what);
        } catch (UserException e) {
            throw error(t, e.getMessage());
        }
    }

    private static boolean startsNumber(String s) {
        char c = s.charAt(0);
        return (c >= '0' && c <= '9') || c == '<' || c == '>';
    }

    private static Integer protocolByName(String name) {
        return switch (name) {
            case "icmp" -> IpProtocols.ICMP;
            case "tcp" -> IpProtocols.TCP;
            case "udp" -> IpProtocols.UDP;
            case "gre" -> IpProtocols.GRE;
            case "esp" -> IpProtocols.ESP;
            case "ah" -> IpProtocols.AH;
            case "icmp6" -> IpProtocols.ICMPV6;
            case "sctp" -> IpProtocols.SCTP;
            case "udplite" -> IpProtocols.UDPLITE;
            default -> null;
        };
    }

    // ---------------------------------------------------------------- tokens

    private static List<Token> tokenize(String line) {
        List<Token> out = new ArrayList<>();
        int i = 0;
        int n = line.length();
        while (i < n) {
            char c = line.charAt(i);
            if (c == '#') {
                break;
            }
            if (Character.isWhitespace(c)) {
                i++;
                continue;
            }
            int start = i;
            while (i < n && !Character.isWhitespace(line.charAt(i)) && line.charAt(i) != '#') {
                i++;
            }
            out.add(new Token(line.substring(start, i), start + 1));
        }
        return out;
    }

    private boolean atEnd() {
        return at >= tokens.size();
    }

    private Token peek() {
        return tokens.get(at);
    }

    private Token next() {
        return tokens.get(at++);
    }

    private Token endToken() {
        int end = text.indexOf('#');
        String body = end < 0 ? text : text.substring(0, end);
        return new Token("", body.stripTrailing().length() + 1);
    }

    private Token expect(String what) throws RuleSyntaxException {
        if (atEnd()) {
            throw error(endToken(), "expected " + what + " at the end of the line");
        }
        return next();
    }

    private void endOfLine() throws RuleSyntaxException {
        if (!atEnd()) {
            Token t = peek();
            throw error(t, "unexpected '" + t.text + "' at the end of the rule");
        }
    }

    private RuleSyntaxException error(Token t, String message) {
        return new RuleSyntaxException(file, lineNumber, t.column, message);
    }
}
