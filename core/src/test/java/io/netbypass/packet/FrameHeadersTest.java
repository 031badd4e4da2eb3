package io.netbypass.packet;

import static org.junit.jupiter.api.Assertions.*;

import io.netbypass.testing.Frames;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/** The parser's offsets packed into a slot's 8 bytes, and the check that makes a value from an application's memory safe to use. */
class FrameHeadersTest {
    private static ParsedPacket parse(byte[] f) {
        ParsedPacket p = new ParsedPacket();
        PacketParser.parse(MemorySegment.ofArray(f), 0, f.length, LinkType.ETHERNET, p);
        return p;
    }

    @Test
    void packsWhatTheParserFound() {
        byte[] udp = Frames.ethernet(0x0800, Frames.ipv4("198.18.0.1", "198.18.0.2", IpProtocols.UDP,
                Frames.udp(1000, 53, new byte[20])));
        byte[] tcp6 = Frames.ethernet(0x86dd, Frames.ipv6("2001:db8::1", "2001:db8::2", IpProtocols.TCP,
                Frames.tcp(1, 80, 7, 0, 0x10, new byte[0], new byte[5])));
        byte[] arp = Frames.ethernet(0x0806, new byte[28]);
        for (byte[] f : new byte[][] {udp, tcp6, arp}) {
            ParsedPacket p = parse(f);
            long h = FrameHeaders.of(p);
            assertTrue(FrameHeaders.fits(h, f.length));
            assertEquals(p.l3Offset(), FrameHeaders.l3(h));
            assertEquals(p.l4Offset(), FrameHeaders.l4(h));
            assertEquals(p.payloadOffset(), FrameHeaders.payload(h));
            assertEquals(p.ipVersion(), FrameHeaders.version(h));
            assertEquals(p.isFragment(), FrameHeaders.fragment(h));
            if (p.l4Offset() >= 0) {
                assertEquals(p.ipProtocol(), FrameHeaders.protocol(h));
            }
        }
        assertEquals(IpProtocols.UDP, FrameHeaders.protocol(FrameHeaders.of(parse(udp))));
        assertEquals(6, FrameHeaders.version(FrameHeaders.of(parse(tcp6))));
        assertFalse(FrameHeaders.fits(FrameHeaders.UNKNOWN, 100), "nobody parsed it");
    }

    @Test
    void valuesThatDoNotDescribeTheFrameAreNotTrusted() {
        byte[] udp = Frames.ethernet(0x0800, Frames.ipv4("198.18.0.1", "198.18.0.2", IpProtocols.UDP,
                Frames.udp(1000, 53, new byte[20])));
        long h = FrameHeaders.of(parse(udp));
        assertFalse(FrameHeaders.fits(h, 30), "offsets past a shorter frame");
        assertFalse(FrameHeaders.fits(FrameHeaders.of(14, 10, 18, IpProtocols.UDP, 4, false), 100), "transport before network");
        assertFalse(FrameHeaders.fits(FrameHeaders.of(14, 34, 30, IpProtocols.UDP, 4, false), 100), "payload before transport");
        assertFalse(FrameHeaders.fits(FrameHeaders.of(14, 34, 42, IpProtocols.UDP, 5, false), 100), "not IPv4 or IPv6");
        // Whatever 64 bits an application leaves in the slot: if they are taken, every offset lies inside the frame, in order.
        SplittableRandom r = new SplittableRandom(19);
        for (int i = 0; i < 1_000_000; i++) {
            long v = r.nextLong();
            int length = r.nextInt(1, 2000);
            if (FrameHeaders.fits(v, length)) {
                int l3 = FrameHeaders.l3(v);
                int l4 = FrameHeaders.l4(v);
                int payload = FrameHeaders.payload(v);
                assertTrue(l3 < length && l4 < length + 1 && payload < length + 1, Long.toHexString(v));
                assertTrue(l4 < 0 || l4 > l3);
                assertTrue(payload < 0 || payload >= l4);
            }
        }
    }
}
