package io.netbypass.dissect;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import io.netbypass.capture.CaptureReader;
import io.netbypass.capture.CaptureRecord;
import io.netbypass.capture.Captures;
import io.netbypass.testing.TestData;
import io.netbypass.testing.TsvDiff;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The dump of every capture in testdata/ equals its tshark oracle (first occurrences exactly). */
class OracleDumpTest {
    static List<String> dump(Path capture) throws Exception {
        List<String> lines = new ArrayList<>();
        lines.add(DumpField.header());
        try (CaptureReader reader = Captures.open(capture)) {
            Dissector d = new Dissector();
            CaptureRecord r = new CaptureRecord();
            while (reader.next(r)) {
                lines.add(d.dissect(r).toTsv());
            }
        }
        return lines;
    }

    @TestFactory
    List<DynamicTest> everyCaptureMatchesItsOracle() throws Exception {
        List<Path> captures = TestData.captures();
        assertFalse(captures.isEmpty(), "no captures found under testdata/pcap");
        List<DynamicTest> tests = new ArrayList<>();
        for (Path capture : captures) {
            Path oracle = TestData.oracleFor(capture);
            tests.add(DynamicTest.dynamicTest(capture.getParent().getFileName() + "/" + capture.getFileName(), () -> {
                assertTrue(Files.exists(oracle), "no oracle " + oracle);
                TsvDiff diff = TsvDiff.compare(capture.getFileName().toString(), Files.readAllLines(oracle), dump(capture));
                diff.laterOccurrenceNotes.forEach(n -> System.out.println("later-occurrence difference: " + n));
                assertTrue(diff.errors.isEmpty(), () -> String.join("\n", diff.errors));
            }));
        }
        return tests;
    }
}
