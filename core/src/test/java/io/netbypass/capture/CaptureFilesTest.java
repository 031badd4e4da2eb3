package io.netbypass.capture;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import io.netbypass.packet.LinkType;
import io.netbypass.testing.TestData;
import io.netbypass.testing.Tshark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CaptureFilesTest {
    @TempDir
    Path dir;

    record Packet(byte[] data, int original, long nanos, int linkType) {
    }

    static List<Packet> readAll(Path file) throws IOException {
        List<Packet> out = new ArrayList<>();
        try (CaptureReader reader = Captures.open(file)) {
            CaptureRecord r = new CaptureRecord();
            while (reader.next(r)) {
                out.add(new Packet(r.copyData(), r.originalLength(), r.timestampNanos(), r.linkType()));
            }
            assertNull(reader.truncation(), "unexpected truncation in " + file);
        }
        return out;
    }

    static void writeAll(CaptureWriter w, List<Packet> packets, int interfaceId) throws IOException {
        CaptureRecord r = new CaptureRecord();
        for (Packet p : packets) {
            w.write(r.set(MemorySegment.ofArray(p.data), 0, p.data.length, p.original, p.nanos, interfaceId, p.linkType));
        }
    }

    /** Every format, byte order and precision netbypass writes: reads back identically, here and in tshark. */
    @TestFactory
    List<DynamicTest> writtenCapturesReadBackIdentically() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (Path capture : TestData.captures()) {
            for (String format : List.of("pcap", "pcapng")) {
                for (ByteOrder order : List.of(ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN)) {
                    for (boolean nanos : List.of(false, true)) {
                        String name = capture.getFileName() + " as " + format + " " + order + (nanos ? " ns" : " us");
                        tests.add(DynamicTest.dynamicTest(name, () -> roundTrip(capture, format, order, nanos)));
                    }
                }
            }
        }
        return tests;
    }

    private void roundTrip(Path capture, String format, ByteOrder order, boolean nanos) throws Exception {
        List<Packet> original = readAll(capture);
        Path out = dir.resolve("out." + format);
        int linkType = original.get(0).linkType;
        try (CaptureWriter w = format.equals("pcap") ? new PcapWriter(out, linkType, 262144, nanos, order)
                : new PcapngWriter(out, order)) {
            int id = w instanceof PcapngWriter ng ? ng.addInterface(linkType, 262144, nanos, "eth0") : 0;
            writeAll(w, original, id);
        }
        List<Packet> back = readAll(out);
        assertEquals(original.size(), back.size());
        for (int i = 0; i < original.size(); i++) {
            assertArrayEquals(original.get(i).data, back.get(i).data, "packet " + (i + 1));
            assertEquals(original.get(i).original, back.get(i).original);
            assertEquals(original.get(i).nanos, back.get(i).nanos, "timestamp of packet " + (i + 1));
            assertEquals(linkType, back.get(i).linkType);
        }
        Tshark.assumeAvailable();
        assertEquals(Files.readAllLines(TestData.oracleFor(capture)), Tshark.fields(out),
                "tshark's fields for the rewritten " + capture.getFileName());
    }

    @Test
    void pcapngWithSeveralInterfacesAndSections() throws Exception {
        Path file = dir.resolve("multi.pcapng");
        List<Packet> eth = List.of(new Packet(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 8, 0}, 60, 5_000_000_123L, LinkType.ETHERNET));
        List<Packet> raw = List.of(new Packet(new byte[] {0x45, 0, 0, 20}, 20, 6_000_000_000L, LinkType.RAW));
        try (PcapngWriter w = new PcapngWriter(file, ByteOrder.BIG_ENDIAN)) {
            int a = w.addInterface(LinkType.ETHERNET, 65535, true, "a");
            int b = w.addInterface(LinkType.RAW, 65535, false, "b");
            writeAll(w, eth, a);
            writeAll(w, raw, b);
        }
        // A second section (little-endian) appended: interfaces restart from zero.
        Path second = dir.resolve("second.pcapng");
        try (PcapngWriter w = new PcapngWriter(second, ByteOrder.LITTLE_ENDIAN)) {
            writeAll(w, raw, w.addInterface(LinkType.RAW, 100, true, null));
        }
        Files.write(file, Files.readAllBytes(second), java.nio.file.StandardOpenOption.APPEND);
        List<Packet> back = readAll(file);
        assertEquals(3, back.size());
        assertEquals(LinkType.ETHERNET, back.get(0).linkType);
        assertEquals(5_000_000_123L, back.get(0).nanos);
        assertEquals(60, back.get(0).original);
        assertEquals(LinkType.RAW, back.get(1).linkType);
        assertEquals(6_000_000_000L, back.get(1).nanos);
        assertEquals(LinkType.RAW, back.get(2).linkType);
    }

    @Test
    void truncatedLastRecordKeepsTheRecordsBefore() throws Exception {
        for (String name : List.of("dpkt/http.pcap", "tcpdump/ssh.pcap")) {
            byte[] whole = Files.readAllBytes(TestData.root().resolve("pcap/" + name));
            int expected = readAll(TestData.root().resolve("pcap/" + name)).size();
            Path cut = dir.resolve("cut.pcap");
            Files.write(cut, Arrays.copyOf(whole, whole.length - 7));
            try (CaptureReader reader = Captures.open(cut)) {
                CaptureRecord r = new CaptureRecord();
                int n = 0;
                while (reader.next(r)) {
                    n++;
                }
                assertEquals(expected - 1, n);
                assertNotNull(reader.truncation());
                assertTrue(reader.truncation().contains("byte offset"), reader.truncation());
            }
        }
        // pcapng: cut inside the last block
        Path ng = dir.resolve("x.pcapng");
        try (PcapngWriter w = new PcapngWriter(ng, ByteOrder.LITTLE_ENDIAN)) {
            writeAll(w, List.of(new Packet(new byte[40], 40, 1, 1), new Packet(new byte[40], 40, 2, 1)), w.addInterface(1, 1500, false, null));
        }
        byte[] b = Files.readAllBytes(ng);
        Files.write(ng, Arrays.copyOf(b, b.length - 10));
        try (CaptureReader reader = Captures.open(ng)) {
            CaptureRecord r = new CaptureRecord();
            assertTrue(reader.next(r));
            assertTrue(!reader.next(r));
            assertTrue(reader.truncation().startsWith("truncated block"), reader.truncation());
        }
    }

    @Test
    void malformedFilesNameTheOffset() throws Exception {
        assertError(new byte[0], "empty file");
        assertError("hello world, not a capture".getBytes(), "not a pcap or pcapng file");
        byte[] http = Files.readAllBytes(TestData.root().resolve("pcap/dpkt/http.pcap"));
        byte[] badLength = http.clone();
        badLength[24 + 8 + 3] = (byte) 0x7f; // first record's captured length: 2 GiB
        assertError(badLength, "at byte offset 32");
        byte[] badVersion = http.clone();
        badVersion[4] = 9;
        assertError(badVersion, "unsupported pcap major version 9 at byte offset 4");
        Path ng = dir.resolve("y.pcapng");
        try (PcapngWriter w = new PcapngWriter(ng, ByteOrder.LITTLE_ENDIAN)) {
            writeAll(w, List.of(new Packet(new byte[40], 40, 1, 1)), w.addInterface(1, 1500, false, null));
        }
        byte[] b = Files.readAllBytes(ng);
        byte[] trailer = b.clone();
        trailer[b.length - 4] ^= 0x04;
        assertError(trailer, "does not match its trailing copy");
        byte[] wrongInterface = b.clone();
        int epb = b.length - 72;
        wrongInterface[epb + 8] = 3;
        assertError(wrongInterface, "names interface 3");
    }

    @Test
    void randomlyDamagedFilesFailCleanly() throws Exception {
        byte[] http = Files.readAllBytes(TestData.root().resolve("pcap/dpkt/http.pcap"));
        Path ng = dir.resolve("z.pcapng");
        try (PcapngWriter w = new PcapngWriter(ng, ByteOrder.BIG_ENDIAN)) {
            writeAll(w, readAll(TestData.root().resolve("pcap/dpkt/http.pcap")), w.addInterface(1, 65535, true, "x"));
        }
        byte[] pcapng = Files.readAllBytes(ng);
        Random random = new Random(9);
        for (int i = 0; i < 3000; i++) {
            byte[] b = (i % 2 == 0 ? http : pcapng).clone();
            for (int k = 0; k < 1 + random.nextInt(4); k++) {
                b[random.nextInt(Math.min(b.length, 400))] = (byte) random.nextInt(256);
            }
            if (random.nextBoolean()) {
                b = Arrays.copyOf(b, random.nextInt(b.length));
            }
            Path f = dir.resolve("damaged");
            Files.write(f, b);
            try (CaptureReader reader = Captures.open(f)) {
                CaptureRecord r = new CaptureRecord();
                while (reader.next(r)) {
                    assertTrue(r.dataOffset() + r.capturedLength() <= b.length);
                }
            } catch (CaptureFormatException expected) {
                assertTrue(expected.getMessage().contains("byte offset"), expected.getMessage());
            }
        }
    }

    private void assertError(byte[] content, String expected) throws IOException {
        Path f = dir.resolve("bad");
        Files.write(f, content);
        CaptureFormatException e = assertThrows(CaptureFormatException.class, () -> {
            try (CaptureReader reader = Captures.open(f)) {
                CaptureRecord r = new CaptureRecord();
                while (reader.next(r)) {
                    // read to the end
                }
            }
        });
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
