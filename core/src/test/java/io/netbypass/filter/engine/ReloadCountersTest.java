package io.netbypass.filter.engine;

import io.netbypass.packet.FrameBuilder;
import io.netbypass.packet.IpProtocols;
import io.netbypass.packet.LinkType;
import io.netbypass.packet.PacketParser;
import io.netbypass.packet.ParsedPacket;

import java.lang.foreign.MemorySegment;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A reload keeps what the rules it keeps have counted, and the state of a rate limit it keeps
 * unchanged: per-rule counters follow a rule's name, a ratelimit rule with the same name and
 * action keeps its buckets (a limited source stays limited), one that changed starts afresh.
 */
class ReloadCountersTest {
    private static ParsedPacket udp(int source, int port) {
        byte[] f = new FrameBuilder().addresses(new byte[] {10, 0, 0, (byte) source}, new byte[] {10, 0, 0, 99})
                .protocol(IpProtocols.UDP).ports(1000, port).payload(10).build();
        ParsedPacket p = new ParsedPacket();
        PacketParser.parse(MemorySegment.ofArray(f), 0, f.length, LinkType.ETHERNET, p);
        return p;
    }

    @Test
    void countersFollowTheNameAndAnUnchangedLimitKeepsItsBuckets() throws Exception {
        FilterProgram first = FilterProgram.parse("a.rules", """
                drop udp dst port 7 name seven
                ratelimit 1/s burst 2 per src udp dst port 9 name nine
                ratelimit 1/s burst 2 udp dst port 11 name eleven
                drop udp dst port 13 name thirteen
                default pass
                """, null);
        first.prepare(1, null);
        FilterProgram.Lane lane = first.lane(0);
        for (int i = 0; i < 5; i++) {
            lane.decide(udp(1, 7), 60, 0);
            lane.decide(udp(1, 9), 60, 0);
            lane.decide(udp(1, 11), 60, 0);
            lane.decide(udp(1, 13), 60, 0);
        }
        assertEquals(3, first.limited(1));
        FilterProgram second = FilterProgram.parse("b.rules", """
                drop udp dst port 7 name seven
                ratelimit 1/s burst 2 per src udp dst port 9 name nine
                ratelimit 2/s burst 2 udp dst port 11 name eleven
                drop udp dst port 13 name renamed
                default pass
                """, null);
        second.prepare(1, first);
        FilterProgram.Lane next = second.lane(0);
        next.carry(lane);
        assertEquals(5, second.packets(0), "'seven' kept its count");
        assertEquals(5, second.packets(1));
        assertEquals(3, second.limited(1), "'nine' kept its over-rate count");
        assertEquals(0, second.packets(3), "'renamed' is a new rule: it counts from 0");
        // Still at time 0: the source 'nine' limited stays limited; 'eleven' changed its rate, so a fresh burst.
        assertEquals(Verdict.LIMITED, next.decide(udp(1, 9), 60, 0));
        assertEquals(Verdict.PASS, next.decide(udp(1, 11), 60, 0));
        assertEquals(Verdict.PASS, next.decide(udp(2, 9), 60, 0), "another source has its own bucket");
    }

    @Test
    void aRuleWithoutANameKeepsItsCountsOnlyWhenItIsTheSameRule() throws Exception {
        FilterProgram first = FilterProgram.parse("a.rules", """
                drop udp dst port 7
                drop udp dst port 9
                default pass
                """, null);
        first.prepare(1, null);
        for (int i = 0; i < 3; i++) {
            first.lane(0).decide(udp(1, 7), 60, 0);
        }
        first.lane(0).decide(udp(1, 9), 60, 0);
        // Line 2 is another rule now; the rule of port 9 moved to line 3.
        FilterProgram second = FilterProgram.parse("b.rules", """
                drop udp dst port 7
                drop udp dst port 5
                drop udp dst port 9
                default pass
                """, null);
        second.prepare(1, first);
        second.lane(0).carry(first.lane(0));
        assertEquals("line-2", second.name(1));
        assertEquals(3, second.packets(0), "line-1 is the same rule: it keeps its counts");
        assertEquals(0, second.packets(1), "line-2 is port 5's rule now, not port 9's: nothing carried to it");
        assertEquals(0, second.packets(2), "line-3 is a new name");
    }
}
