package io.netbypass.scaling.rss;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import io.netbypass.packet.EtherTypes;
import io.netbypass.packet.IpProtocols;
import io.netbypass.packet.LinkType;
import io.netbypass.packet.PacketParser;
import io.netbypass.packet.ParsedPacket;
import io.netbypass.testing.TestData;
import io.netbypass.util.UserException;

import static io.netbypass.testing.Frames.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ToeplitzTest {
    record Vector(String family, String src, int sport, String dst, int dport, int hashIp, int hashIpL4) {
    }

    static List<Vector> vectors() throws IOException {
        Path tsv = TestData.root().resolve("rss/toeplitz_verification_vectors.tsv");
        List<Vector> out = new ArrayList<>();
        for (String line : Files.readAllLines(tsv)) {
            if (line.startsWith("#") || line.startsWith("family") || line.isBlank()) {
                continue;
            }
            String[] f = line.split("\t");
            out.add(new Vector(f[0], f[1], Integer.parseInt(f[2]), f[3], Integer.parseInt(f[4]),
                    Integer.parseUnsignedInt(f[5].substring(2), 16), Integer.parseUnsignedInt(f[6].substring(2), 16)));
        }
        return out;
    }

    private static byte[] ip(String text) throws IOException {
        return InetAddress.getByName(text).getAddress();
    }

    @Test
    void allSixteenVerificationVectorsPassBothImplementationsAndEveryEntryPoint() throws IOException {
        RssKey key = RssKey.microsoftDefault();
        Toeplitz fast = new Toeplitz(key);
        RssHasher hasher = new RssHasher(key, RssTransform.NONE);
        List<Vector> vectors = vectors();
        assertEquals(8, vectors.size(), "the TSV holds 8 tuples, 16 hashes");
        int checked = 0;
        for (Vector v : vectors) {
            byte[] s = ip(v.src());
            byte[] d = ip(v.dst());
            byte[] addrs = concat(s, d);
            byte[] l4 = concat(s, d, u16(v.sport()), u16(v.dport()));
            String what = v.src() + " -> " + v.dst();
            assertEquals(v.hashIp(), ToeplitzReference.hash(key, addrs), "reference, addresses: " + what);
            assertEquals(v.hashIpL4(), ToeplitzReference.hash(key, l4), "reference, 4-tuple: " + what);
            assertEquals(v.hashIp(), fast.hash(addrs, 0, addrs.length), what);
            assertEquals(v.hashIpL4(), fast.hash(l4, 0, l4.length), what);
            assertEquals(v.hashIpL4(), fast.hash(MemorySegment.ofArray(l4), 0, l4.length), what);
            ByteBuffer sb = ByteBuffer.wrap(s);
            ByteBuffer db = ByteBuffer.wrap(d);
            byte[] frame;
            if (v.family().equals("ipv4")) {
                assertEquals(v.hashIp(), fast.hashIpv4(sb.getInt(), db.getInt()), what);
                assertEquals(v.hashIpL4(), fast.hashIpv4(sb.getInt(0), db.getInt(0), v.sport(), v.dport()), what);
                frame = ethernet(EtherTypes.IPV4, ipv4(v.src(), v.dst(), IpProtocols.TCP,
                        tcp(v.sport(), v.dport(), 1, 0, 0x10, new byte[0], new byte[0])));
            } else {
                long sh = sb.getLong(), sl = sb.getLong(), dh = db.getLong(), dl = db.getLong();
                assertEquals(v.hashIp(), fast.hashIpv6(sh, sl, dh, dl), what);
                assertEquals(v.hashIpL4(), fast.hashIpv6(sh, sl, dh, dl, v.sport(), v.dport()), what);
                frame = ethernet(EtherTypes.IPV6, ipv6(v.src(), v.dst(), IpProtocols.UDP, udp(v.sport(), v.dport(), new byte[4])));
            }
            ParsedPacket p = new ParsedPacket();
            PacketParser.parse(MemorySegment.ofArray(frame), 0, frame.length, LinkType.ETHERNET, p);
            assertEquals(v.hashIpL4(), hasher.hash(p), "from a parsed frame: " + what);
            checked += 2;
        }
        assertEquals(16, checked);
    }

    @Test
    void fastAndReferenceAgreeOnAMillionRandomTuplesWithRandomKeys() {
        SplittableRandom random = new SplittableRandom(0x5eed_7e57L);
        int[] keyLengths = {40, 52, 44, 64};
        RssKey key = null;
        Toeplitz fast = null;
        byte[] in = new byte[36];
        for (int n = 0; n < 1_000_000; n++) {
            if (n % 2000 == 0) {
                key = RssKey.random(keyLengths[(n / 2000) % keyLengths.length], random);
                fast = new Toeplitz(key);
            }
            int kind = n & 3;
            int length = switch (kind) {
                case 0 -> 8;
                case 1 -> 12;
                case 2 -> 32;
                default -> 36;
            };
            for (int i = 0; i < length; i++) {
                in[i] = (byte) random.nextInt(256);
            }
            int expected = ToeplitzReference.hash(key, in, 0, length);
            ByteBuffer b = ByteBuffer.wrap(in);
            int got = switch (kind) {
                case 0 -> fast.hashIpv4(b.getInt(0), b.getInt(4));
                case 1 -> fast.hashIpv4(b.getInt(0), b.getInt(4), b.getShort(8) & 0xffff, b.getShort(10) & 0xffff);
                case 2 -> fast.hashIpv6(b.getLong(0), b.getLong(8), b.getLong(16), b.getLong(24));
                default -> fast.hashIpv6(b.getLong(0), b.getLong(8), b.getLong(16), b.getLong(24),
                        b.getShort(32) & 0xffff, b.getShort(34) & 0xffff);
            };
            if (got != expected || fast.hash(in, 0, length) != expected) {
                assertEquals(expected, got, "tuple " + n + " key " + key + " length " + length);
                assertEquals(expected, fast.hash(in, 0, length), "byte path, tuple " + n);
            }
        }
    }

    @Test
    void anyKeyLengthHashesUpToKeyLengthMinusFour() {
        SplittableRandom random = new SplittableRandom(7);
        for (int keyLength = RssKey.MIN_LENGTH; keyLength <= 80; keyLength++) {
            RssKey key = RssKey.random(keyLength, random);
            Toeplitz fast = new Toeplitz(key);
            byte[] in = new byte[keyLength - 4];
            for (int i = 0; i < in.length; i++) {
                in[i] = (byte) random.nextInt(256);
            }
            for (int length = 0; length <= in.length; length++) {
                assertEquals(ToeplitzReference.hash(key, in, 0, length), fast.hash(in, 0, length));
            }
            byte[] tooLong = new byte[keyLength - 3];
            assertThrows(UserException.class, () -> fast.hash(tooLong, 0, tooLong.length));
            assertThrows(UserException.class, () -> ToeplitzReference.hash(key, tooLong));
        }
    }

    @Test
    void singleBitInputsSelectTheKeyWindowAtThatBit() {
        RssKey key = RssKey.microsoftDefault();
        Toeplitz fast = new Toeplitz(key);
        // bit 0 selects the key's first 32 bits; bit 1 the 32 bits one to the right
        assertEquals(0x6d5a56da, fast.hash(new byte[] {(byte) 0x80}, 0, 1));
        assertEquals(0xdab4adb4, fast.hash(new byte[] {0x40}, 0, 1));
        assertEquals(0x5a56da25, fast.hash(new byte[] {0, (byte) 0x80}, 0, 2));
        assertEquals(0, fast.hash(new byte[12], 0, 12), "all-zero input");
    }

    @Test
    void symmetricKeyHashesBothDirectionsAlike() {
        Toeplitz sym = new Toeplitz(RssKey.symmetric(40));
        Toeplitz ms = new Toeplitz(RssKey.microsoftDefault());
        SplittableRandom random = new SplittableRandom(11);
        int asymmetric = 0;
        for (int n = 0; n < 10_000; n++) {
            int a = random.nextInt(), b = random.nextInt(), p = random.nextInt(65536), q = random.nextInt(65536);
            assertEquals(sym.hashIpv4(a, b, p, q), sym.hashIpv4(b, a, q, p));
            assertEquals(sym.hashIpv4(a, b), sym.hashIpv4(b, a));
            long ah = random.nextLong(), al = random.nextLong(), bh = random.nextLong(), bl = random.nextLong();
            assertEquals(sym.hashIpv6(ah, al, bh, bl, p, q), sym.hashIpv6(bh, bl, ah, al, q, p));
            if (ms.hashIpv4(a, b, p, q) != ms.hashIpv4(b, a, q, p)) {
                asymmetric++;
            }
        }
        assertNotEquals(0, asymmetric, "the Microsoft key is not symmetric");
        assertEquals("6d:5a:6d:5a", RssKey.symmetric(4 + 1).toString().substring(0, 11));
    }

    @Test
    void symmetricTransformsHashBothDirectionsAlikeWithAnyKey() {
        SplittableRandom random = new SplittableRandom(13);
        for (RssTransform t : new RssTransform[] {RssTransform.SYMMETRIC_XOR, RssTransform.SYMMETRIC_OR_XOR}) {
            RssKey key = RssKey.random(52, random);
            RssHasher h = new RssHasher(key, t);
            Toeplitz plain = new Toeplitz(key);
            for (int n = 0; n < 10_000; n++) {
                int a = random.nextInt(), b = random.nextInt(), p = random.nextInt(65536), q = random.nextInt(65536);
                assertEquals(h.hashIpv4(a, b, p, q), h.hashIpv4(b, a, q, p), t.ethtoolName());
                long ah = random.nextLong(), al = random.nextLong(), bh = random.nextLong(), bl = random.nextLong();
                assertEquals(h.hashIpv6(ah, al, bh, bl, p, q), h.hashIpv6(bh, bl, ah, al, q, p), t.ethtoolName());
                assertEquals(h.hashIpv6(ah, al, bh, bl), h.hashIpv6(bh, bl, ah, al), t.ethtoolName());
            }
            // the transform is exactly the documented input rearrangement
            int a = 0xc6120001, b = 0xc6120002, p = 1000, q = 53;
            int expected = t == RssTransform.SYMMETRIC_XOR
                    ? plain.hashIpv4(a ^ b, a ^ b, p ^ q, p ^ q)
                    : plain.hashIpv4(a | b, a ^ b, p | q, p ^ q);
            assertEquals(expected, h.hashIpv4(a, b, p, q));
        }
        assertEquals(RssTransform.SYMMETRIC_XOR, RssTransform.fromName("symmetric-xor"));
        assertThrows(UserException.class, () -> RssTransform.fromName("symmetric"));
    }

    @Test
    void packetHashUsesPortsOnlyForUnfragmentedTcpUdpSctp() throws IOException {
        RssKey key = RssKey.microsoftDefault();
        Toeplitz t = new Toeplitz(key);
        RssHasher hasher = new RssHasher(key, RssTransform.NONE);
        RssHasher noUdpPorts = new RssHasher(key, RssTransform.NONE, true, false, true);
        ParsedPacket p = new ParsedPacket();
        int a = ByteBuffer.wrap(ip("198.18.0.1")).getInt(), b = ByteBuffer.wrap(ip("198.18.0.2")).getInt();
        byte[] udpFrame = ethernet(EtherTypes.IPV4, ipv4("198.18.0.1", "198.18.0.2", IpProtocols.UDP, udp(1000, 53, new byte[4])));
        parse(udpFrame, p);
        assertEquals(t.hashIpv4(a, b, 1000, 53), hasher.hash(p));
        assertEquals(t.hashIpv4(a, b), noUdpPorts.hash(p));
        byte[] sctp = concat(u16(5000), u16(36412), new byte[8]);
        parse(ethernet(EtherTypes.IPV4, ipv4("198.18.0.1", "198.18.0.2", IpProtocols.SCTP, sctp)), p);
        assertEquals(t.hashIpv4(a, b, 5000, 36412), hasher.hash(p));
        byte[] firstFragment = ethernet(EtherTypes.IPV4, ipv4("198.18.0.1", "198.18.0.2", IpProtocols.UDP, 7, 0x2000, 64,
                new byte[0], udp(1000, 53, new byte[16])));
        parse(firstFragment, p);
        assertEquals(t.hashIpv4(a, b), hasher.hash(p), "fragments hash addresses only, so all pieces land together");
        parse(ethernet(EtherTypes.IPV4, ipv4("198.18.0.1", "198.18.0.2", IpProtocols.ICMP, icmpV4(8, 0, 1, new byte[8]))), p);
        assertEquals(t.hashIpv4(a, b), hasher.hash(p));
        parse(ethernet(EtherTypes.ARP, new byte[28]), p);
        assertEquals(0, hasher.hash(p));
        assertThrows(UserException.class, () -> new RssHasher(RssKey.symmetric(16), RssTransform.NONE));
    }

    private static void parse(byte[] frame, ParsedPacket p) {
        PacketParser.parse(MemorySegment.ofArray(frame), 0, frame.length, LinkType.ETHERNET, p);
    }

    @Test
    void keysParseInEthtoolAndPlainHexForms() {
        RssKey ms = RssKey.microsoftDefault();
        assertEquals(ms, RssKey.parse(ms.toString()));
        assertEquals(ms, RssKey.parse("6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c6a42b73bbeac01fa"));
        assertEquals(40, ms.length());
        assertThrows(UserException.class, () -> RssKey.parse("6d:5a:5"));
        assertThrows(UserException.class, () -> RssKey.parse("zz5a56da25"));
        assertThrows(UserException.class, () -> RssKey.parse("6d5a"));
    }
}
