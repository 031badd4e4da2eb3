package io.netbypass.filter.engine;

import io.netbypass.packet.EtherTypes;
import io.netbypass.packet.IpProtocols;
import io.netbypass.packet.LinkType;
import io.netbypass.packet.PacketParser;
import io.netbypass.packet.ParsedPacket;
import io.netbypass.util.UserException;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

import static io.netbypass.testing.Frames.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The blocklist as the workers and the control thread use it: offers taken in at a refresh,
 * sources blocked until their time, then forgotten; entries by hand; the listeners (the driver's
 * map) told of every change in the kernel's clock; and a ratelimit rule with {@code block}
 * putting the source over its rate there, so that its next packets are blocked before the rules.
 */
class BlocklistTest {
    private static ParsedPacket from(String source) {
        boolean v6 = source.contains(":");
        byte[] ip = v6 ? ipv6(source, "2001:db8::53", IpProtocols.UDP, udp(1000, 9, new byte[8]))
                : ipv4(source, "198.18.0.53", IpProtocols.UDP, udp(1000, 9, new byte[8]));
        byte[] f = ethernet(v6 ? EtherTypes.IPV6 : EtherTypes.IPV4, ip);
        ParsedPacket p = new ParsedPacket();
        PacketParser.parse(MemorySegment.ofArray(f), 0, f.length, LinkType.ETHERNET, p);
        return p;
    }

    @Test
    void anOfferBlocksAtTheNextRefreshUntilItsTimeAndListenersHearOfIt() {
        Blocklist b = new Blocklist();
        b.origin(1_000);
        List<String> heard = new ArrayList<>();
        b.addListener(new Blocklist.Listener() {
            @Override
            public void blocked(int version, long high, long low, long until) {
                heard.add("+" + version + ":" + Long.toHexString(high) + ":" + Long.toHexString(low) + "@" + until);
            }

            @Override
            public void unblocked(int version, long high, long low) {
                heard.add("-" + version + ":" + Long.toHexString(low));
            }
        });
        ParsedPacket a = from("198.18.0.7");
        ParsedPacket six = from("2001:db8::7");
        ParsedPacket other = from("198.18.0.8");
        assertTrue(b.offer(a, 5_000));
        assertTrue(b.offer(six, 7_000));
        assertFalse(b.blocked(a, 100), "not before the refresh takes the offer in");
        assertEquals(2, b.refresh(100));
        assertTrue(b.blocked(a, 100));
        assertTrue(b.blocked(six, 100));
        assertFalse(b.blocked(other, 100));
        assertEquals(List.of("198.18.0.7", "2001:db8::7"), b.list(100).stream().map(Blocklist.Entry::address).toList());
        assertTrue(heard.contains("+4:0:c6120007@6000"), heard.toString()); // the listener's clock: + origin
        assertTrue(heard.contains("+6:20010db800000000:7@8000"), heard.toString());
        assertFalse(b.blocked(a, 5_000), "a block ends at its time, before the refresh forgets it");
        assertTrue(b.offer(a, 3_000)); // shorter than the block in force: changes nothing
        assertEquals(0, b.refresh(200));
        assertEquals(1, b.refresh(5_000), "the first expires");
        assertEquals(List.of("2001:db8::7"), b.list(5_000).stream().map(Blocklist.Entry::address).toList());
        assertEquals("-4:c6120007", heard.getLast());
        assertTrue(b.add("198.18.0.8", 10_000, 5_000));
        assertTrue(b.blocked(other, 6_000), "by hand: at once");
        assertTrue(b.remove("198.18.0.8"));
        assertFalse(b.remove("198.18.0.8"));
        assertFalse(b.blocked(other, 6_000));
        assertThrows(UserException.class, () -> b.add("example.com", 10_000, 5_000));
        assertThrows(UserException.class, () -> b.add("198.18.0.0/15", 10_000, 5_000));
    }

    @Test
    void aSourceOverTheRateOfABlockingRuleIsBlockedBeforeTheRules() throws Exception {
        FilterProgram program = FilterProgram.parse("t.rules", "ratelimit 10/s burst 2 per src block 60s udp\n", Path.of("."));
        ParsedPacket a = from("198.18.0.7");
        ParsedPacket other = from("198.18.0.8");
        assertEquals(Verdict.PASS, program.decide(a, 60, 0));
        assertEquals(Verdict.PASS, program.decide(a, 60, 0));
        assertEquals(Verdict.LIMITED, program.decide(a, 60, 0), "over the burst");
        assertEquals(Verdict.LIMITED, program.decide(a, 60, 1), "still over, until the refresh");
        program.blocklist().refresh(1_000);
        assertEquals(Verdict.BLOCKED, program.decide(a, 60, 2_000));
        assertEquals(Verdict.PASS, program.decide(other, 60, 2_000), "another source is not");
        assertEquals(Verdict.BLOCKED, program.decide(a, 60, 59_000_000_000L));
        assertEquals(Verdict.PASS, program.decide(a, 60, 61_000_000_000L), "the block ends (60 s after the over-rate packet)");
        assertEquals(1, program.blocklist().size(), "until the next refresh forgets it");
        program.blocklist().refresh(61_000_000_000L);
        assertEquals(0, program.blocklist().size());
        assertEquals(6, program.packets(0), "the rule's: pass, pass, limited, limited, the other's pass, pass; not the blocked");
        assertEquals(2, program.limited(0));
    }

    @Test
    void blockingAndOfferingAllocateNothing() throws Exception {
        FilterProgram program = FilterProgram.parse("t.rules", "ratelimit 10/s burst 2 per src block 60s udp\n", Path.of("."));
        ParsedPacket[] sources = new ParsedPacket[64];
        for (int i = 0; i < sources.length; i++) {
            sources[i] = from(i % 2 == 0 ? "198.18.1." + i : "2001:db8::" + Integer.toHexString(i + 1));
        }
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long[] verdicts = new long[5];
        for (int round = 0; round < 2; round++) { // the first warms up (and fills the table: half the sources blocked)
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 1_000_000; i++) {
                verdicts[program.decide(sources[i & 63], 60, round * 1_000_000_000L + i)]++;
            }
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            if (round == 0) {
                program.blocklist().refresh(1_000_000); // the control thread's part, off the measured loop
            } else {
                assertTrue(allocated < 4096, "allocated " + allocated + " bytes over a million decisions");
            }
        }
        assertTrue(verdicts[Verdict.BLOCKED] > 900_000, "the sources were blocked: " + Arrays.toString(verdicts));
        assertEquals(64, program.blocklist().size());
    }

    @Test
    void pastItsCapacityTheBlockEndingFirstMakesRoomAndARefreshTakesOneRingAtMost() {
        Blocklist b = new Blocklist();
        int[] gone = {0};
        b.addListener(new Blocklist.Listener() {
            @Override
            public void blocked(int version, long high, long low, long until) {
            }

            @Override
            public void unblocked(int version, long high, long low) {
                gone[0]++;
            }
        });
        byte[] f = ethernet(EtherTypes.IPV4, ipv4("10.0.0.0", "198.18.0.53", IpProtocols.UDP, udp(1000, 9, new byte[8])));
        MemorySegment s = MemorySegment.ofArray(f);
        ParsedPacket p = new ParsedPacket();
        int sources = Blocklist.CAPACITY + 100;
        int refreshes = 0;
        for (int i = 0; i < sources; i++) {
            f[14 + 12 + 2] = (byte) (i >>> 8); // 10.0.x.y: the source, through the frame
            f[14 + 12 + 3] = (byte) i;
            f[14 + 12 + 1] = (byte) (i >>> 16);
            PacketParser.parse(s, 0, f.length, LinkType.ETHERNET, p);
            while (!b.offer(p, 1_000_000L + i)) { // the later, the longer
                b.refresh(0);
                refreshes++;
            }
        }
        while (b.refresh(0) > 0) {
            refreshes++;
        }
        assertEquals(Blocklist.CAPACITY, b.size());
        assertEquals(100, gone[0], "the 100 that end first made room");
        assertEquals(1_000_100L, b.list(0).getFirst().untilNanos());
        assertTrue(refreshes >= sources / 4096, refreshes + " refreshes: one ring's worth each at most");
        assertEquals(Blocklist.CAPACITY, b.refresh(1_000_000L + sources), "all expire");
        assertEquals(0, b.size());
    }
}
