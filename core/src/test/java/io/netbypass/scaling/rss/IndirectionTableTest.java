package io.netbypass.scaling.rss;

import io.netbypass.util.UserException;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class IndirectionTableTest {
    private static int[] range(int queue, int from, int to, int[] into) {
        for (int i = from; i <= to; i++) {
            into[i] = queue;
        }
        return into;
    }

    @Test
    void referenceExampleWeightOneOneOneOneZeroOneOneOneOneOneOver128() {
        IndirectionTable t = IndirectionTable.weight(128, new int[] {1, 1, 1, 1, 0, 1, 1, 1, 1, 1}, 0);
        int[] expected = new int[128];
        range(0, 0, 13, expected);
        range(1, 14, 27, expected);
        range(2, 28, 41, expected);
        range(3, 42, 55, expected);
        range(5, 56, 70, expected);
        range(6, 71, 84, expected);
        range(7, 85, 98, expected);
        range(8, 99, 112, expected);
        range(9, 113, 127, expected);
        assertArrayEquals(expected, t.toArray());
        assertEquals(0, t.entriesFor(4), "a weight of 0 takes the queue out of RSS");
        assertEquals(15, t.entriesFor(5));
        assertEquals(15, t.entriesFor(9));
    }

    @Test
    void smallWeightTablesWorkedByHand() {
        // sum 3 over 8 entries: queue 0 until 8*1/3 = 2, queue 1 after
        assertArrayEquals(new int[] {0, 0, 1, 1, 1, 1, 1, 1}, IndirectionTable.weight(8, new int[] {1, 2}, 0).toArray());
        // start shifts every queue; 3:1 over 64 splits at 48
        IndirectionTable t = IndirectionTable.weight(64, new int[] {3, 1}, 2);
        for (int i = 0; i < 64; i++) {
            assertEquals(i < 48 ? 2 : 3, t.entry(i), "entry " + i);
        }
        // sum equal to the size: exactly one entry per unit of weight
        int[] ones = new int[64];
        java.util.Arrays.fill(ones, 1);
        IndirectionTable identity = IndirectionTable.weight(64, ones, 0);
        for (int i = 0; i < 64; i++) {
            assertEquals(i, identity.entry(i));
        }
    }

    @Test
    void zeroWeightsAtEitherEndAreSkipped() {
        IndirectionTable leading = IndirectionTable.weight(64, new int[] {0, 0, 1, 1}, 0);
        assertEquals(0, leading.entriesFor(0));
        assertEquals(0, leading.entriesFor(1));
        assertEquals(32, leading.entriesFor(2));
        assertEquals(32, leading.entriesFor(3));
        assertEquals(2, leading.entry(0));
        IndirectionTable trailing = IndirectionTable.weight(64, new int[] {1, 1, 0, 0}, 0);
        assertEquals(32, trailing.entriesFor(0));
        assertEquals(32, trailing.entriesFor(1));
        assertEquals(1, trailing.maxQueue());
        assertEquals(1, trailing.entry(63));
        IndirectionTable only = IndirectionTable.weight(64, new int[] {0, 5, 0}, 4);
        assertEquals(64, only.entriesFor(5));
    }

    @Test
    void ethtoolRefusals() {
        assertEquals("At least one weight must be non-zero",
                assertThrows(IndirectionException.class, () -> IndirectionTable.weight(128, new int[] {0, 0}, 0)).getMessage());
        assertEquals("Total weight exceeds the size of the indirection table",
                assertThrows(IndirectionException.class, () -> IndirectionTable.weight(64, new int[] {60, 5}, 0)).getMessage());
        IndirectionTable.weight(64, new int[] {60, 4}, 0); // exactly the size is fine
        assertThrows(UserException.class, () -> IndirectionTable.equal(100, 4, 0), "not a power of two");
        assertThrows(IndirectionException.class, () -> IndirectionTable.equal(128, 0, 0));
        IndirectionTable t = IndirectionTable.equal(128, 4, 2);
        assertThrows(IndirectionException.class, () -> t.checkRings(5), "names queue 5 on a 5-ring device");
        t.checkRings(6);
    }

    @Test
    void equalAndDefaultFill() {
        IndirectionTable eq = IndirectionTable.equal(64, 3, 1);
        for (int i = 0; i < 64; i++) {
            assertEquals(1 + i % 3, eq.entry(i));
        }
        assertEquals(IndirectionTable.defaultFill(512, 6), IndirectionTable.equal(512, 6, 0));
        assertEquals(7, IndirectionTable.defaultFill(2048, 8).entry(2047));
    }

    @Test
    void hashLowBitsPickTheEntry() {
        IndirectionTable t = IndirectionTable.equal(128, 16, 0);
        assertEquals(0x78 & 127, t.index(0x51ccc178));
        assertEquals((0x51ccc178 & 127) % 16, t.queue(0x51ccc178));
        assertEquals(127, t.index(-1));
    }

    @Test
    void rowsPrintLikeEthtool() {
        IndirectionTable t = IndirectionTable.equal(64, 4, 0);
        String rows = t.formatRows();
        String[] lines = rows.split("\n");
        assertEquals(8, lines.length);
        assertEquals("    0:      0     1     2     3     0     1     2     3", lines[0]);
        assertEquals("   56:      0     1     2     3     0     1     2     3", lines[7]);
    }
}
