package io.netbypass.dissect;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.netbypass.capture.CaptureRecord;
import io.netbypass.capture.PcapngWriter;
import io.netbypass.testing.SyntheticCorpus;
import io.netbypass.testing.Tshark;
import io.netbypass.testing.TsvDiff;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The dump agrees with the installed tshark on frames the captures in testdata/ lack: every
 * encapsulation on every link type, cut short and corrupted with a fixed seed. tshark's
 * rules are general; a test of only the sample files would not show whether ours are.
 */
class TsharkDifferentialTest {
    @TempDir
    Path dir;

    @Test
    void syntheticAndMutatedFramesMatchTshark() throws Exception {
        Tshark.assumeAvailable();
        List<SyntheticCorpus.Frame> frames = SyntheticCorpus.mutated(
                Long.getLong("netbypass.corpus.seed", 20261122L), Integer.getInteger("netbypass.corpus.perFrame", 12));
        Path file = dir.resolve("corpus.pcapng");
        try (PcapngWriter w = new PcapngWriter(file, ByteOrder.LITTLE_ENDIAN)) {
            Map<Integer, Integer> interfaces = new HashMap<>();
            CaptureRecord r = new CaptureRecord();
            long ts = 1_700_000_000_000_000_000L;
            for (SyntheticCorpus.Frame f : frames) {
                Integer id = interfaces.get(f.linkType());
                if (id == null) {
                    id = w.addInterface(f.linkType(), 262144, true, "if" + f.linkType());
                    interfaces.put(f.linkType(), id);
                }
                w.write(r.set(MemorySegment.ofArray(f.data()), 0, f.data().length, f.originalLength(), ts += 1000, id, f.linkType()));
            }
        }
        List<String> expected = Tshark.fields(file);
        List<String> actual = OracleDumpTest.dump(file);
        TsvDiff diff = TsvDiff.compare("corpus", expected, actual);
        diff.laterOccurrenceNotes.forEach(n -> System.out.println("later-occurrence difference: " + n));
        System.out.println(frames.size() + " synthetic frames compared with tshark: " + diff.errors.size()
                + " first-occurrence differences, " + diff.laterOccurrenceNotes.size() + " later-occurrence differences");
        if (!diff.errors.isEmpty()) {
            Files.copy(file, Path.of("target", "tshark-differential-corpus.pcapng"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        assertTrue(diff.errors.isEmpty(), () -> String.join("\n", diff.errors.subList(0, Math.min(40, diff.errors.size()))));
    }
}
