package io.netbypass.hostpath;

import io.netbypass.capture.CaptureReader;
import io.netbypass.capture.CaptureRecord;
import io.netbypass.capture.Captures;
import io.netbypass.packet.Bytes;
import io.netbypass.packet.Checksums;
import io.netbypass.packet.FrameHeaders;
import io.netbypass.packet.IpProtocols;
import io.netbypass.packet.LinkType;
import io.netbypass.packet.PacketParser;
import io.netbypass.packet.ParsedPacket;
import io.netbypass.testing.TestData;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * GRO merges exactly the back-to-back segments the kernel would, and GSO of what it made gives
 * back every original segment byte for byte (the IPv4 ID aside where DF is set): checked on a
 * real capture and on generated streams whose segments differ in options, flags, gaps, ack,
 * window, TTL, IDs and checksums.
 */
class GroGsoTest {
    record Out(byte[] frame, int gsoType, int gsoSize) { }

    private static byte[] bytes(MemorySegment s, long offset, int length) {
        return s.asSlice(offset, length).toArray(ValueLayout.JAVA_BYTE);
    }

    /** GRO over {@code frames}, flushing after every {@code batch} frames and at the end. */
    private static List<Out> gro(List<byte[]> frames, int batch, Gro[] keep) {
        List<Out> out = new ArrayList<>();
        Gro gro = new Gro((s, o, l, t, g, h) -> {
            // The headers GRO hands on are the frame's own: the host path does not parse it again.
            ParsedPacket p = new ParsedPacket();
            PacketParser.parse(s, o, l, LinkType.ETHERNET, p);
            assertEquals(FrameHeaders.of(p), h, "headers of an output frame");
            out.add(new Out(bytes(s, o, l), t, g));
        });
        for (int i = 0; i < frames.size(); i++) {
            byte[] f = frames.get(i);
            gro.receive(MemorySegment.ofArray(f), 0, f.length);
            if ((i + 1) % batch == 0) {
                gro.flush();
            }
        }
        gro.flush();
        if (keep != null) {
            keep[0] = gro;
        }
        return out;
    }

    /** Each output as the frames it stands for: merged ones split again by GSO. */
    private static List<byte[]> resegment(List<Out> out) {
        Gso gso = new Gso();
        List<byte[]> frames = new ArrayList<>();
        for (Out o : out) {
            if (o.gsoType() == VirtioNetHeader.GSO_NONE) {
                frames.add(o.frame());
            } else {
                int n = gso.segment(MemorySegment.ofArray(o.frame()), 0, o.frame().length, o.gsoSize(),
                        (s, off, len, t, g, h) -> frames.add(bytes(s, off, len)));
                assertTrue(n > 1, "a merged frame splits into more than one segment");
            }
        }
        return frames;
    }

    /** A flow key for grouping (link header, addresses, ports), or "other" for what is not TCP/UDP. */
    private static String flow(byte[] f) {
        ParsedPacket p = new ParsedPacket();
        PacketParser.parse(MemorySegment.ofArray(f), 0, f.length, LinkType.ETHERNET, p);
        if (p.l4Offset() < 0) {
            return "other";
        }
        int addresses = p.ipVersion() == 4 ? 12 : 8;
        int length = p.ipVersion() == 4 ? 8 : 32;
        return Arrays.toString(Arrays.copyOfRange(f, 0, p.l3Offset())) + p.ipProtocol()
                + Arrays.toString(Arrays.copyOfRange(f, p.l3Offset() + addresses, p.l3Offset() + addresses + length))
                + p.sourcePort() + ">" + p.destinationPort();
    }

    /** With DF set the IPv4 ID is not part of what GSO must give back: copy the original's, fix the checksum. */
    private static byte[] withIdOf(byte[] original, byte[] segment) {
        ParsedPacket p = new ParsedPacket();
        PacketParser.parse(MemorySegment.ofArray(original), 0, original.length, LinkType.ETHERNET, p);
        if (p.ipVersion() != 4 || segment.length != original.length) {
            return segment;
        }
        MemorySegment o = MemorySegment.ofArray(original);
        int ip = p.l3Offset();
        if ((Bytes.u16(o, ip + 6) & 0x4000) == 0) {
            return segment;
        }
        byte[] copy = segment.clone();
        MemorySegment c = MemorySegment.ofArray(copy);
        Bytes.put16(c, ip + 4, Bytes.u16(o, ip + 4));
        if (Checksums.verifyIpv4Header(o, ip, (Bytes.u8(o, ip) & 0xf) * 4)) {
            Checksums.fillIpv4Header(c, ip, (Bytes.u8(o, ip) & 0xf) * 4);
        }
        return copy;
    }

    /** Per flow, the frames in order: GRO may reorder flows among themselves, never one flow's frames. */
    private static void assertSameFramesPerFlow(List<byte[]> in, List<byte[]> back) {
        Map<String, List<byte[]>> a = new LinkedHashMap<>();
        Map<String, List<byte[]>> b = new LinkedHashMap<>();
        in.forEach(f -> a.computeIfAbsent(flow(f), k -> new ArrayList<>()).add(f));
        back.forEach(f -> b.computeIfAbsent(flow(f), k -> new ArrayList<>()).add(f));
        assertEquals(a.keySet(), b.keySet());
        for (String k : a.keySet()) {
            List<byte[]> x = a.get(k);
            List<byte[]> y = b.get(k);
            assertEquals(x.size(), y.size(), "frames of flow " + k);
            for (int i = 0; i < x.size(); i++) {
                byte[] expected = x.get(i);
                assertArrayEquals(expected, withIdOf(expected, y.get(i)), "frame " + i + " of flow " + k);
            }
        }
    }

    @Test
    void httpCaptureMergesTheBackToBackSegmentsAndGsoGivesThemBack() throws Exception {
        List<byte[]> frames = new ArrayList<>();
        try (CaptureReader r = Captures.open(TestData.root().resolve("pcap/dpkt/http.pcap"))) {
            CaptureRecord rec = new CaptureRecord();
            while (r.next(rec)) {
                frames.add(rec.copyData());
            }
        }
        assertEquals(43, frames.size());
        Gro[] gro = new Gro[1];
        List<Out> out = gro(frames, 64, gro);
        // Server to client (port 80 -> 3372), 1380-byte segments with ack, window, TTL equal and the
        // IPv4 ID counting up: frames 6 8 10 11(PSH), 14 16 20 21(PSH), 23 29(PSH), 31 32 34 38(PSH, short).
        List<Integer> merged = new ArrayList<>();
        List<Integer> sizes = new ArrayList<>();
        for (Out o : out) {
            if (o.gsoType() != VirtioNetHeader.GSO_NONE) {
                assertEquals(VirtioNetHeader.GSO_TCPV4, o.gsoType());
                sizes.add(o.gsoSize());
                merged.add(o.frame().length);
            }
        }
        assertEquals(List.of(1380, 1380, 1380, 1380), sizes);
        assertEquals(List.of(14 + 20 + 20 + 4 * 1380, 14 + 20 + 20 + 4 * 1380, 14 + 20 + 20 + 2 * 1380,
                14 + 20 + 20 + 3 * 1380 + 424), merged);
        assertEquals(33, out.size(), "43 frames less the 10 segments appended to others");
        assertEquals(10, gro[0].merged());
        for (Out o : out) {
            MemorySegment s = MemorySegment.ofArray(o.frame());
            ParsedPacket p = new ParsedPacket();
            PacketParser.parse(s, 0, o.frame().length, LinkType.ETHERNET, p);
            if (o.gsoType() != VirtioNetHeader.GSO_NONE) {
                assertTrue(Checksums.verifyIpv4Header(s, p.l3Offset(), 20), "a merged frame's IP header checksum is right");
                assertTrue(Checksums.verifyTransport(s, p.l3Offset(), IpProtocols.TCP, p.l4Offset(), o.frame().length - p.l4Offset()),
                        "a merged frame's TCP checksum is right");
            }
        }
        assertSameFramesPerFlow(frames, resegment(out));
    }

    /** A TCP segment or UDP datagram of one of a few flows, built field by field. */
    private static final class StreamBuilder {
        final SplittableRandom random;
        final boolean v6;
        final boolean vlan;
        final boolean df;
        final int idPattern; // 0 counting up, 1 fixed, 2 random (not with DF: its ID is compared loosely)
        final int sport;
        long seq;
        int id;
        int ts = 1000;

        StreamBuilder(SplittableRandom random, int index) {
            this.random = random;
            this.v6 = random.nextInt(3) == 0;
            this.vlan = random.nextInt(4) == 0;
            this.df = random.nextBoolean();
            this.idPattern = df ? random.nextInt(2) : random.nextInt(3);
            this.sport = 40000 + index;
            this.seq = random.nextLong(1L << 32);
            this.id = random.nextInt(65536);
            this.udp = random.nextInt(3) == 0;
            this.noChecksum = udp && !v6 && random.nextInt(3) == 0;
        }

        final boolean udp;
        final boolean noChecksum;

        byte[] next(int mss) {
            return udp ? nextDatagram(mss) : nextSegment(mss);
        }

        /** A UDP datagram: mostly of the flow's size, some shorter, longer or empty; TTL, checksum, IP options vary. */
        byte[] nextDatagram(int size) {
            int r = random.nextInt(100);
            int len = r < 75 ? size : r < 85 ? random.nextInt(1, size) : r < 90 ? size + 1 + random.nextInt(50) : r < 93 ? 0 : size;
            int ttl = 64;
            boolean ipOptions = false;
            boolean badChecksum = false;
            boolean zero = noChecksum;
            switch (random.nextInt(40)) {
                case 0 -> ttl = 63;
                case 1 -> ipOptions = !v6;
                case 2 -> badChecksum = !zero;
                case 3 -> zero = !v6 && !zero; // one datagram of a checksummed flow without, or the other way
                case 4 -> zero = false;
                default -> { }
            }
            int ipHeader = v6 ? 40 : ipOptions ? 24 : 20;
            int l2 = vlan ? 18 : 14;
            byte[] f = new byte[l2 + ipHeader + 8 + len];
            MemorySegment s = MemorySegment.ofArray(f);
            int ip = l2;
            int udpAt = ip + ipHeader;
            headers(s, l2, ipHeader, IpProtocols.UDP, 8 + len, ttl, ipOptions);
            Bytes.put16(s, udpAt, sport);
            Bytes.put16(s, udpAt + 2, 53);
            Bytes.put16(s, udpAt + 4, 8 + len);
            byte[] payload = new byte[len];
            random.nextBytes(payload);
            MemorySegment.copy(MemorySegment.ofArray(payload), 0, s, udpAt + 8, len);
            if (!zero) {
                Checksums.fillTransport(s, ip, IpProtocols.UDP, udpAt, 8 + len, 6);
                if (badChecksum) {
                    Bytes.put16(s, udpAt + 6, Bytes.u16(s, udpAt + 6) ^ 0x0101);
                }
            }
            return f;
        }

        /** Ethernet (with a VLAN tag for some flows) and the IP header, with this flow's ID pattern. */
        void headers(MemorySegment s, int l2, int ipHeader, int protocol, int l4Length, int ttl, boolean ipOptions) {
            Bytes.put32(s, 0, 0x02000000);
            Bytes.put16(s, 4, 0x0001);
            Bytes.put32(s, 6, 0x02000000);
            Bytes.put16(s, 10, 0x0002);
            if (vlan) {
                Bytes.put16(s, 12, 0x8100);
                Bytes.put16(s, 14, 42);
            }
            Bytes.put16(s, l2 - 2, v6 ? 0x86dd : 0x0800);
            int ip = l2;
            if (v6) {
                Bytes.put32(s, ip, 0x60000000 | (ttl == 63 ? 1 : 0)); // a flow label change goes with the hop limit's
                Bytes.put16(s, ip + 4, l4Length);
                Bytes.put8(s, ip + 6, protocol);
                Bytes.put8(s, ip + 7, ttl);
                Bytes.put32(s, ip + 8, 0x20010db8);
                Bytes.put32(s, ip + 20, 1);
                Bytes.put32(s, ip + 24, 0x20010db8);
                Bytes.put32(s, ip + 36, 2);
                return;
            }
            Bytes.put8(s, ip, 0x40 | ipHeader / 4);
            Bytes.put16(s, ip + 2, ipHeader + l4Length);
            Bytes.put16(s, ip + 4, idPattern == 2 ? random.nextInt(65536) : id);
            if (idPattern == 0) {
                id = (id + 1) & 0xffff;
            }
            Bytes.put16(s, ip + 6, df ? 0x4000 : 0);
            Bytes.put8(s, ip + 8, ttl);
            Bytes.put8(s, ip + 9, protocol);
            Bytes.put32(s, ip + 12, 0xc6120001);
            Bytes.put32(s, ip + 16, 0xc6120002);
            if (ipOptions) {
                Bytes.put32(s, ip + 20, 0x01010100); // NOPs and an end of list
            }
            Checksums.fillIpv4Header(s, ip, ipHeader);
        }

        byte[] nextSegment(int mss) {
            int r = random.nextInt(100);
            int len = r < 70 ? mss : r < 80 ? random.nextInt(1, mss) : r < 85 ? 0 : mss;
            int flags = 0x10; // ACK
            int ack = 7777;
            int window = 512;
            int ttl = 64;
            boolean options = true;
            boolean ipOptions = false;
            boolean badChecksum = false;
            int c = random.nextInt(60);
            switch (c) {
                case 0 -> flags |= 0x08; // PSH
                case 1 -> flags |= 0x80; // CWR
                case 2 -> flags |= 0x20; // URG
                case 3 -> flags |= 0x01; // FIN
                case 4 -> ack = 7778;
                case 5 -> window = 513;
                case 6 -> ttl = 63;
                case 7 -> seq += 100; // a gap
                case 8 -> ts++; // another timestamp value
                case 9 -> options = false;
                case 10 -> ipOptions = !v6;
                case 11 -> badChecksum = true;
                case 12 -> flags |= 0x40; // ECE
                default -> { }
            }
            byte[] payload = new byte[len];
            random.nextBytes(payload);
            int tcpHeader = options ? 32 : 20;
            int ipHeader = v6 ? 40 : ipOptions ? 24 : 20;
            int l2 = vlan ? 18 : 14;
            byte[] f = new byte[l2 + ipHeader + tcpHeader + len];
            MemorySegment s = MemorySegment.ofArray(f);
            int ip = l2;
            int tcp = ip + ipHeader;
            headers(s, l2, ipHeader, IpProtocols.TCP, tcpHeader + len, ttl, ipOptions);
            Bytes.put16(s, tcp, sport);
            Bytes.put16(s, tcp + 2, 80);
            Bytes.put32(s, tcp + 4, (int) seq);
            Bytes.put32(s, tcp + 8, ack);
            Bytes.put16(s, tcp + 12, (tcpHeader / 4) << 12 | flags);
            Bytes.put16(s, tcp + 14, window);
            if (options) {
                Bytes.put32(s, tcp + 20, 0x0101080a); // NOP NOP timestamps
                Bytes.put32(s, tcp + 24, ts);
                Bytes.put32(s, tcp + 28, 99);
            }
            MemorySegment.copy(MemorySegment.ofArray(payload), 0, s, tcp + tcpHeader, len);
            Checksums.fillTransport(s, ip, IpProtocols.TCP, tcp, tcpHeader + len, 16);
            if (badChecksum) {
                Bytes.put16(s, tcp + 16, Bytes.u16(s, tcp + 16) ^ 0x0101);
            }
            seq = (seq + len + ((flags & 0x01) != 0 ? 1 : 0)) & 0xffffffffL;
            return f;
        }
    }

    @Test
    void generatedStreamsRoundTripAndOnlyIdenticalConsecutiveSegmentsMerge() {
        // TCP and UDP flows (a third UDP: datagrams of one size, the last of a run shorter; some without checksums).
        long totalMerged = 0;
        long totalIn = 0;
        long udpMerged = 0;
        for (int seed = 0; seed < 60; seed++) {
            SplittableRandom random = new SplittableRandom(seed);
            int flows = 1 + random.nextInt(10); // more than MAX_FLOWS at times: the oldest is flushed
            List<StreamBuilder> builders = new ArrayList<>();
            for (int i = 0; i < flows; i++) {
                builders.add(new StreamBuilder(random, i));
            }
            int mss = 200 + random.nextInt(1200);
            List<byte[]> frames = new ArrayList<>();
            Map<Integer, Integer> runs = new HashMap<>();
            int current = 0;
            for (int i = 0; i < 400; i++) {
                if (random.nextInt(4) == 0) {
                    current = random.nextInt(flows); // flows interleave, in runs
                }
                frames.add(builders.get(current).next(mss));
                runs.merge(current, 1, Integer::sum);
            }
            Gro[] gro = new Gro[1];
            List<Out> out = gro(frames, 1 + random.nextInt(80), gro);
            assertEquals(frames.size(), gro[0].segmentsIn());
            assertEquals(out.size(), gro[0].framesOut());
            assertEquals(frames.size() - gro[0].merged(), out.size());
            try {
                assertSameFramesPerFlow(frames, resegment(out));
            } catch (AssertionError e) {
                throw new AssertionError("seed " + seed + ": " + e.getMessage(), e);
            }
            for (Out o : out) {
                assertTrue(o.frame().length - 14 <= 65535 + 4, "no merged frame over 64 KiB");
                if (o.gsoType() != VirtioNetHeader.GSO_NONE) {
                    MemorySegment m = MemorySegment.ofArray(o.frame());
                    ParsedPacket p = new ParsedPacket();
                    PacketParser.parse(m, 0, o.frame().length, LinkType.ETHERNET, p);
                    boolean unchecked = p.ipProtocol() == IpProtocols.UDP && Bytes.u16(m, p.l4Offset() + 6) == 0;
                    assertTrue(unchecked || Checksums.verifyTransport(m, p.l3Offset(), p.ipProtocol(), p.l4Offset(),
                                    o.frame().length - p.l4Offset()),
                            "seed " + seed + ": a merged frame's checksum is right (odd segment sizes included: mss " + mss + ")");
                    if (p.ipProtocol() == IpProtocols.UDP) {
                        assertEquals(VirtioNetHeader.GSO_UDP_L4, o.gsoType());
                        udpMerged++;
                    }
                }
            }
            totalMerged += gro[0].merged();
            totalIn += frames.size();
        }
        assertTrue(totalMerged > totalIn / 4, "streams with mostly full segments merge a lot: " + totalMerged + " of " + totalIn);
        assertTrue(udpMerged > 50, "UDP flows merge too: " + udpMerged + " merged frames");
    }

    @Test
    void groAndGsoAllocateNothingPerPacket() {
        SplittableRandom random = new SplittableRandom(7);
        List<StreamBuilder> builders = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            builders.add(new StreamBuilder(random, i));
        }
        MemorySegment[] frames = new MemorySegment[512];
        int[] lengths = new int[frames.length];
        for (int i = 0; i < frames.length; i++) {
            byte[] f = builders.get((i / 8) % builders.size()).next(1000);
            frames[i] = MemorySegment.ofArray(f);
            lengths[i] = f.length;
        }
        Gso gso = new Gso();
        long[] bytes = new long[1];
        PacketSink count = (seg, o, l, t, g, h) -> bytes[0] += l;
        PacketSink split = (seg, o, l, t, g, h) -> {
            if (t == VirtioNetHeader.GSO_NONE) {
                bytes[0] += l;
            } else {
                gso.segment(seg, o, l, g, count);
            }
        };
        Gro gro = new Gro(split);
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        for (int round = 0; round < 2; round++) {
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int n = 0; n < 1_000_000; n++) {
                int i = n & 511;
                gro.receive(frames[i], 0, lengths[i]);
                if ((n & 63) == 63) {
                    gro.flush();
                }
            }
            gro.flush();
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            if (round == 1) {
                assertTrue(allocated < 4096, "allocated " + allocated + " bytes over a million frames");
                assertTrue(gro.merged() > 100_000, "the stream merges: " + gro.merged());
            }
        }
        assertTrue(bytes[0] > 0);
    }

    @Test
    void gsoSplitsUdpIntoDatagramsWithTheirOwnLengthsAndChecksums() {
        byte[] f = new byte[14 + 20 + 8 + 3000];
        MemorySegment s = MemorySegment.ofArray(f);
        Bytes.put16(s, 12, 0x0800);
        Bytes.put8(s, 14, 0x45);
        Bytes.put16(s, 16, 20 + 8 + 3000);
        Bytes.put16(s, 18, 100);
        Bytes.put8(s, 22, 64);
        Bytes.put8(s, 23, IpProtocols.UDP);
        Bytes.put32(s, 26, 0xc6120001);
        Bytes.put32(s, 30, 0xc6120002);
        Bytes.put16(s, 34, 5000);
        Bytes.put16(s, 36, 53);
        Bytes.put16(s, 38, 8 + 3000);
        for (int i = 0; i < 3000; i++) {
            f[42 + i] = (byte) i;
        }
        List<byte[]> unchecked = new ArrayList<>();
        new Gso().segment(s, 0, f.length, 1200, (seg, o, l, t, g, h) -> unchecked.add(bytes(seg, o, l)));
        for (byte[] piece : unchecked) {
            assertEquals(0, Bytes.u16(MemorySegment.ofArray(piece), 40), "a datagram without a checksum (IPv4) stays without");
        }
        Checksums.fillTransport(s, 14, IpProtocols.UDP, 34, 8 + 3000, 6);
        List<byte[]> pieces = new ArrayList<>();
        assertEquals(3, new Gso().segment(s, 0, f.length, 1200, (seg, o, l, t, g, h) -> pieces.add(bytes(seg, o, l))));
        int[] sizes = {1200, 1200, 600};
        for (int i = 0; i < 3; i++) {
            MemorySegment p = MemorySegment.ofArray(pieces.get(i));
            assertEquals(42 + sizes[i], pieces.get(i).length);
            assertEquals(8 + sizes[i], Bytes.u16(p, 38), "UDP length");
            assertEquals(20 + 8 + sizes[i], Bytes.u16(p, 16), "IP total length");
            assertEquals(100 + i, Bytes.u16(p, 18), "IPv4 ID counts up");
            assertTrue(Checksums.verifyIpv4Header(p, 14, 20));
            assertTrue(Checksums.verifyTransport(p, 14, IpProtocols.UDP, 34, 8 + sizes[i]));
            assertEquals((byte) (i * 1200), pieces.get(i)[42], "payload continues where the last piece stopped");
        }
        assertEquals(0, new Gso().segment(s, 0, f.length, 20, (seg, o, l, t, g, h) -> fail("151 pieces is over USO's 128")));
    }
}
