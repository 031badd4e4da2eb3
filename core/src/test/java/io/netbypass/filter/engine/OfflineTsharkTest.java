package io.netbypass.filter.engine;

import io.netbypass.filter.engine.FilterProgram;
import io.netbypass.filter.engine.OfflineFilter;
import io.netbypass.filter.engine.Verdict;
import io.netbypass.testing.Commands;
import io.netbypass.testing.TestData;
import io.netbypass.testing.Tshark;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code netbypass offload pcap:FILE} on the real captures in testdata/ agrees, packet for packet, with
 * tshark display filters that say the same thing.
 */
class OfflineTsharkTest {
    /** A rule's tests, and the tshark display filter with the same meaning on these captures. */
    static final String[][] PAIRS = {
            {"udp", "udp && !icmp"},
            {"tcp", "tcp && !icmp"},
            {"not udp", "!(udp && !icmp)"},
            {"ip6", "ipv6"},
            {"ether type arp", "arp"},
            {"icmp type 8", "icmp.type == 8"},
            {"icmp type 0 code 0", "icmp.type == 0 && icmp.code == 0"},
            {"dst port 53", "(udp.dstport == 53 || tcp.dstport == 53) && !icmp"},
            {"port 80", "(tcp.port == 80 || udp.port == 80) && !icmp"},
            {"src port 1024-65535 tcp", "tcp.srcport >= 1024 && !icmp"},
            {"src net 192.168.0.0/16", "ip.src#1 == 192.168.0.0/16"},
            {"dst net 145.254.160.0/24", "ip.dst#1 == 145.254.160.0/24"},
            {"host 65.208.228.223", "ip.addr#1 == 65.208.228.223"},
            {"tcp flags S/SA", "tcp.flags.syn == 1 && tcp.flags.ack == 0"},
            {"tcp flags P/P", "tcp.flags.push == 1"},
            {"tcp flags F/F", "tcp.flags.fin == 1"},
            {"len >=1000", "frame.len >= 1000"},
            {"len <100", "frame.len < 100"},
            {"ttl <64", "ip.ttl#1 < 64 || ipv6.hlim#1 < 64"},
            {"vlan", "vlan || ieee8021ad"},
            {"vlan 200", "vlan.id#1 == 200 || ieee8021ad.id#1 == 200"},
            {"ether type 0x0800", "ip"},
            {"dns", "dns.flags.response == 0 && udp.dstport == 53 && dns.count.queries == 1 && dns.count.answers == 0"
                    + " && dns.count.auth_rr == 0 && dns.count.add_rr <= 1 && dns.flags.opcode == 0 && !icmp"},
            {"not dns udp dst port 53", "udp.dstport == 53 && !icmp && !(dns.flags.response == 0 && dns.count.queries == 1"
                    + " && dns.count.answers == 0 && dns.count.auth_rr == 0 && dns.count.add_rr <= 1 && dns.flags.opcode == 0)"},
    };

    @Test
    void offlineVerdictsMatchTsharkDisplayFilters() throws Exception {
        Tshark.assumeAvailable();
        List<String> failures = new ArrayList<>();
        int compared = 0;
        int nonEmpty = 0;
        record Job(Path capture, String[] pair) {
        }
        List<Job> jobs = new ArrayList<>();
        for (Path capture : TestData.captures()) {
            for (String[] pair : PAIRS) {
                jobs.add(new Job(capture, pair));
            }
        }
        // tshark starts slowly: run the comparisons a few at a time.
        List<String> results = jobs.parallelStream().map(job -> {
            try {
                return compare(job.capture(), job.pair());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }).toList();
        for (String r : results) {
            compared++;
            if (r.startsWith("!")) {
                failures.add(r.substring(1));
            } else if (!r.equals("empty")) {
                nonEmpty++;
            }
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
        assertTrue(nonEmpty > compared / 3, "the filters select something on most captures: " + nonEmpty + " of " + compared);
    }

    /** "!" and what differs; "empty" when both select nothing; "ok" otherwise. */
    private static String compare(Path capture, String[] pair) throws Exception {
        FilterProgram program = FilterProgram.parse("t.rules", "pass " + pair[0] + "\ndefault drop\n", null);
        TreeSet<Long> ours = new TreeSet<>();
        OfflineFilter.run(capture, program, null, null, (packet, verdict) -> {
            if (verdict == Verdict.PASS) {
                ours.add(packet + 1); // tshark numbers frames from 1
            }
        });
        Commands.Result r = Commands.run(120, "tshark", "-r", capture.toString(), "-n", "-Y", pair[1],
                "-T", "fields", "-e", "frame.number");
        if (r.exitCode() != 0) {
            return "!tshark -Y '" + pair[1] + "': " + r.stderr().strip();
        }
        TreeSet<Long> theirs = new TreeSet<>();
        r.stdout().lines().filter(l -> !l.isBlank()).forEach(l -> theirs.add(Long.parseLong(l.strip())));
        if (!ours.equals(theirs)) {
            TreeSet<Long> onlyOurs = new TreeSet<>(ours);
            onlyOurs.removeAll(theirs);
            TreeSet<Long> onlyTheirs = new TreeSet<>(theirs);
            onlyTheirs.removeAll(ours);
            return "!" + capture.getFileName() + " '" + pair[0] + "' vs '" + pair[1] + "': only netbypass "
                    + head(onlyOurs) + ", only tshark " + head(onlyTheirs);
        }
        return theirs.isEmpty() ? "empty" : "ok";
    }

    private static String head(TreeSet<Long> s) {
        return s.size() <= 8 ? s.toString() : s.stream().limit(8).toList() + "... (" + s.size() + ")";
    }
}
