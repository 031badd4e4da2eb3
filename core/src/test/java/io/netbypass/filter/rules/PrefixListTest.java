package io.netbypass.filter.rules;

import io.netbypass.filter.rules.Prefix;
import io.netbypass.filter.rules.PrefixList;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class PrefixListTest {
    @Test
    void longestPrefixAgreesWithLinearScanIpv4() {
        Random r = new Random(1);
        for (int round = 0; round < 20; round++) {
            List<Prefix> prefixes = new ArrayList<>();
            int n = 1 + r.nextInt(200);
            for (int i = 0; i < n; i++) {
                int len = r.nextInt(33);
                // Addresses from a narrow space so prefixes nest and overlap.
                long a = 0xc6120000L | (r.nextInt(4) << 8) | r.nextInt(256);
                if (r.nextInt(8) == 0) {
                    a = r.nextInt() & 0xffff_ffffL;
                }
                prefixes.add(new Prefix(4, 0, a, len).network());
            }
            PrefixList list = PrefixList.of("t", prefixes);
            for (int i = 0; i < 5000; i++) {
                int a = r.nextInt(3) == 0 ? r.nextInt() : (int) (0xc6120000L | (r.nextInt(5) << 8) | r.nextInt(256));
                int expected = list.longestLinear(4, 0, a & 0xffff_ffffL);
                int got = list.longest4(a);
                assertEquals(expected < 0 ? -1 : list.prefix(expected).length(), got < 0 ? -1 : list.prefix(got).length(),
                        "address " + Integer.toHexString(a));
                if (got >= 0) {
                    assertTrue(list.prefix(got).containsIpv4(a));
                }
            }
        }
    }

    @Test
    void longestPrefixAgreesWithLinearScanIpv6() {
        Random r = new Random(2);
        for (int round = 0; round < 20; round++) {
            List<Prefix> prefixes = new ArrayList<>();
            int n = 1 + r.nextInt(100);
            for (int i = 0; i < n; i++) {
                int len = r.nextInt(129);
                long high = 0x20010db800000000L | (r.nextInt(4) & 3L) << 16 | r.nextInt(3);
                long low = r.nextInt(3) == 0 ? r.nextLong() : r.nextInt(4);
                prefixes.add(new Prefix(6, high, low, len).network());
            }
            PrefixList list = PrefixList.of("t", prefixes);
            for (int i = 0; i < 5000; i++) {
                long high = 0x20010db800000000L | (r.nextInt(5) & 7L) << 16 | r.nextInt(3);
                long low = r.nextInt(2) == 0 ? r.nextLong() : r.nextInt(5);
                if (r.nextInt(10) == 0) {
                    high = r.nextLong();
                }
                int expected = list.longestLinear(6, high, low);
                int got = list.longest6(high, low);
                assertEquals(expected < 0 ? -1 : list.prefix(expected).length(), got < 0 ? -1 : list.prefix(got).length());
                if (got >= 0) {
                    assertTrue(list.prefix(got).containsIpv6(high, low));
                }
            }
        }
    }

    @Test
    void hundredThousandPrefixesLoadAndLookUp() {
        Random r = new Random(3);
        List<Prefix> prefixes = new ArrayList<>();
        for (int i = 0; i < 100_000; i++) {
            prefixes.add(new Prefix(4, 0, r.nextInt() & 0xffff_ffffL, 16 + r.nextInt(17)).network());
        }
        PrefixList list = PrefixList.of("big", prefixes);
        for (int i = 0; i < 1000; i++) {
            Prefix p = prefixes.get(r.nextInt(prefixes.size()));
            int got = list.longest4((int) p.low());
            assertTrue(got >= 0 && list.prefix(got).length() >= p.length(), "a listed network is found");
        }
        assertEquals(-1, list.longest6(0x20010db800000000L, 1));
    }
}
