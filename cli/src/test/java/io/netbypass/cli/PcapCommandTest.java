package io.netbypass.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.netbypass.testing.TestData;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command line as an operator meets it: exact output, one-line errors, no stack traces. */
class PcapCommandTest {
    @TempDir
    Path dir;

    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(args, new PrintWriter(out), new PrintWriter(err));
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void dumpPrintsTheOracle() throws Exception {
        Path capture = TestData.root().resolve("pcap/dpkt/http.pcap");
        Run r = run("pcap", "dump", capture.toString());
        assertEquals(0, r.code, r.err);
        assertEquals(Files.readAllLines(TestData.oracleFor(capture)), r.out.lines().toList());
        assertEquals("", r.err);
    }

    @Test
    void convertThenDumpGivesTheSameRows() throws Exception {
        Path capture = TestData.root().resolve("pcap/tcpdump/QinQpacket.pcap");
        Path out = dir.resolve("q.pcapng");
        Run c = run("pcap", "convert", "--byte-order", "be", "--nanos", capture.toString(), out.toString());
        assertEquals(0, c.code, c.err);
        assertTrue(c.out.startsWith("249 packets written"), c.out);
        assertEquals(Files.readAllLines(TestData.oracleFor(capture)), run("pcap", "dump", out.toString()).out.lines().toList());
    }

    @Test
    void truncatedFilePrintsTheRowsThenOneLine() throws Exception {
        byte[] whole = Files.readAllBytes(TestData.root().resolve("pcap/gopacket/test_dns.pcap"));
        Path cut = dir.resolve("cut.pcap");
        Files.write(cut, Arrays.copyOf(whole, whole.length - 5));
        Run r = run("pcap", "dump", cut.toString());
        assertEquals(1, r.code);
        assertEquals(1 + 9, r.out.lines().count());
        assertOneLine(r.err, "truncated record at byte offset");
    }

    @Test
    void brokenInputsGiveOneLineErrors() throws Exception {
        assertOneLine(run("pcap", "dump", dir.resolve("missing.pcap").toString()).err, "no such file");
        assertOneLine(run("pcap", "dump", dir.toString()).err, "netbypass: ");
        Path text = dir.resolve("t.pcap");
        Files.writeString(text, "not a capture at all");
        Run r = run("pcap", "dump", text.toString());
        assertEquals(1, r.code);
        assertOneLine(r.err, "not a pcap or pcapng file (magic 0x6e6f7420) at byte offset 0");
        Run usage = run("pcap", "dump");
        assertEquals(2, usage.code);
        assertOneLine(usage.err, "Missing required parameter");
        assertOneLine(run("frobnicate").err, "Unmatched argument");
    }

    @Test
    void randomDamageNeverLeaksAStackTrace() throws Exception {
        byte[] base = Files.readAllBytes(TestData.root().resolve("pcap/tcpdump/edns-opts.pcap"));
        Random random = new Random(77);
        for (int i = 0; i < 300; i++) {
            byte[] b = base.clone();
            for (int k = 0; k < 1 + random.nextInt(8); k++) {
                b[random.nextInt(b.length)] = (byte) random.nextInt(256);
            }
            Path f = dir.resolve("d" + i + ".pcap");
            Files.write(f, Arrays.copyOf(b, random.nextInt(b.length + 1)));
            Run r = run("pcap", "dump", f.toString());
            if (r.code != 0) {
                assertOneLine(r.err, "netbypass: ");
            } else {
                assertEquals("", r.err);
            }
        }
    }

    private static void assertOneLine(String err, String expected) {
        List<String> lines = err.lines().toList();
        assertEquals(1, lines.size(), "expected one line, got:\n" + err);
        assertTrue(lines.get(0).contains(expected), lines.get(0));
        assertFalse(err.contains("\tat "), "stack trace leaked");
    }
}
