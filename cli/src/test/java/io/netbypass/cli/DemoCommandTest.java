package io.netbypass.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/** {@code netbypass demo --seconds 5}: the README's first command, its output checked number by number. */
class DemoCommandTest {
    private static long[] numbers(String out, String regex) {
        Matcher m = Pattern.compile(regex, Pattern.MULTILINE).matcher(out);
        assertTrue(m.find(), "no line matching " + regex + " in:\n" + out);
        long[] n = new long[m.groupCount()];
        for (int i = 0; i < n.length; i++) {
            n[i] = Long.parseLong(m.group(i + 1));
        }
        return n;
    }

    @Test
    void fiveSecondsFiveRateLinesAndAnExactSummary() {
        PcapCommandTest.Run r = PcapCommandTest.run("demo", "--seconds", "5");
        assertEquals(0, r.code(), r.err() + r.out());
        assertEquals("", r.err());
        List<String> pps = r.out().lines().filter(l -> l.startsWith("[+] UDP pps: ")).toList();
        assertEquals(5, pps.size(), r.out());
        for (String line : pps) {
            assertTrue(line.matches("\\[\\+] UDP pps: [1-9][0-9]*"), line);
        }
        long[] valid = numbers(r.out(), "^\\[\\+] valid queries delivered to the host: (\\d+) / (\\d+) sent$");
        assertTrue(valid[1] > 1_000, "valid queries sent (a busy machine sends fewer): " + valid[1]);
        assertEquals(valid[1], valid[0], "every valid query reached the host");
        long[] flood = numbers(r.out(), "^\\[\\+] flood packets dropped: (\\d+) / (\\d+) sent \\((\\d+) reached the host's DNS socket\\)$");
        assertTrue(flood[1] > 50_000, "flood sent (a busy machine sends fewer): " + flood[1]);
        assertEquals(flood[1], flood[0], "every flood packet was dropped");
        assertEquals(0, flood[2]);
        long[] ordinary = numbers(r.out(), "^\\[\\+] ordinary traffic delivered to the host: (\\d+) / (\\d+) sent$");
        assertEquals(ordinary[1], ordinary[0]);
        long[] port = numbers(r.out(), "^\\[\\+] port vnic:eth3-4/R received (\\d+): dropped (\\d+), passed to host (\\d+)$");
        assertEquals(port[0], port[1] + port[2]);
        assertEquals(valid[1], port[2]);
        assertEquals(valid[1] + flood[1], port[0], "queue 4 got exactly the UDP/53 traffic");

        long wire = numbers(r.out(), "^\\[\\+] summary after 5 s: (\\d+) packets on the wire$")[0];
        assertEquals(valid[1] + flood[1] + ordinary[1], wire);
        Matcher rows = Pattern.compile("^ +(\\d+) +(\\d+) +(\\d+) +(\\d+) +(\\d+)$", Pattern.MULTILINE).matcher(r.out());
        long sum = 0;
        int queues = 0;
        while (rows.find()) {
            int q = Integer.parseInt(rows.group(1));
            long packets = Long.parseLong(rows.group(2));
            long toPort = Long.parseLong(rows.group(3));
            long toHost = Long.parseLong(rows.group(4));
            long drops = Long.parseLong(rows.group(5));
            assertEquals(packets, toPort + toHost + drops, "queue " + q);
            assertEquals(0, drops, "flow control: no ring drops");
            if (q == 4) {
                assertEquals(port[0], toPort);
                assertEquals(0, toHost);
            } else {
                assertEquals(0, toPort);
                assertTrue(toHost > 0, "queue " + q + " still flows to the host");
            }
            sum += packets;
            queues++;
        }
        assertEquals(10, queues);
        assertEquals(wire, sum, "wire = sum over queues");
    }

    @Test
    void badOptionsGetOneLine() {
        PcapCommandTest.Run r = PcapCommandTest.run("demo", "--queues", "3", "--seconds", "1");
        assertEquals(1, r.code());
        assertEquals("netbypass: the demo bypasses queue 4: --queues must be at least 5\n", r.err());
    }
}
