package io.netbypass.cli;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Values an adversarial pass found accepted, misreported or ending in "internal error": each is
 * one line naming the option, exit status 1, and nothing done (no output before the error).
 */
class BadArgumentsTest {
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "offload vnic:x --duration -1|--duration -1.0: seconds, more than 0",
            "offload vnic:x --interval 0|--interval 0: out of range 10-3600000",
            "offload vnic:x --xdp-verdicts maybe --duration 1|--xdp-verdicts is on or off, not 'maybe'",
            "stat --count -1|--count -1: a number of prints",
            "stat --interval -5|--interval -5: milliseconds",
            "rx vnic:x --seconds 0|--seconds 0.0: seconds, more than 0",
            "gen vnic:x --seconds NaN -n 1|--seconds NaN: seconds, more than 0",
            "tune lo --irqs 5-2 --dry-run|--irqs '5-2' is not a CPU list (such as 0-3,6): 5-2 runs backwards",
            "tune lo --rps -1 --dry-run|--rps '-1' is not a CPU list (such as 0-3,6)",
            "tune lo --rps 0,,1 --dry-run|--rps '0,,1' is not a CPU list",
            "tune lo --rps 99999 --dry-run|--rps '99999' is not a CPU list",
            "tune lo --rfs -1 --dry-run|--rfs -1: flow entries",
            "demo --queues 99999|--queues 99999: at most 256 RX queues",
            "demo --seconds 0|--seconds 0: out of range 1-86400",
            "gen pcap:/proc/version -n 10|/proc/version is in /proc/, the kernel's",
            "gen pcap:/tmp/netbypass-unbounded-test.pcap|needs -n COUNT or --seconds S",
            "gen vnic:x -n -5|-n -5: a packet count",
            "gen vnic:x -n 1 -S 00:11:22:33:44:55:66|-S '00:11:22:33:44:55:66' is not a MAC address",
            "gen vnic:eth3--1/R -n 1|interface name 'eth3-' ends with '-'",
            "gen vnic:x -f bogus|-f bogus: tx or rx",
            "rss hash 1.2.3.4 5.6.7.8 1 2 --table 0|indirection table size 0 is not a power of two",
            "pcap dump /tmp|/tmp is a directory: a capture must be a regular file",
            "offload pcap:/dev/null --rules /dev/zero|/dev/zero is a FIFO, socket or device: a rules or list file must be a regular file",
            "offload pcap:x.pcap 0|pcap:x.pcap is read offline: QUEUE has no meaning there",
            "offload pcap:x.pcap --counters c --cpu 1|pcap:x.pcap is read offline: --counters, --cpu have no meaning there",
            "offload pcap:x.pcap --write-passed o.pcap --write-dropped ./o.pcap|name the same file",
            "offload vnic:x --cpu 4096 --duration 1|--cpu 4096: CPU 4096 is not online",
            "offload vnic:x-1/R --workers 2 --duration 1|vnic:x-1/R is not a device's every queue: 2 workers take vnic:x/R",
            "offload vnic:x/R --workers 2 --cpu 0 --duration 1|--cpu pins one worker; --workers 2 takes --cpus with a CPU each",
            "offload vnic:x/R --workers 2 --cpus 0 --duration 1|--workers 2 and --cpus 0 (1 CPU): a CPU per worker",
            "offload vnic:x/R --workers 0 --duration 1|--workers 0: out of range 1-1024",
            "offload vnic:x/R --cpus 0,,1 --duration 1|--cpus '0,,1' is not a CPU list",
            "offload vnic:x 4 --workers 2 --dry-run|offload IF QUEUE filters one queue with one worker",
            "ctl add-queue x|ctl add-queue takes a queue number",
            "ctl frobnicate|ctl: 'frobnicate' is not a command",
            "blocklist|which: blocklist list, blocklist add ADDRESS [DURATION] or blocklist del ADDRESS",
            "blocklist add|blocklist add takes an address and optionally a duration",
            "blocklist 7 frob|'frob' is not one of: blocklist list",
            "blocklist add 198.51.100.7 9d|a block lasts 1s to 7d, not '9d'",
            "blocklist del www.example.com|'www.example.com' is not an IPv4 or IPv6 address",
            "bench --workers 0|--workers 0: out of range 1-1024",
            "bench --workers two|--workers takes N or a list such as 1,2,4",
            "xdp-drop lo --seconds -5|--seconds -5.0: seconds, more than 0",
            "xdp-drop lo --seconds 1e12|--seconds 1.0E12: seconds, more than 0 and at most 31622400",
            "bench --seconds NaN|--seconds NaN: seconds",
            "bench --runs 100000|--runs 100000: out of range 1-1000",
            "stat --interval 99999999999|--interval 99999999999: milliseconds, at most 3600000",
            "stat --count 3|--count 3 needs --interval MS",
            "pcap convert x.pcap y.pcap --snaplen -1|--snaplen -1: out of range 1-262144",
            "tune va/../va --dry-run|'va/../va' is not an interface name",
            "tune lo --no-rps --rps 0 --dry-run|--no-rps and --rps contradict each other",
            "tune lo --keep --seconds 5 --dry-run|--keep and --seconds contradict each other",
            "restore /etc/passwd|'/etc/passwd' is not an interface name",
            "nic features lo gro on gro off|'gro' is given twice",
            "nic channels lo rx 1 rx 2|'rx' is given twice",
            "ntuple show --rules /dev/zero|/dev/zero is a FIFO, socket or device: a rules file must be a regular file",
            "demo --seconds 1 --rules /proc/self/status|/proc/self/status is a kernel file (/proc)",
            "pcap dump ''|an empty file name",
            // Thrown as IllegalStateException before user errors had their own type: now one line, not "internal error".
            "tune nosuchif0 --dry-run|no such network interface: nosuchif0",
            "xdp-drop nosuchif0 --seconds 1|no such network interface: nosuchif0",
            "nic show nosuchif0|no such network interface: nosuchif0",
            "nic channels nosuchif0|no such network interface: nosuchif0",
            // An adversarial pass on the change: an index past the words, a frame no TX ring can hold (it hung), -T overflowing.
            "nic ntuple nosuchif0 delete|delete LOCATION",
            "gen vnic:x@conf:tx-slots=4 -l 9216 -n 5|takes 5 slots of 2048 bytes, and its TX ring holds 3",
            "rx vnic:x --seconds 1 -T 9223372036854775807|-T is 1..86400000 ms",
    })
    void oneLineNamingTheOptionAndNothingElse(String command, String expected) {
        String[] args = command.split(" ");
        for (int i = 0; i < args.length; i++) {
            args[i] = args[i].equals("''") ? "" : args[i];
        }
        PcapCommandTest.Run r = PcapCommandTest.run(args);
        assertEquals(1, r.code(), command + ": " + r.out() + r.err());
        assertTrue(r.err().startsWith("netbypass: ") && r.err().contains(expected), command + ": " + r.err());
        assertEquals(1, r.err().lines().count(), command + ": " + r.err());
        assertFalse(r.err().contains("internal error"), r.err());
        assertEquals("", r.out(), command + ": nothing before the error");
    }

    @TempDir
    Path dir;

    @Test
    void pcapConvertNeverWritesOverItsInput() throws Exception {
        // 'pcap convert X X' used to destroy X (784 -> 100 bytes, "a fault occurred in an unsafe memory access").
        Path x = dir.resolve("x.pcap");
        assertEquals(0, PcapCommandTest.run("gen", "pcap:" + x, "-n", "10").code());
        byte[] before = Files.readAllBytes(x);
        Path link = Files.createLink(dir.resolve("link.pcap"), x);
        for (Path out : new Path[] {x, link}) {
            PcapCommandTest.Run r = PcapCommandTest.run("pcap", "convert", x.toString(), out.toString(), "--format", "pcapng");
            assertEquals(1, r.code(), r.out() + r.err());
            assertEquals("netbypass: " + out + " is an input of this command (the same file): write the output elsewhere\n", r.err());
        }
        assertArrayEquals(before, Files.readAllBytes(x));
    }
}
