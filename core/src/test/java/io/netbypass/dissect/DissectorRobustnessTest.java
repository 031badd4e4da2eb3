package io.netbypass.dissect;

import java.lang.foreign.MemorySegment;
import java.util.Random;

import org.junit.jupiter.api.Test;

import io.netbypass.capture.CaptureRecord;
import io.netbypass.packet.AddressText;
import io.netbypass.packet.LinkType;
import io.netbypass.testing.SyntheticCorpus;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Whatever the bytes, the dump produces a row with every column and never throws. */
class DissectorRobustnessTest {
    @Test
    void garbageAndMutationsProduceRows() {
        Dissector d = new Dissector();
        CaptureRecord r = new CaptureRecord();
        Random random = new Random(3);
        int[] linkTypes = {LinkType.ETHERNET, LinkType.RAW, LinkType.NULL, LinkType.LOOP, LinkType.LINUX_SLL,
                LinkType.LINUX_SLL2, LinkType.IPV4, LinkType.IPV6, 9999};
        int columns = DumpField.values().length;
        for (SyntheticCorpus.Frame f : SyntheticCorpus.mutated(11, 150)) {
            r.set(MemorySegment.ofArray(f.data()), 0, f.data().length, f.originalLength(), 0, 0, f.linkType());
            assertEquals(columns, d.dissect(r).toTsv().split("\t", -1).length);
        }
        for (int i = 0; i < 100_000; i++) {
            byte[] b = new byte[random.nextInt(200)];
            random.nextBytes(b);
            int original = random.nextBoolean() ? b.length : random.nextInt(1 << 16);
            r.set(MemorySegment.ofArray(b), 0, b.length, original, 0, 0, linkTypes[random.nextInt(linkTypes.length)]);
            assertEquals(columns, d.dissect(r).toTsv().split("\t", -1).length);
        }
    }

    @Test
    void addressesPrintLikeInetNtop() {
        String[][] cases = {
                {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"}, {"0:0:0:0:0:0:0:0", "::"}, {"0:0:0:0:0:0:0:1", "::1"},
                {"1:0:0:2:0:0:0:3", "1:0:0:2::3"}, {"0:1:2:3:4:5:6:7", "0:1:2:3:4:5:6:7"},
                {"0:0:0:0:0:ffff:102:304", "::ffff:1.2.3.4"}, {"0:0:0:0:0:0:102:304", "::1.2.3.4"},
                {"0:0:0:0:ffff:0:102:304", "::ffff:0:102:304"}, {"fe80:0:0:0:0:0:0:0", "fe80::"}};
        for (String[] c : cases) {
            String[] words = c[0].split(":");
            byte[] a = new byte[16];
            for (int i = 0; i < 8; i++) {
                int w = Integer.parseInt(words[i], 16);
                a[2 * i] = (byte) (w >>> 8);
                a[2 * i + 1] = (byte) w;
            }
            assertEquals(c[1], AddressText.ipv6(MemorySegment.ofArray(a), 0));
        }
    }
}
