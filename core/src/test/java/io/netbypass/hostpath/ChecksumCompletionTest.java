package io.netbypass.hostpath;

import io.netbypass.packet.Bytes;
import io.netbypass.packet.Checksums;
import io.netbypass.packet.EtherTypes;
import io.netbypass.packet.FrameHeaders;
import io.netbypass.packet.IpProtocols;
import io.netbypass.testing.Frames;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import static io.netbypass.testing.Frames.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Frames whose TCP/UDP checksum a sender left partial (the field holds the folded pseudo-header
 * sum, as Linux's CHECKSUM_PARTIAL skbs carry it) are completed to exactly what a full
 * computation gives; right ones are left alone, wrong ones reported and left as they are.
 */
class ChecksumCompletionTest {
    private final ChecksumCompletion completion = new ChecksumCompletion();

    private static byte[] udp4(byte[] payload) {
        return ethernet(EtherTypes.IPV4, ipv4("198.18.0.1", "198.18.0.2", IpProtocols.UDP, udp(40000, 53, payload)));
    }

    private static byte[] tcp4(byte[] payload) {
        return ethernet(EtherTypes.IPV4, ipv4("198.18.0.1", "198.18.0.2", IpProtocols.TCP,
                tcp(40000, 80, 1000, 2000, 0x18, new byte[] {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2}, payload)));
    }

    private static byte[] udp6(byte[] payload) {
        return ethernet(EtherTypes.IPV6, ipv6("2001:db8::1", "2001:db8::2", IpProtocols.UDP, udp(40000, 53, payload)));
    }

    private static byte[] tcp6(byte[] payload) {
        return ethernet(EtherTypes.IPV6, ipv6("2001:db8::1", "2001:db8::2", IpProtocols.TCP,
                tcp(40000, 80, 1000, 2000, 0x10, new byte[0], payload)));
    }

    /** Where the transport checksum of a frame built above sits. */
    private static int checksumAt(byte[] frame) {
        boolean v4 = (frame[14] >>> 4) == 4;
        int l4 = 14 + (v4 ? (frame[14] & 0x0f) * 4 : 40);
        int proto = v4 ? frame[14 + 9] : frame[14 + 6];
        return l4 + (proto == IpProtocols.UDP ? 6 : 16);
    }

    /** What a CHECKSUM_PARTIAL sender leaves in the field: the pseudo-header sum, folded, not complemented. */
    private static byte[] partial(byte[] frame) {
        byte[] p = frame.clone();
        MemorySegment s = MemorySegment.ofArray(p);
        boolean v4 = (p[14] >>> 4) == 4;
        int l4 = 14 + (v4 ? (p[14] & 0x0f) * 4 : 40);
        int proto = v4 ? p[14 + 9] : p[14 + 6];
        int length = v4 ? Bytes.u16(s, 16) - (l4 - 14) : Bytes.u16(s, 18);
        long pseudo = v4 ? Checksums.pseudoHeaderV4(s, 14, proto, length) : Checksums.pseudoHeaderV6(s, 14, proto, length);
        Bytes.put16(s, checksumAt(p), Checksums.fold(pseudo));
        return p;
    }

    private int check(byte[] frame) {
        return completion.check(MemorySegment.ofArray(frame), 0, frame.length);
    }

    @Test
    void theHeadersAFrameComesWithAreUsedInsteadOfAParse() {
        byte[] f = partial(udp4(new byte[100]));
        MemorySegment s = MemorySegment.ofArray(f.clone());
        long udp = FrameHeaders.of(14, 34, 42, IpProtocols.UDP, 4, false);
        // Told it is a fragment (a parse would say otherwise): not summed, so the given headers were used, not a parse.
        long fragment = FrameHeaders.of(14, 34, 42, IpProtocols.UDP, 4, true);
        assertEquals(ChecksumCompletion.NOT_CHECKED, completion.check(s, 0, f.length, fragment, true));
        assertEquals(fragment, completion.headers());
        assertEquals(ChecksumCompletion.COMPLETED, completion.check(s, 0, f.length, udp, true));
        // Headers that do not fit the frame are not trusted: it is parsed.
        long lying = FrameHeaders.of(14, 34, 4000, IpProtocols.UDP, 4, false);
        assertEquals(ChecksumCompletion.VALID, completion.check(s, 0, f.length, lying, true));
        assertEquals(udp, completion.headers(), "what the parse found");
    }

    @Test
    void partialChecksumsAreCompletedToWhatAFullComputationGives() {
        byte[] payload = "a DNS query, or any payload at all".getBytes();
        for (byte[] right : new byte[][] {udp4(payload), tcp4(payload), udp6(payload), tcp6(payload), udp4(new byte[0]),
                tcp4(new byte[0]), udp4(new byte[1]), tcp6(new byte[1447])}) {
            byte[] p = partial(right);
            assertFalse(Arrays.equals(right, p), "the partial field differs from the full checksum");
            assertEquals(ChecksumCompletion.COMPLETED, check(p));
            assertArrayEquals(right, p, "completed exactly as computed in full");
            assertEquals(ChecksumCompletion.VALID, check(p), "and now it verifies");
        }
    }

    @Test
    void rightChecksumsAreLeftAloneAndWrongOnesReportedUntouched() {
        byte[] right = tcp4("payload".getBytes());
        byte[] copy = right.clone();
        assertEquals(ChecksumCompletion.VALID, check(copy));
        assertArrayEquals(right, copy);
        byte[] wrong = right.clone();
        wrong[wrong.length - 1] ^= 0x40; // the payload changed under the checksum: a real corruption
        byte[] before = wrong.clone();
        assertEquals(ChecksumCompletion.BAD, check(wrong));
        assertArrayEquals(before, wrong, "a wrong checksum stays wrong: the kernel refuses it as from a wire");
        byte[] none = udp4("x".getBytes());
        Bytes.put16(MemorySegment.ofArray(none), checksumAt(none), 0);
        assertEquals(ChecksumCompletion.ABSENT, check(none), "UDP over IPv4 without a checksum");
        byte[] zero6 = udp6("x".getBytes());
        Bytes.put16(MemorySegment.ofArray(zero6), checksumAt(zero6), 0);
        assertEquals(ChecksumCompletion.BAD, check(zero6), "IPv6 UDP must have one");
    }

    @Test
    void whatIsNotAWholeSegmentIsNotChecked() {
        byte[] icmp = ethernet(EtherTypes.IPV4, ipv4("198.18.0.1", "198.18.0.2", IpProtocols.ICMP, icmpV4(8, 0, 1, new byte[8])));
        assertEquals(ChecksumCompletion.NOT_CHECKED, check(icmp));
        byte[] fragment = ethernet(EtherTypes.IPV4, ipv4("198.18.0.1", "198.18.0.2", IpProtocols.UDP, 7, 0x2000, 64, new byte[0],
                udp(1, 2, new byte[40])));
        assertEquals(ChecksumCompletion.NOT_CHECKED, check(fragment), "a first fragment's checksum covers the whole datagram");
        byte[] cut = partial(udp4(new byte[100]));
        byte[] shorter = Arrays.copyOf(cut, cut.length - 10);
        assertEquals(ChecksumCompletion.NOT_CHECKED, check(shorter), "cut short: the kernel drops it for its length");
        byte[] udpLies = udp4(new byte[20]);
        Bytes.put16(MemorySegment.ofArray(udpLies), 14 + 20 + 4, 200);
        assertEquals(ChecksumCompletion.NOT_CHECKED, check(udpLies), "UDP's length past the datagram");
    }

    @Test
    void ethernetPaddingIsNotSummedAndTheUdpLengthIsWhatCounts() {
        byte[] right = udp4(new byte[2]); // 14 + 20 + 10 = 44 bytes: a wire pads it to 60
        byte[] padded = Arrays.copyOf(partial(right), 60);
        Arrays.fill(padded, right.length, 60, (byte) 0x5a);
        assertEquals(ChecksumCompletion.COMPLETED, check(padded));
        assertArrayEquals(right, Arrays.copyOf(padded, right.length));
    }

    @Test
    void generatedSegmentsOfEverySizeAndContentCompleteExactly() {
        SplittableRandom random = new SplittableRandom(17);
        for (int i = 0; i < 3000; i++) {
            byte[] payload = new byte[random.nextInt(0, 1500)];
            random.nextBytes(payload);
            byte[] right = switch (i % 4) {
                case 0 -> udp4(payload);
                case 1 -> tcp4(payload);
                case 2 -> udp6(payload);
                default -> tcp6(payload);
            };
            byte[] p = partial(right);
            int status = check(p);
            if (Arrays.equals(right, partial(right))) {
                assertEquals(ChecksumCompletion.VALID, status, "the right checksum happens to equal the pseudo-header sum");
            } else {
                assertEquals(ChecksumCompletion.COMPLETED, status);
            }
            assertArrayEquals(right, p, "frame " + i);
        }
    }

    @Test
    void groGivesTheSameFramesWhetherItSumsThePayloadOrIsToldTheChecksumIsRight() {
        // A TCP stream and a UDP stream, every segment left partial by its sender, completed, then merged two ways.
        java.util.List<byte[]> frames = new java.util.ArrayList<>();
        long seq = 1000;
        for (int i = 0; i < 40; i++) {
            byte[] data = new byte[i == 39 ? 300 : 1000 + (i % 2)];
            Arrays.fill(data, (byte) i);
            byte[] t = ethernet(EtherTypes.IPV4, ipv4("198.18.0.1", "198.18.0.2", IpProtocols.TCP, 0x100 + i, 0x4000, 64,
                    new byte[0], tcp(40000, 80, seq, 7, 0x10, new byte[0], data)));
            seq += data.length;
            frames.add(partial(t));
            byte[] u = udp4(Frames.concat(new byte[] {(byte) i}, new byte[499]));
            frames.add(partial(u));
        }
        java.util.List<byte[]> summed = new java.util.ArrayList<>();
        java.util.List<byte[]> told = new java.util.ArrayList<>();
        Gro a = new Gro((s, o, l, t, g, h) -> summed.add(s.asSlice(o, l).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)));
        Gro b = new Gro((s, o, l, t, g, h) -> told.add(s.asSlice(o, l).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)));
        for (byte[] f : frames) {
            byte[] x = f.clone();
            assertEquals(ChecksumCompletion.COMPLETED, check(x));
            a.receive(MemorySegment.ofArray(x.clone()), 0, x.length);
            MemorySegment y = MemorySegment.ofArray(x.clone());
            b.receive(y, 0, x.length, completion.headers(), true);
        }
        a.flush();
        b.flush();
        assertTrue(a.merged() > 0, "segments were merged");
        assertEquals(summed.size(), told.size());
        for (int i = 0; i < summed.size(); i++) {
            assertArrayEquals(summed.get(i), told.get(i), "frame " + i);
        }
    }

    @Test
    void withoutAFullCheckOnlyAFieldHoldingThePseudoHeaderSumIsSummed() {
        byte[] right = tcp4("payload".getBytes());
        byte[] wrong = right.clone();
        wrong[wrong.length - 1] ^= 0x40;
        byte[] p = partial(right);
        assertEquals(ChecksumCompletion.NOT_PARTIAL, completion.check(MemorySegment.ofArray(right), 0, right.length, false));
        assertEquals(ChecksumCompletion.NOT_PARTIAL, completion.check(MemorySegment.ofArray(wrong), 0, wrong.length, false),
                "a wrong one is the kernel's to refuse and count");
        assertEquals(ChecksumCompletion.COMPLETED, completion.check(MemorySegment.ofArray(p), 0, p.length, false));
        assertArrayEquals(right, p);
        byte[] none = udp4("x".getBytes());
        Bytes.put16(MemorySegment.ofArray(none), checksumAt(none), 0);
        assertEquals(ChecksumCompletion.ABSENT, completion.check(MemorySegment.ofArray(none), 0, none.length, false));
    }
}
