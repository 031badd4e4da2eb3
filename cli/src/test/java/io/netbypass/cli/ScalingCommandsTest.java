package io.netbypass.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.netbypass.testing.TestData;

import static io.netbypass.cli.PcapCommandTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code rss hash}, {@code rss table}, {@code ntuple check/show} as an operator uses them. */
class ScalingCommandsTest {
    @TempDir
    Path dir;

    @Test
    void rssHashPrintsTheVerificationValuesIndexAndQueue() {
        PcapCommandTest.Run r = run("rss", "hash", "66.9.149.187", "161.142.100.80", "2794", "1766");
        assertEquals(0, r.code(), r.err());
        assertEquals("0x51ccc178\n", r.out());
        assertEquals("0x323e8fc2\n", run("rss", "hash", "66.9.149.187", "161.142.100.80").out());
        assertEquals("0x40207d3d\n", run("rss", "hash", "3ffe:2501:200:1fff::7", "3ffe:2501:200:3::1", "2794", "1766").out());
        assertEquals("0x51ccc178\nindex 120\nqueue 0\n",
                run("rss", "hash", "66.9.149.187", "161.142.100.80", "2794", "1766", "--table", "128", "--equal", "4").out());
        // 120 falls in queue 9's share (113-127) of the reference weight example
        assertEquals("0x51ccc178\nindex 120\nqueue 9\n", run("rss", "hash", "66.9.149.187", "161.142.100.80", "2794", "1766",
                "--table", "128", "--weight", "1", "1", "1", "1", "0", "1", "1", "1", "1", "1").out());
        assertEquals("0x51ccc178\nindex 120\nqueue 12\n", run("rss", "hash", "66.9.149.187", "161.142.100.80", "2794", "1766",
                "--table", "128", "--equal", "4", "--start", "12").out());
        PcapCommandTest.Run sym1 = run("rss", "hash", "--symmetric", "198.18.0.1", "198.18.0.2", "1000", "53");
        PcapCommandTest.Run sym2 = run("rss", "hash", "--symmetric", "198.18.0.2", "198.18.0.1", "53", "1000");
        assertEquals(sym1.out(), sym2.out());
        PcapCommandTest.Run x1 = run("rss", "hash", "--xfrm", "symmetric-xor", "198.18.0.1", "198.18.0.2", "1000", "53");
        assertEquals(x1.out(), run("rss", "hash", "--xfrm", "symmetric-xor", "198.18.0.2", "198.18.0.1", "53", "1000").out());
        assertEquals("0x51ccc178\n", run("rss", "hash", "--key",
                "6d:5a:56:da:25:5b:0e:c2:41:67:25:3d:43:a3:8f:b0:d0:ca:2b:cb:ae:7b:30:b4:77:cb:2d:a3:80:30:f2:0c:6a:42:b7:3b:be:ac:01:fa",
                "66.9.149.187", "161.142.100.80", "2794", "1766").out());
    }

    @Test
    void rssHashRefusesBadInputInOneLine() {
        for (String[] args : List.of(
                new String[] {"rss", "hash", "1.2.3.4", "::1"},
                new String[] {"rss", "hash", "1.2.3", "1.2.3.4"},
                new String[] {"rss", "hash", "1.2.3.4", "1.2.3.5", "70000", "1"},
                new String[] {"rss", "hash", "1.2.3.4", "1.2.3.5", "1"},
                new String[] {"rss", "hash", "--key", "zz", "1.2.3.4", "1.2.3.5"},
                new String[] {"rss", "hash", "--table", "100", "1.2.3.4", "1.2.3.5"},
                new String[] {"rss", "hash", "--equal", "4", "1.2.3.4", "1.2.3.5"})) {
            PcapCommandTest.Run r = run(args);
            assertEquals(1, r.code(), String.join(" ", args));
            assertTrue(r.err().startsWith("netbypass: ") && r.err().strip().lines().count() == 1, r.err());
        }
    }

    @Test
    void rssTablePrintsLikeEthtoolAndRefusesLikeIt() {
        PcapCommandTest.Run r = run("rss", "table", "--size", "16", "--start", "1", "equal", "3");
        assertEquals(0, r.code(), r.err());
        assertEquals("""
                RX flow hash indirection table for sim0 with 4 RX ring(s):
                    0:      1     2     3     1     2     3     1     2
                    8:      3     1     2     3     1     2     3     1
                """, r.out());
        PcapCommandTest.Run w = run("rss", "table", "--size", "128", "weight", "1", "1", "1", "1", "0", "1", "1", "1", "1", "1");
        List<String> rows = w.out().lines().toList();
        assertEquals(17, rows.size());
        assertEquals("   48:      3     3     3     3     3     3     3     3", rows.get(7));
        assertEquals("   56:      5     5     5     5     5     5     5     5", rows.get(8));
        assertEquals("  120:      9     9     9     9     9     9     9     9", rows.get(16));
        assertEquals("netbypass: At least one weight must be non-zero\n", run("rss", "table", "--size", "64", "weight", "0", "0").err());
        assertEquals("netbypass: Total weight exceeds the size of the indirection table\n",
                run("rss", "table", "--size", "64", "weight", "60", "5").err());
        assertEquals("netbypass: Equal and weight options are mutually exclusive\n",
                run("rss", "table", "--size", "64", "equal", "2", "weight", "1").err());
        assertEquals("netbypass: Start and default options are mutually exclusive\n",
                run("rss", "table", "--size", "64", "--start", "2", "default", "--rings", "4").err());
        PcapCommandTest.Run odd = run("rss", "table", "--size", "10", "equal", "2");
        assertEquals(1, odd.code());
        PcapCommandTest.Run tooFew = run("rss", "table", "--size", "64", "--rings", "4", "equal", "5");
        assertEquals(1, tooFew.code(), "the kernel refuses entries >= the ring count");
        assertEquals("RX flow hash indirection table for eth3 with 3 RX ring(s):\n    0:      0     1     2     0     1     2     0     1\n",
                run("rss", "table", "--size", "8", "--rings", "3", "--dev", "eth3", "default").out());
    }

    @Test
    void ntupleCheckNamesTheRuleAndQueueForAFlowAndCountsACapture() throws Exception {
        Path rules = dir.resolve("rules.txt");
        Files.writeString(rules, """
                # drop DNS replies we did not ask for, steer our resolver's traffic
                ethtool -N eth0 flow-type udp4 src-port 53 action -1
                flow-type udp4 dst-ip 198.18.0.2 dst-port 53 action 3
                flow-type tcp4 dst-port 80 action 2 loc 10
                """);
        PcapCommandTest.Run hit = run("ntuple", "check", "--rules", rules.toString(), "udp", "198.18.0.1", "198.18.0.2", "1000", "53");
        assertEquals(0, hit.code(), hit.err());
        assertTrue(hit.out().startsWith("rule: 1022 flow-type udp4 dst-ip 198.18.0.2 dst-port 53 action 3 loc 1022\n"), hit.out());
        assertTrue(hit.out().endsWith("result: queue 3\n"), hit.out());
        PcapCommandTest.Run drop = run("ntuple", "check", "--rules", rules.toString(), "udp", "198.18.0.1", "198.18.0.2", "53", "1000");
        assertTrue(drop.out().endsWith("result: drop\n"), drop.out());
        PcapCommandTest.Run miss = run("ntuple", "check", "--rules", rules.toString(), "--equal", "2", "--start", "2",
                "tcp", "66.9.149.187", "161.142.100.80", "2794", "1766");
        assertEquals("rule: none\nrss: hash 0x51ccc178 index 120 queue 2\nresult: queue 2\n", miss.out());

        Path http = TestData.root().resolve("pcap/dpkt/http.pcap");
        PcapCommandTest.Run cap = run("ntuple", "check", "--rules", rules.toString(), "--pcap", http.toString());
        assertEquals(0, cap.code(), cap.err());
        List<String> lines = cap.out().lines().toList();
        assertEquals("packets: 43", lines.get(0));
        long queued = lines.stream().filter(l -> l.startsWith("queue ")).mapToLong(l -> Long.parseLong(l.split(": ")[1])).sum();
        long dropped = Long.parseLong(lines.stream().filter(l -> l.startsWith("drop: ")).findFirst().orElseThrow().substring(6));
        assertEquals(43, queued + dropped, "every packet lands somewhere");
        assertTrue(lines.contains("rule 10: 19  (flow-type tcp4 dst-port 80 action 2 loc 10)"), cap.out());
        assertTrue(lines.contains("rule 1023: 1  (flow-type udp4 src-port 53 action -1 loc 1023)"), cap.out());
        assertEquals("drop: 1", lines.get(5));
    }

    @Test
    void ntupleShowPrintsEthtoolBlocksAndBadRulesNameTheLineAndWord() throws Exception {
        Path rules = dir.resolve("r.txt");
        Files.writeString(rules, "flow-type tcp4 src-ip 192.168.1.1 m 0.0.0.255 dst-port 80 action 3 loc 5\n");
        PcapCommandTest.Run show = run("ntuple", "show", "--rules", rules.toString(), "--rings", "8");
        assertEquals("""
                8 RX rings available
                Total 1 rules

                Filter: 5
                \tRule Type: TCP over IPv4
                \tSrc IP addr: 192.168.1.1 mask: 0.0.0.255
                \tDest IP addr: 0.0.0.0 mask: 255.255.255.255
                \tTOS: 0x0 mask: 0xff
                \tSrc port: 0 mask: 0xffff
                \tDest port: 80 mask: 0x0
                \tAction: Direct to queue 3

                """, show.out());
        Files.writeString(rules, "flow-type udp4 dst-port 53 action 1\nflow-type udp4 dst-port 99999 action 1\n");
        PcapCommandTest.Run bad = run("ntuple", "check", "--rules", rules.toString(), "udp", "1.1.1.1", "2.2.2.2", "1", "2");
        assertEquals(1, bad.code());
        assertEquals("netbypass: line 2: Invalid dst-port value[99999]\n", bad.err());
        Files.writeString(rules, "flow-type udp4 dst-port 53 action 7\n");
        assertEquals("netbypass: line 1: queue 7 is outside the device's RX rings (0..3)\n",
                run("ntuple", "show", "--rules", rules.toString()).err());
    }
}
