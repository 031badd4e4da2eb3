package io.netbypass.cli;

import static org.junit.jupiter.api.Assertions.*;

import io.netbypass.capture.CaptureReader;
import io.netbypass.capture.CaptureRecord;
import io.netbypass.capture.Captures;
import io.netbypass.testing.TestData;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code netbypass gen} and {@code rx}: pkt-gen's options, templates replayed byte for byte, seeds that repeat. */
class GenCommandTest {
    @TempDir
    Path dir;

    static List<byte[]> packets(Path file) throws IOException {
        List<byte[]> out = new ArrayList<>();
        try (CaptureReader r = Captures.open(file)) {
            CaptureRecord rec = new CaptureRecord();
            while (r.next(rec)) {
                out.add(rec.copyData());
            }
        }
        return out;
    }

    @Test
    void templateOutputIsByteIdenticalToTheCapture() throws Exception {
        try (var files = Files.walk(TestData.root().resolve("pcap"))) {
            for (Path template : files.filter(p -> p.toString().matches(".*\\.pcap(ng)?$")).sorted().toList()) {
                List<byte[]> expected = packets(template);
                Path out = dir.resolve(template.getFileName() + ".out.pcap");
                int n = expected.size() * 2 + 1; // wraps around the template twice and a bit
                PcapCommandTest.Run r = PcapCommandTest.run("gen", "pcap:" + out, "-P", template.toString(), "-n",
                        String.valueOf(n), "-b", "7");
                assertEquals(0, r.code(), template + ": " + r.err());
                assertTrue(r.out().startsWith("Sent " + n + " packets "), r.out());
                List<byte[]> got = packets(out);
                assertEquals(n, got.size(), template.toString());
                for (int i = 0; i < n; i++) {
                    assertArrayEquals(expected.get(i % expected.size()), got.get(i), template + " packet " + i);
                }
            }
        }
    }

    @Test
    void randomModesRepeatWithTheSameSeed() throws Exception {
        String[] common = {"-n", "2000", "-z", "-Z", "-s", "198.18.0.1:1-198.18.255.255:65535", "-d",
                "198.19.0.1:1-198.19.0.255:1000", "-l", "60", "-l", "1514"};
        List<List<byte[]>> runs = new ArrayList<>();
        for (String seed : new String[] {"42", "42", "43"}) {
            Path out = dir.resolve("seed" + runs.size() + ".pcap");
            List<String> args = new ArrayList<>(List.of("gen", "pcap:" + out, "--seed", seed));
            args.addAll(List.of(common));
            PcapCommandTest.Run r = PcapCommandTest.run(args.toArray(String[]::new));
            assertEquals(0, r.code(), r.err());
            runs.add(packets(out));
        }
        assertEquals(2000, runs.get(0).size());
        for (int i = 0; i < 2000; i++) {
            assertArrayEquals(runs.get(0).get(i), runs.get(1).get(i), "seed 42, packet " + i);
        }
        int same = 0;
        for (int i = 0; i < 2000; i++) {
            same += java.util.Arrays.equals(runs.get(0).get(i), runs.get(2).get(i)) ? 1 : 0;
        }
        assertEquals(0, same, "another seed gives other packets");
        // Sizes span the range, addresses stay inside it, checksums hold (tshark-free check by our parser).
        int min = Integer.MAX_VALUE;
        int max = 0;
        for (byte[] f : runs.get(0)) {
            min = Math.min(min, f.length);
            max = Math.max(max, f.length);
            assertEquals((byte) 198, f[26]);
            assertEquals((byte) 18, f[27]);
            assertEquals((byte) 198, f[30]);
            assertEquals((byte) 19, f[31]);
            var s = java.lang.foreign.MemorySegment.ofArray(f);
            assertTrue(io.netbypass.packet.Checksums.verifyIpv4Header(s, 14, 20));
            assertTrue(io.netbypass.packet.Checksums.verifyTransport(s, 14, 17, 34, f.length - 34));
        }
        assertTrue(min < 100 && max > 1400, min + ".." + max);
    }

    @Test
    void sequentialRangesWalkLikePktGen() throws Exception {
        Path out = dir.resolve("seq.pcap");
        PcapCommandTest.Run r = PcapCommandTest.run("gen", "pcap:" + out, "-n", "7", "-s", "198.18.0.1:100-198.18.0.2:102",
                "-d", "198.19.0.9:53");
        assertEquals(0, r.code(), r.err());
        List<String> flows = new ArrayList<>();
        for (byte[] f : packets(out)) {
            flows.add((f[29] & 0xff) + ":" + ((f[34] & 0xff) << 8 | (f[35] & 0xff)));
        }
        assertEquals(List.of("1:100", "1:101", "1:102", "2:100", "2:101", "2:102", "1:100"), flows);
    }

    /** received, wire, ring, host, ring-full drops from rx's output. */
    private static long[] rxCounts(String out) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?s).*Received (\\d+) packets.*: (\\d+) frames on the wire, "
                + "(\\d+) into this port's rings, (\\d+) to the host, (\\d+) dropped \\(ring full\\).*").matcher(out);
        assertTrue(m.matches(), out);
        long[] n = new long[5];
        for (int i = 0; i < 5; i++) {
            n[i] = Long.parseLong(m.group(i + 1));
        }
        return n;
    }

    @Test
    void rxCountsWhatTheVnicSteersToTheBoundQueue() {
        // A slow (cold) consumer may overflow the ring: such frames are counted, never lost silently.
        PcapCommandTest.Run r = PcapCommandTest.run("rx", "vnic:rxtest0", "-n", "100000", "-R", "400000", "-z", "-s",
                "198.18.0.1:1-198.18.255.255:65535", "-d", "198.19.0.1:53", "--seed", "5", "-T", "100000");
        assertEquals(0, r.code(), r.err());
        long[] all = rxCounts(r.out());
        assertEquals(100000, all[1]);
        assertEquals(all[0], all[2], "what the port received is what the NIC put in its rings");
        assertEquals(0, all[3], "all queues are bound: nothing for the host");
        assertEquals(100000, all[2] + all[4]);
        PcapCommandTest.Run one = PcapCommandTest.run("rx", "vnic:rxtest1-3/R", "-n", "100000", "-R", "400000", "-z", "-s",
                "198.18.0.1:1-198.18.255.255:65535", "-d", "198.19.0.1:53", "--seed", "5", "-T", "100000");
        assertEquals(0, one.code(), one.err());
        long[] q3 = rxCounts(one.out());
        assertEquals(100000, q3[1]);
        assertEquals(q3[0], q3[2]);
        assertEquals(100000, q3[2] + q3[3] + q3[4]);
        // RSS over 10 queues with the default table: queue 3 gets about a tenth, the host the rest.
        long queue3 = q3[2] + q3[4];
        assertTrue(queue3 > 8000 && queue3 < 12000, one.out());
    }

    @Test
    void badPortsAndOptionsGetOneLine() {
        assertEquals("netbypass: vnic:eth3-4/R has no TX ring (an /R port receives only)\n",
                PcapCommandTest.run("gen", "vnic:eth3-4/R", "-n", "1").err());
        assertEquals("netbypass: port 'foo:eth0': unknown backend 'foo' (vnic, xdp, afpacket, tap, pcap)\n",
                PcapCommandTest.run("gen", "foo:eth0", "-n", "1").err());
        assertEquals("netbypass: port 'x' in '1.2.3.4:x' is not a number 0..65535\n",
                PcapCommandTest.run("gen", "pcap:" + dir.resolve("x.pcap"), "-n", "1", "-s", "1.2.3.4:x").err());
        assertEquals("netbypass: packet size must be 60..9216 bytes, not 20\n",
                PcapCommandTest.run("gen", "pcap:" + dir.resolve("x.pcap"), "-n", "1", "-l", "20").err());
        assertEquals("netbypass: pcap:/nonexistent/in.pcap: no such file\n",
                PcapCommandTest.run("rx", "pcap:/nonexistent/in.pcap").err());
    }
}
