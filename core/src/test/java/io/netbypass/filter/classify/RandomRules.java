package io.netbypass.filter.classify;

import io.netbypass.filter.rules.RuleSet;

import java.util.Random;

/**
 * Random rule sets over every test of the language (a list file {@code l.txt} beside them), for
 * differential tests of the classifiers: the compiled one here, the driver's (XDP) one in linux.
 */
public final class RandomRules {
    public static final String[] TESTS = {"udp", "tcp", "icmp", "icmp6", "ip", "ip6", "arp", "proto gre", "sctp",
            "src 198.18.0.0/15", "dst net 198.18.0.53", "src host 198.19.1.1", "host 2001:db8::1", "net 2001:db8::/32",
            "dst 2001:db8:1::/48", "dst net 0.0.0.0/0", "src net ::/0", "src port 53", "dst port 1000-1100", "port 53,80", "dst port >1023", "src port <100",
            "flags S/SA", "flags A", "flags 0x12/0x12", "len <100", "len 60-80", "ttl <5", "hoplimit 64", "ttl 255",
            "frag", "frag first", "frag later", "vlan", "vlan 100,200-210", "icmp type 8", "icmp type 8 code 0",
            "icmp6 type 128-129", "payload 0 0x12", "payload 2 0x0100 mask 0x8100", "payload 0 0x0035", "dns",
            "dns qname www.example.com", "dns suffix example.com", "dns qname example.com", "ether type 0x86dd",
            "ether type ip", "ether src 02:00:00:00:00:01", "ether dst ff:ff:ff:ff:ff:ff", "src list l.txt",
            "dst list l.txt", "host list l.txt", "malformed", "malformed truncated", "malformed bad-length,too-deep"};
    public static final String[] ACTIONS = {"drop", "pass", "tx", "ratelimit 10/s", "ratelimit 5/s per src"};
    /** The list file the tests name. */
    public static final String LIST = "198.18.0.0/24\n198.19.1.1\n2001:db8::/64\n10.0.0.0/8\n";

    private RandomRules() {
    }

    /** A rules file of 1-8 rules (a quarter of the time up to 80), each of 0-3 tests, some negated. */
    public static String text(Random r) {
        StringBuilder b = new StringBuilder();
        int n = 1 + r.nextInt(r.nextInt(4) == 0 ? 80 : 8);
        for (int i = 0; i < n; i++) {
            String action = ACTIONS[r.nextInt(ACTIONS.length)];
            b.append(action);
            int tests = r.nextInt(4);
            for (int t = 0; t < tests; t++) {
                b.append(r.nextInt(3) == 0 ? " not " : " ").append(TESTS[r.nextInt(TESTS.length)]);
            }
            if (r.nextInt(3) == 0 && !action.equals("pass") && !action.equals("tx")) {
                b.append(" fail-closed");
            }
            b.append('\n');
        }
        if (r.nextBoolean()) {
            b.append(r.nextBoolean() ? "default drop\n" : "default pass\n");
        }
        return b.toString();
    }

    /** The rules as text, for a failure message. */
    public static String describe(RuleSet rules) {
        StringBuilder b = new StringBuilder();
        rules.rules().forEach(x -> b.append(x).append('\n'));
        return b.append("default ").append(rules.defaultAction()).append('\n').toString();
    }
}
