package io.netbypass.packet;

import java.lang.foreign.MemorySegment;
import java.util.Random;

import org.junit.jupiter.api.Test;

import io.netbypass.testing.Frames;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChecksumsTest {
    @Test
    void rfc1071Example() {
        // RFC 1071 section 3: the sum of 0001 f203 f4f5 f6f7 is ddf2 (folded, not complemented)
        byte[] data = {0x00, 0x01, (byte) 0xf2, 0x03, (byte) 0xf4, (byte) 0xf5, (byte) 0xf6, (byte) 0xf7};
        assertEquals(0xddf2, Checksums.fold(Checksums.add(MemorySegment.ofArray(data), 0, data.length, 0)));
    }

    @Test
    void oddLengthPadsTheLastByte() {
        byte[] data = {0x12, 0x34, 0x56};
        assertEquals(0x1234 + 0x5600, Checksums.fold(Checksums.add(MemorySegment.ofArray(data), 0, 3, 0)));
    }

    @Test
    void knownIpv4HeaderVerifiesAndRecomputes() {
        // A textbook header (Wikipedia "IPv4 header checksum"): checksum b861.
        byte[] h = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, (byte) 0xb8, 0x61,
                (byte) 0xc0, (byte) 0xa8, 0x00, 0x01, (byte) 0xc0, (byte) 0xa8, 0x00, (byte) 0xc7};
        MemorySegment s = MemorySegment.ofArray(h);
        assertTrue(Checksums.verifyIpv4Header(s, 0, 20));
        assertEquals(0xb861, Checksums.computeIpv4Header(s, 0, 20));
        h[8] = 0x3f;
        assertFalse(Checksums.verifyIpv4Header(s, 0, 20));
    }

    @Test
    void transportChecksumsOfBuiltFramesVerify() {
        byte[] udp4 = Frames.ipv4("198.18.0.1", "198.18.0.2", IpProtocols.UDP, Frames.udp(1, 2, new byte[13]));
        byte[] tcp6 = Frames.ipv6("2001:db8::1", "2001:db8::2", IpProtocols.TCP,
                Frames.tcp(3, 4, 5, 6, 0x18, new byte[0], "payload".getBytes()));
        byte[] icmp6 = Frames.ipv6("2001:db8::1", "2001:db8::2", IpProtocols.ICMPV6, Frames.icmp(128, 0, 1, new byte[5]));
        assertTrue(Checksums.verifyTransport(MemorySegment.ofArray(udp4), 0, IpProtocols.UDP, 20, udp4.length - 20));
        assertTrue(Checksums.verifyTransport(MemorySegment.ofArray(tcp6), 0, IpProtocols.TCP, 40, tcp6.length - 40));
        assertTrue(Checksums.verifyTransport(MemorySegment.ofArray(icmp6), 0, IpProtocols.ICMPV6, 40, icmp6.length - 40));
        byte[] echo = Frames.icmpV4(8, 0, 7, new byte[9]);
        assertTrue(Checksums.verifyIcmpV4(MemorySegment.ofArray(echo), 0, echo.length));
        tcp6[60] ^= 1;
        assertFalse(Checksums.verifyTransport(MemorySegment.ofArray(tcp6), 0, IpProtocols.TCP, 40, tcp6.length - 40));
    }

    @Test
    void incrementalUpdateEqualsRecomputation() {
        Random random = new Random(1624);
        for (int i = 0; i < 20_000; i++) {
            byte[] data = new byte[2 + 2 * random.nextInt(40)];
            random.nextBytes(data);
            MemorySegment s = MemorySegment.ofArray(data);
            int before = Checksums.finish(Checksums.add(s, 0, data.length, 0));
            int word = 2 * random.nextInt(data.length / 2);
            int old = Bytes.u16(s, word);
            int now = random.nextInt(3) == 0 ? (random.nextBoolean() ? 0 : 0xffff) : random.nextInt(0x10000);
            Bytes.put16(s, word, now);
            int after = Checksums.finish(Checksums.add(s, 0, data.length, 0));
            assertEquals(normalise(after), normalise(Checksums.update16(before, old, now)), "word update " + i);
        }
    }

    @Test
    void incrementalAddressRewriteKeepsTheHeaderValid() {
        byte[] ip = Frames.ipv4("198.18.0.1", "198.18.0.2", IpProtocols.UDP, Frames.udp(1, 2, new byte[4]));
        MemorySegment s = MemorySegment.ofArray(ip);
        Ipv4Header h = new Ipv4Header().wrap(s, 0);
        int newSource = 0xc6130a0b;
        h.checksum(Checksums.update32(h.checksum(), h.source(), newSource));
        h.source(newSource);
        assertTrue(h.checksumValid());
        int oldTtl = Bytes.u16(s, 8);
        h.ttl(h.ttl() - 1);
        h.checksum(Checksums.update16(h.checksum(), oldTtl, Bytes.u16(s, 8)));
        assertTrue(h.checksumValid());
    }

    @Test
    void theBulkSumAgreesWithAWordByWordSumAtEveryOffsetAndLength() {
        java.util.SplittableRandom r = new java.util.SplittableRandom(3);
        byte[] data = new byte[4096];
        r.nextBytes(data);
        MemorySegment s = MemorySegment.ofArray(data);
        for (int t = 0; t < 20_000; t++) {
            int offset = r.nextInt(64);
            int length = r.nextInt(data.length - offset);
            long start = r.nextLong(1L << 40);
            long reference = start;
            for (int i = 0; i + 1 < length; i += 2) {
                reference += ((data[offset + i] & 0xff) << 8) | (data[offset + i + 1] & 0xff);
            }
            if ((length & 1) != 0) {
                reference += (data[offset + length - 1] & 0xff) << 8;
            }
            assertEquals(Checksums.fold(reference), Checksums.fold(Checksums.add(s, offset, length, start)),
                    "offset " + offset + " length " + length);
        }
    }

    /** Ones'-complement has two zeros; RFC 1624's update can give either where recomputation gives 0xffff. */
    private static int normalise(int checksum) {
        return checksum == 0 ? 0xffff : checksum;
    }
}
