package io.netbypass.filter.rules;

import io.netbypass.filter.rules.Action;
import io.netbypass.filter.rules.Match;
import io.netbypass.filter.rules.NumberSet;
import io.netbypass.filter.rules.Prefix;
import io.netbypass.filter.rules.Rule;
import io.netbypass.filter.rules.RuleParser;
import io.netbypass.filter.rules.RuleSet;
import io.netbypass.filter.rules.RuleSyntaxException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.*;

class RuleParserTest {
    @TempDir
    Path dir;

    private RuleSet parse(String text) throws RuleSyntaxException {
        return RuleParser.parse("t.rules", text, dir);
    }

    private List<Match> matches(String line) throws RuleSyntaxException {
        RuleSet s = parse(line);
        assertEquals(1, s.size(), line);
        return s.rule(0).matches();
    }

    @Test
    void everyConstructParses() throws Exception {
        Files.writeString(dir.resolve("bad.txt"), "# blocklist\n203.0.113.0/24\n2001:db8::/32 # docs\n\n198.51.100.7\n");
        String text = """
                # comment line
                drop   udp dst port 53 not dns                      name junk-dns   # trailing comment
                pass   udp dst port 53 dns suffix Example.COM.       name valid
                pass   udp dst port 53 dns qname www.example.com
                ratelimit 1000/s burst 50 per src  udp dst port 53  name dns-per-source
                ratelimit 10k/s per flow tcp flags S/SA
                ratelimit 2M/s
                tx     icmp type 8 code 0
                drop   icmp6 type 128-129
                drop   ether type 0x88cc
                drop   ether type arp ether src 02:00:00:00:00:01 ether dst ff-ff-ff-ff-ff-ff
                drop   vlan 100,200-210 ip6
                drop   vlan
                drop   src 198.18.0.0/15 dst net 10.0.0.0/8 host 192.0.2.1 net 2001:db8::/32
                drop   src host 198.18.0.1 dst 2001:db8::1
                drop   src list bad.txt
                drop   host list bad.txt
                drop   not dst list bad.txt
                drop   proto 47
                drop   proto gre
                drop   src port 1024-65535 dst port <1024 port 80,443
                drop   len >=1400 ttl <5
                drop   hoplimit 255
                drop   frag
                drop   frag later
                drop   frag first
                drop   tcp flags 0x02/0x12
                drop   payload 0 0x1234
                drop   payload 2 0x0100 mask 0x8100
                drop   sctp
                drop   esp
                drop   not ip
                default drop
                """;
        RuleSet s = parse(text);
        assertEquals(Action.DROP, s.defaultAction());
        Rule junk = s.rule(0);
        assertEquals("junk-dns", junk.name());
        assertEquals(List.of(new Match.Protocol(17), new Match.Port(Match.Side.DST, NumberSet.of(53)),
                new Match.Not(new Match.Dns(null, false))), junk.matches());
        assertEquals(new Match.Dns("example.com", true), s.rule(1).matches().get(2));
        assertEquals(new Match.Dns("www.example.com", false), s.rule(2).matches().get(2));
        assertEquals("line-4", s.rule(2).name());
        assertEquals(Action.rateLimit(1000, 50, Action.Per.SRC), s.rule(3).action());
        assertEquals(Action.rateLimit(10_000, 10_000, Action.Per.FLOW), s.rule(4).action());
        assertEquals(new Match.TcpFlags(0b10, 0b10010), s.rule(4).matches().get(1));
        assertEquals(Action.rateLimit(2_000_000, 2_000_000, Action.Per.RULE), s.rule(5).action());
        assertEquals(List.of(new Match.Icmp(1, NumberSet.of(8), NumberSet.of(0))), s.rule(6).matches());
        assertEquals(Action.TX, s.rule(6).action());
        assertEquals(List.of(new Match.Icmp(58, NumberSet.range(128, 129), null)), s.rule(7).matches());
        assertEquals(List.of(new Match.EtherType(0x88cc)), s.rule(8).matches());
        assertEquals(List.of(new Match.EtherType(0x0806), new Match.EtherAddress(Match.Side.SRC, 0x020000000001L),
                new Match.EtherAddress(Match.Side.DST, 0xffffffffffffL)), s.rule(9).matches());
        assertEquals(new Match.Vlan(NumberSet.parse("100,200-210", 4095, "id")), s.rule(10).matches().get(0));
        assertEquals(new Match.Vlan(null), s.rule(11).matches().get(0));
        assertEquals(List.of(new Match.Address(Match.Side.SRC, Prefix.parse("198.18.0.0/15")),
                new Match.Address(Match.Side.DST, Prefix.parse("10.0.0.0/8")),
                new Match.Address(Match.Side.EITHER, Prefix.parse("192.0.2.1/32")),
                new Match.Address(Match.Side.EITHER, Prefix.parse("2001:db8::/32"))), s.rule(12).matches());
        assertEquals(new Match.Address(Match.Side.DST, Prefix.parse("2001:db8::1/128")), s.rule(13).matches().get(1));
        Match.AddressList list = (Match.AddressList) s.rule(14).matches().get(0);
        assertEquals(3, list.list().size());
        assertSame(list.list(), ((Match.AddressList) s.rule(15).matches().get(0)).list(), "a list file is loaded once");
        assertInstanceOf(Match.Not.class, s.rule(16).matches().get(0));
        assertEquals(List.of(new Match.Protocol(47)), s.rule(17).matches());
        assertEquals(List.of(new Match.Protocol(47)), s.rule(18).matches());
        assertEquals(List.of(new Match.Port(Match.Side.SRC, NumberSet.range(1024, 65535)),
                new Match.Port(Match.Side.DST, NumberSet.range(0, 1023)),
                new Match.Port(Match.Side.EITHER, NumberSet.parse("80,443", 65535, "port"))), s.rule(19).matches());
        assertEquals(List.of(new Match.Length(NumberSet.range(1400, 65535)), new Match.Ttl(NumberSet.range(0, 4))),
                s.rule(20).matches());
        assertEquals(List.of(new Match.Ttl(NumberSet.of(255))), s.rule(21).matches());
        assertEquals(List.of(new Match.Fragment(Match.Fragment.Kind.ANY)), s.rule(22).matches());
        assertEquals(List.of(new Match.Fragment(Match.Fragment.Kind.LATER)), s.rule(23).matches());
        assertEquals(List.of(new Match.Fragment(Match.Fragment.Kind.FIRST)), s.rule(24).matches());
        assertEquals(List.of(new Match.Protocol(6), new Match.TcpFlags(0x02, 0x12)), s.rule(25).matches());
        assertEquals(new Match.Payload(0, new byte[] {0x12, 0x34}, new byte[] {(byte) 0xff, (byte) 0xff}), s.rule(26).matches().get(0));
        assertEquals(new Match.Payload(2, new byte[] {1, 0}, new byte[] {(byte) 0x81, 0}), s.rule(27).matches().get(0));
        assertEquals(List.of(new Match.Protocol(132)), s.rule(28).matches());
        assertEquals(List.of(new Match.Protocol(50)), s.rule(29).matches());
        assertEquals(List.of(new Match.Not(new Match.IpVersion(4))), s.rule(30).matches());
        assertEquals(31, s.size());
    }

    @Test
    void shippedExamplesParseAndCompile() throws Exception {
        try (var files = Files.list(Path.of("../examples"))) {
            List<Path> rules = files.filter(p -> p.toString().endsWith(".rules")).sorted().toList();
            assertTrue(rules.size() >= 2, rules.toString());
            for (Path p : rules) {
                RuleSet s = RuleParser.parse(p);
                assertTrue(s.size() >= 3, p.toString());
                io.netbypass.filter.classify.CompiledClassifier.compile(s);
            }
        }
    }

    @Test
    void aPerSourceLimitMayBlockTheSourcesOverIt() throws Exception {
        RuleSet s = parse("ratelimit 100/s burst 10 per src block 90s udp name a\nratelimit 5/s block 2h per src\n"
                + "ratelimit 5/s per src block 1d\n");
        assertEquals(Action.rateLimit(100, 10, Action.Per.SRC, 90_000_000_000L), s.rule(0).action());
        assertEquals(List.of(new Match.Protocol(17)), s.rule(0).matches());
        assertEquals(7_200_000_000_000L, s.rule(1).action().blockNanos());
        assertEquals("ratelimit 5/s burst 5 per src block 24h", s.rule(2).action().toString());
        assertEquals("ratelimit 100/s burst 10 per src block 90s", s.rule(0).action().toString());
    }

    @Test
    void noDefaultMeansPassAndEmptyFileIsNoRules() throws Exception {
        RuleSet s = parse("# nothing\n\n   \n");
        assertEquals(0, s.size());
        assertEquals(Action.PASS, s.defaultAction());
        assertEquals(List.of(), matches("drop"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "dorp udp                            | 1:1: a rule starts with drop, pass, tx, ratelimit or default, not 'dorp'",
            "drop udpp                           | 1:6: unknown test 'udpp'",
            "drop udp dst port                   | 1:18: expected ports after 'dst port' at the end of the line",
            "drop udp dst port 70000             | 1:19: port 70000 is out of range 0-65535",
            "drop udp dst port 80-20             | 1:19: port range 80-20 is backwards",
            "drop udp dst port abc               | 1:19: 'abc' is not a port number",
            "drop src 10.0.0.1/8                 | 1:10: 10.0.0.1/8 has host bits set (the network is 10.0.0.0/8)",
            "drop src 10.0.0.0/33                | 1:10: prefix length 33 is longer than 32",
            "drop src 300.0.0.1                  | 1:10: '300.0.0.1' is not an IPv4 or IPv6 address",
            "drop host 10.0.0.0/8                | 1:11: 'host' takes one address; use 'net 10.0.0.0/8' for a prefix",
            "drop src list nothere.txt           | 1:15: prefix list",
            "drop src foo                        | 1:10: 'src' is followed by an address, net, host, list or port, not 'foo'",
            "drop udp tcp                        | 1:10: 'proto 6' contradicts 'proto 17' earlier in the rule: it could never match",
            "drop ip ip6                         | 1:9: 'ip6' contradicts 'ip' earlier in the rule",
            "drop not not udp                    | 1:10: 'not not' cancels out",
            "drop not                            | 1:9: 'not' needs a test after it",
            "drop flags X                        | 1:12: 'X' is not a TCP flag",
            "drop flags SA/S                     | 1:12: flags A are outside the mask S: the test could never hold",
            "drop flags S/0x00                   | 1:12: a flags mask of nothing matches every packet",
            "drop payload 0 0x123                | 1:16: '0x123' is not hex bytes",
            "drop payload 0 0x12 mask 0xffff     | 1:26: the mask has 2 bytes, the value 1: they must match",
            "drop payload 0 0xff mask 0x0f       | 1:16: value bits outside the mask at byte 0",
            "drop dns qname bad..name            | 1:16: 'bad..name' is not a DNS name",
            "drop ether type 0x0100              | 1:17: EtherType 0x0100 is an 802.3 length",
            "drop ether src 02:00:00:00:00       | 1:16: '02:00:00:00:00' is not a MAC address",
            "drop ether foo                      | 1:12: 'ether' is followed by type, src or dst, not 'foo'",
            "ratelimit                           | 1:10: expected a rate such as 1000/s after 'ratelimit' at the end of the line",
            "ratelimit 1000                      | 1:11: a rate is packets per second, such as 1000/s or 10k/s, not '1000'",
            "ratelimit 0/s                       | 1:11: rate 0/s is out of range 1-1000M",
            "ratelimit 10/s per host             | 1:20: ratelimit is per src, dst or flow, not 'host'",
            "ratelimit 10/s burst x              | 1:22: 'x' is not a burst",
            "drop udp name                       | 1:14: expected a rule name after 'name' at the end of the line",
            "drop udp name a b                   | 1:17: unexpected 'b' at the end of the rule",
            "drop udp name bad/name              | 1:15: a rule name is 1-64 letters",
            "drop ttl 256                        | 1:10: ttl 256 is out of range 0-255",
            "drop len <0                         | 1:10: length <0 matches nothing",
            "drop vlan 4096                      | 1:11: VLAN ID 4096 is out of range 0-4095",
            "drop list x                         | 1:6: 'list' follows src, dst or host",
            "drop port 1 port 2 port 3 port 4 port 5 | 1:34: at most 4 tests per rule may match either side",
            "default                             | 1:8: expected drop or pass after 'default' at the end of the line",
            "default tx                          | 1:9: default is 'drop' or 'pass', not 'tx'",
            "default drop drop                   | 1:14: unexpected 'drop' at the end of the rule",
            "drop proto 1-2                      | 1:12: proto takes one protocol, not '1-2'",
            "drop proto bogus                    | 1:12: 'bogus' is not a protocol number",
            "drop ether type 0x800-0x900         | 1:17: ether type takes one EtherType, not '0x800-0x900'",
            "drop payload 1-2 0x00               | 1:14: payload takes one offset, not '1-2'",
            "drop src 10.0.0.0/x                 | 1:10: 'x' is not a prefix length",
            "drop icmp type                      | 1:15: expected ICMP types after 'type' at the end of the line",
            "drop icmp type 8 code               | 1:22: expected ICMP codes after 'code' at the end of the line",
            "drop flags 0x100                    | 1:12: '0x100' is not a TCP flags byte (0x00-0xff)",
            "drop dns qname                      | 1:15: expected a DNS name after 'dns qname' at the end of the line",
            "ratelimit 10/s burst 2000M          | 1:22: burst 2000M is out of range 1-1000M",
            "ratelimit 10/s block 60s            | 1:16: 'block' blocks the source that goes over the rate: it takes 'per src'",
            "ratelimit 10/s per dst block 60s    | 1:24: it takes 'per src', not 'per dst'",
            "ratelimit 10/s per src block 60     | 1:30: a block lasts a number of seconds, minutes, hours or days (60s, 10m, 1h, 1d), not '60'",
            "ratelimit 10/s per src block 8d     | 1:30: a block lasts 1s to 7d, not '8d'",
            "ratelimit 10/s per src block        | 1:29: expected a duration such as 60s, 10m or 1h after 'block' at the end of the line",
            "drop host                           | 1:10: expected an address or list after 'host' at the end of the line",
            "drop ether src                      | 1:15: expected a MAC address after 'ether src' at the end of the line",
            "drop src                            | 1:9: expected an address, net, host, list or port after 'src' at the end of the line",
            "drop payload 0 0xzz                 | 1:16: '0xzz' is not hex bytes",
            "drop src host 10.0.0.0/8            | 1:15: 'host' takes one address; use 'src net 10.0.0.0/8' for a prefix",
            "drop port ,                         | 1:11: missing port number",
            "drop port >65535                    | 1:11: port >65535 matches nothing (the largest is 65535)",
            "drop port 1--2                      | 1:11: '-2' is not a port number",
    })
    void errorsSayWhereAndWhat(String line, String expected) {
        RuleSyntaxException e = assertThrows(RuleSyntaxException.class, () -> parse(line));
        assertTrue(e.getMessage().startsWith("t.rules:" + expected.substring(0, expected.indexOf(": ") + 2)),
                e.getMessage() + " vs " + expected);
        assertTrue(e.getMessage().contains(expected.substring(expected.indexOf(": ") + 2)), e.getMessage() + " vs " + expected);
    }

    @Test
    void errorsOnLaterLinesAndAfterDefault() {
        RuleSyntaxException e = assertThrows(RuleSyntaxException.class, () -> parse("drop udp\n\n  pass tcp  bogus\n"));
        assertEquals("t.rules:3:13: unknown test 'bogus' (tests: ether vlan ip ip6 arp tcp udp icmp icmp6 sctp proto src"
                + " dst host net port flags len ttl frag malformed payload dns; 'not' before any)", e.getMessage());
        assertEquals(3, e.line());
        assertEquals(13, e.column());
        e = assertThrows(RuleSyntaxException.class, () -> parse("default pass\ndrop udp\n"));
        assertEquals("t.rules:2:1: nothing may follow 'default' (line 1): no packet would reach it", e.getMessage());
        e = assertThrows(RuleSyntaxException.class, () -> parse("drop udp name a\ndrop tcp name a\n"));
        assertEquals("t.rules:2:15: rule name 'a' is already used", e.getMessage());
    }

    @Test
    void longPayloadsAndBadListFilesAndExpansionLimits() throws Exception {
        RuleSyntaxException e = assertThrows(RuleSyntaxException.class, () -> parse("drop payload 0 0x" + "ab".repeat(65)));
        assertEquals("t.rules:1:16: at most 64 payload bytes per test, not 65", e.getMessage());
        Files.createDirectory(dir.resolve("adir"));
        e = assertThrows(RuleSyntaxException.class, () -> parse("drop src list adir"));
        assertEquals("t.rules:1:15: prefix list " + dir.resolve("adir") + " does not exist or is not a file", e.getMessage());
        Files.writeString(dir.resolve("two.txt"), "10.0.0.0/8 10.1.0.0/16\n");
        e = assertThrows(RuleSyntaxException.class, () -> parse("drop src list two.txt"));
        assertEquals(dir.resolve("two.txt") + ":1:1: one prefix per line, not '10.0.0.0/8 10.1.0.0/16'", e.getMessage());
        // Either-side tests and negated multi-field tests multiply a rule's alternatives (those no
        // packet could pass are left out): 2 (port 1 port 2) x 2 x 3 x 3 x 3 x 3 > 256.
        RuleSet s = parse("\ndrop port 1 port 2 net 10.0.0.0/8 not icmp type 1 code 1 not icmp type 2 code 2"
                + " not icmp type 3 code 3 not icmp type 4 code 4 name big\n");
        e = assertThrows(RuleSyntaxException.class, () -> io.netbypass.filter.classify.CompiledClassifier.compile(s));
        assertEquals("t.rules:2:1: the rule expands to more than 256 alternatives (each 'not' of a multi-field test or"
                + " either-side test multiplies them): split it", e.getMessage());
    }

    @Test
    void badPrefixListLineIsReportedInTheListFile() throws IOException {
        Files.writeString(dir.resolve("l.txt"), "10.0.0.0/8\n  10.1.2.3/16\n");
        RuleSyntaxException e = assertThrows(RuleSyntaxException.class, () -> parse("drop src list l.txt"));
        assertEquals(dir.resolve("l.txt") + ":2:3: 10.1.2.3/16 has host bits set (the network is 10.1.0.0/16)", e.getMessage());
    }

    @Test
    void randomGarbageGivesRuleErrorsAndNothingElse() {
        Random random = new Random(5);
        String[] words = {"drop", "pass", "tx", "ratelimit", "default", "not", "udp", "tcp", "src", "dst", "port", "net",
                "host", "list", "flags", "len", "ttl", "frag", "payload", "dns", "qname", "suffix", "name", "ether", "type",
                "vlan", "icmp", "code", "mask", "burst", "per", "10/s", "53", "0x1f", "10.0.0.0/8", "::1", "S/SA", "<5",
                "1-2", "x.y", "#", "", "-", "/", "0x", "65536", "a,b", "\t", "é", "2001:db8::/129"};
        int errors = 0;
        for (int i = 0; i < 20_000; i++) {
            StringBuilder b = new StringBuilder();
            int n = random.nextInt(9);
            for (int k = 0; k < n; k++) {
                b.append(random.nextInt(5) == 0 ? randomChars(random) : words[random.nextInt(words.length)]).append(' ');
            }
            try {
                parse(b.toString());
            } catch (RuleSyntaxException e) {
                errors++;
                assertTrue(e.getMessage().matches("t\\.rules:1:\\d+: .+"), e.getMessage());
            }
        }
        assertTrue(errors > 10_000, "most garbage is rejected: " + errors);
    }

    private static String randomChars(Random r) {
        char[] c = new char[1 + r.nextInt(6)];
        for (int i = 0; i < c.length; i++) {
            c[i] = (char) (33 + r.nextInt(94));
        }
        return new String(c);
    }
}
