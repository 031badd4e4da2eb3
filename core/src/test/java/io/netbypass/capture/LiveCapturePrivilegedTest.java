package io.netbypass.capture;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.netbypass.dissect.Dissector;
import io.netbypass.dissect.DumpField;
import io.netbypass.packet.PacketParser;
import io.netbypass.packet.ParseStatus;
import io.netbypass.packet.ParsedPacket;
import io.netbypass.testing.Commands;
import io.netbypass.testing.Privileged;
import io.netbypass.testing.TestNetwork;
import io.netbypass.testing.Tshark;
import io.netbypass.testing.TsvDiff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Real kernel traffic between two test namespaces (UDP and the ICMP errors it provokes), captured by tcpdump (pcap, nanoseconds) and
 * by tshark (pcapng): netbypass reads both, parses every frame, and its dump equals tshark's.
 */
@Privileged
class LiveCapturePrivilegedTest {
    @TempDir
    Path dir;

    @Test
    void capturesOfRealTrafficReadAndDumpLikeTshark() throws Exception {
        Commands.assumeInstalled("tcpdump", "tcpdump");
        Tshark.assumeAvailable();
        try (TestNetwork net = TestNetwork.create(4)) {
            assertEquals("4", net.exec(net.nsB, 10, "sh", "-c", "ls /sys/class/net/" + net.ifB + "/queues | grep -c rx")
                    .stdout().strip(), "veth RX queues");
            Path pcap = dir.resolve("live.pcap");
            Path pcapng = dir.resolve("live.pcapng");
            // 5 datagrams to closed ports, each answered by an ICMP port unreachable quoting it.
            int frames = 10;
            Process tcpdump = net.start(net.nsB, "tcpdump", "-i", net.ifB, "-n", "-U", "--time-stamp-precision=nano",
                    "-c", Integer.toString(frames), "-w", pcap.toString(), "udp or icmp");
            Process tshark = net.start(net.nsB, "tshark", "-i", net.ifB, "-c", Integer.toString(frames), "-w",
                    pcapng.toString(), "-f", "udp or icmp");
            try {
                awaitListening(tcpdump, "listening on");
                awaitListening(tshark, "Capturing on");
                for (int i = 0; i < 5; i++) {
                    net.exec(net.nsA, 10, "bash", "-c", "echo datagram-" + i + " > /dev/udp/" + net.addressB + "/" + (5000 + i))
                            .orFail("send UDP");
                }
                assertTrue(tcpdump.waitFor(20, TimeUnit.SECONDS), "tcpdump did not see " + frames + " frames");
                assertTrue(tshark.waitFor(20, TimeUnit.SECONDS), "tshark did not see " + frames + " frames");
            } finally {
                tcpdump.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                tshark.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
            for (Path file : List.of(pcap, pcapng)) {
                List<String> ours = dumpAndParse(file, frames);
                TsvDiff diff = TsvDiff.compare(file.getFileName().toString(), Tshark.fields(file), ours);
                assertTrue(diff.errors.isEmpty() && diff.laterOccurrenceNotes.isEmpty(),
                        () -> String.join("\n", diff.errors) + String.join("\n", diff.laterOccurrenceNotes));
            }
        }
    }

    private static List<String> dumpAndParse(Path file, int frames) throws Exception {
        List<String> lines = new java.util.ArrayList<>();
        lines.add(DumpField.header());
        ParsedPacket parsed = new ParsedPacket();
        int udp = 0;
        try (CaptureReader reader = Captures.open(file)) {
            CaptureRecord r = new CaptureRecord();
            Dissector d = new Dissector();
            while (reader.next(r)) {
                ParseStatus s = PacketParser.parse(r.segment(), r.dataOffset(), r.capturedLength(), r.linkType(), parsed);
                assertEquals(ParseStatus.OK, s, "frame " + lines.size() + " of " + file.getFileName());
                if (parsed.ipProtocol() == 17) {
                    udp++;
                    assertTrue(parsed.destinationPort() >= 5000 && parsed.destinationPort() < 5005);
                } else {
                    assertEquals(1, parsed.ipProtocol(), "ICMP port unreachable");
                }
                assertTrue(r.timestampNanos() > 1_600_000_000_000_000_000L, "timestamp");
                lines.add(d.dissect(r).toTsv());
            }
            assertFalse(reader.truncation() != null, reader.truncation());
        }
        assertEquals(frames + 1, lines.size());
        assertEquals(5, udp, "UDP datagrams in " + file.getFileName());
        return lines;
    }

    /** Waits until a capture tool says it is capturing, so no packet is sent before it listens. */
    private static void awaitListening(Process p, String marker) throws Exception {
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream()));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        String line;
        while (System.nanoTime() < deadline && (line = out.readLine()) != null) {
            if (line.contains(marker)) {
                Thread.ofVirtual().start(() -> drain(out));
                Thread.sleep(300);
                return;
            }
        }
        throw new AssertionError("capture tool did not start (no '" + marker + "')");
    }

    private static void drain(BufferedReader out) {
        try {
            while (out.readLine() != null) {
                // keep the pipe from filling
            }
        } catch (java.io.IOException ignored) {
            // process ended
        }
    }
}
