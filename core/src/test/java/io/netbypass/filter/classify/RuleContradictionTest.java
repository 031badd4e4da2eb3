package io.netbypass.filter.classify;

import io.netbypass.filter.engine.FilterProgram;
import io.netbypass.filter.rules.RuleSyntaxException;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.*;

/** Tests that can never hold together make a rule that never matches: a typo, refused at the test that does it. */
class RuleContradictionTest {
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "drop ttl 5 ttl 6|t:1:12: 'ttl 6' contradicts 'ttl 5' earlier in the rule: it could never match",
            "drop udp not udp|t:1:10: 'not proto 17' contradicts 'proto 17' earlier in the rule",
            "drop frag first frag later|t:1:17: 'frag later' contradicts 'frag first' earlier in the rule",
            "drop src 10.0.0.0/8 src 11.0.0.0/8|t:1:21: 'src net 11.0.0.0/8' contradicts 'src net 10.0.0.0/8'",
            "drop icmp type 8 not icmp type 8|t:1:18: 'not icmp type 8' contradicts 'icmp type 8'",
            "drop dst port 53 dst port 80 name x|t:1:18: 'dst port 80' contradicts 'dst port 53'",
            "drop len <100 len >200|t:1:15: 'len 201-65535' contradicts 'len 0-99'",
            "drop vlan 5 not vlan|t:1:13: 'not vlan' contradicts 'vlan 5'",
            "drop malformed not malformed|t:1:16: 'not malformed' contradicts 'malformed'",
            "drop flags S/S flags F/FS|t:1:16: 'flags F/",
            "drop frag not frag first not frag later|t:1:26: 'not frag later' contradicts the tests before it, taken together",
    })
    void contradictionsAreRefusedWhereTheyHappen(String rule, String expected) {
        RuleSyntaxException e = assertThrows(RuleSyntaxException.class, () -> FilterProgram.parse("t", rule + "\n", null));
        assertTrue(e.getMessage().startsWith(expected), e.getMessage());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "drop port 53 not src port 53", "drop ttl <10 ttl >5", "drop icmp type 8 not icmp type 8 code 0",
            "drop udp dst port 53 not dns", "drop src 10.0.0.0/8 src 10.1.0.0/16"})
    void overlapsAreFine(String rule) throws Exception {
        assertEquals(1, FilterProgram.parse("t", rule + "\n", null).rules().size());
    }
}
