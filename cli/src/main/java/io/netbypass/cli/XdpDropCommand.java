package io.netbypass.cli;

import io.netbypass.filter.rules.Prefix;
import io.netbypass.filter.rules.PrefixList;
import io.netbypass.linux.Errno;
import io.netbypass.linux.LinuxException;
import io.netbypass.linux.ethtool.Ethtool;
import io.netbypass.linux.xdp.DriverDrop;
import io.netbypass.linux.xdp.PrefixHash;
import io.netbypass.linux.xdp.PrefixMap;
import io.netbypass.linux.xdp.XdpAttachment;
import io.netbypass.linux.xdp.XdpHolder;
import io.netbypass.packet.AddressText;
import io.netbypass.packet.FrameBuilder;
import io.netbypass.packet.IpProtocols;
import io.netbypass.util.UserException;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code netbypass xdp-drop IF}: XDP_DROP in the driver for one queue or all, counted: the path's ceiling. */
@Command(name = "xdp-drop", mixinStandardHelpOptions = true,
        description = {"Drop an interface's RX queue (or every queue) in the driver with an XDP program of our own,",
                "counting per CPU, and print the drop rate every second. The other queues stay with the kernel.",
                "It is the ceiling an AF_XDP receiver (netbypass rx xdp:IF-N/R) is measured against, and a",
                "last-resort drop. The program goes away when the command ends, or is killed.",
                "--src-list FILE: drop only packets whose source is in a prefix list (the rules' list format), on",
                "every queue, looked up in the kernel's LPM tries; it prints the load time and a lookup's cost."})
final class XdpDropCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(paramLabel = "IF", description = "Interface (in this network namespace).")
    String ifName;

    @Option(names = "--queue", paramLabel = "N", description = "Only RX queue N (default: every queue).")
    Integer queue;

    @Option(names = "--mode", paramLabel = "native|generic", description = "How to attach (default: native, else generic).")
    String mode;

    @Option(names = "--seconds", paramLabel = "S", description = "Stop after this many seconds (default: Ctrl-C).")
    Double seconds;

    @Option(names = "--src-list", paramLabel = "FILE",
            description = "Drop only packets from these sources (IPv4/IPv6 prefixes, one per line, # comments).")
    Path sourceList;

    /** The list in the kernel, in the structure chosen: LPM tries or hash maps (the other freed). */
    private record Sources(PrefixMap tries, PrefixHash hash) {
        void close() {
            if (tries != null) {
                tries.close();
            }
            if (hash != null) {
                hash.close();
            }
        }
    }

    /**
     * Loads --src-list into the kernel twice, as LPM tries and as hash maps probed per prefix
     * length, says what each cost (the load time, and a packet's cost from a listed and an unlisted
     * source: BPF_PROG_TEST_RUN over a million runs each) and keeps the one whose dearer case is
     * cheaper.
     */
    private Sources sources(PrintWriter out) throws Exception {
        PrefixList list = PrefixList.load(sourceList);
        if (list.size() == 0) {
            throw new UserException(sourceList + ": no prefixes in it: nothing to drop");
        }
        PrefixMap map;
        try {
            map = PrefixMap.load(list);
        } catch (LinuxException e) {
            throw new UserException("xdp-drop " + ifName + " --src-list " + sourceList + ": " + e.getMessage());
        }
        try {
            Prefix first = list.prefix(0);
            byte[] listed = frame(first, first.high(), first.low());
            byte[] unlisted = null;
            SplittableRandom r = new SplittableRandom(1);
            for (int i = 0; i < 1000 && unlisted == null; i++) {
                long high = first.version() == 6 ? r.nextLong() : 0;
                long low = first.version() == 6 ? r.nextLong() : r.nextInt() & 0xffff_ffffL;
                if (list.longestLinear(first.version(), high, low) < 0) {
                    unlisted = frame(first, high, low);
                }
            }
            int runs = 1_000_000;
            long hit = DriverDrop.listCostNanos(map, listed, runs);
            long miss = unlisted == null ? -1 : DriverDrop.listCostNanos(map, unlisted, runs);
            long bare = DriverDrop.bareCostNanos(listed, runs);
            out.printf(Locale.ROOT, "[+] %d prefixes (%d IPv4, %d IPv6) loaded into the kernel's LPM tries in %.0f ms; a packet"
                            + " costs %d ns from a listed source%s, against %d ns for a program that only drops (BPF_PROG_TEST_RUN,"
                            + " %d runs each)%n", list.size(), map.ipv4Entries(), map.ipv6Entries(), map.loadNanos() / 1e6, hit,
                    miss < 0 ? "" : ", " + miss + " ns from one not listed", bare, runs);
            out.flush();
            PrefixHash hash = PrefixHash.load(list);
            long hashHit;
            long hashMiss;
            try {
                hashHit = DriverDrop.hashCostNanos(hash, listed, runs);
                hashMiss = unlisted == null ? -1 : DriverDrop.hashCostNanos(hash, unlisted, runs);
            } catch (LinuxException | RuntimeException e) {
                hash.close();
                throw e;
            }
            int lengths = first.version() == 4 ? hash.ipv4Lengths().length : hash.ipv6Lengths().length;
            boolean hashWins = Math.max(hashHit, hashMiss) < Math.max(hit, miss);
            out.printf(Locale.ROOT, "[+] as hash maps probed once per prefix length (%d IPv%d length%s): loaded in %.0f ms; %d ns"
                            + " from a listed source%s; kept: the %s%n", lengths, first.version(), lengths == 1 ? "" : "s",
                    hash.loadNanos() / 1e6, hashHit,
                    hashMiss < 0 ? "" : ", " + hashMiss + " ns from one not listed", hashWins ? "hash maps" : "LPM tries");
            out.flush();
            if (hashWins) {
                map.close();
                return new Sources(null, hash);
            }
            hash.close();
            return new Sources(map, null);
        } catch (LinuxException | RuntimeException e) {
            map.close();
            throw e instanceof LinuxException l ? new UserException("xdp-drop --src-list: " + l.getMessage()) : e;
        }
    }

    /** A UDP frame from {@code high}/{@code low} (the prefix's version) to a documentation address. */
    private static byte[] frame(Prefix like, long high, long low) {
        FrameBuilder b = new FrameBuilder().protocol(IpProtocols.UDP).ports(1000, 53).payload(18);
        if (like.version() == 4) {
            int a = (int) low;
            b.addresses(new byte[] {(byte) (a >>> 24), (byte) (a >>> 16), (byte) (a >>> 8), (byte) a}, new byte[] {(byte) 198, 18, 0, 53});
        } else {
            byte[] src = new byte[16];
            for (int i = 0; i < 8; i++) {
                src[i] = (byte) (high >>> (56 - 8 * i));
                src[8 + i] = (byte) (low >>> (56 - 8 * i));
            }
            b.addresses(src, AddressText.parseIpv6("2001:db8::53"));
        }
        return b.build();
    }

    @Override
    public Integer call() throws Exception {
        var out = spec.commandLine().getOut();
        XdpAttachment.Mode m = mode == null ? null : switch (mode) {
            case "native" -> XdpAttachment.Mode.NATIVE;
            case "generic" -> XdpAttachment.Mode.GENERIC;
            default -> throw new UserException("--mode " + mode + ": native or generic");
        };
        Checks.seconds("--seconds", seconds);
        Checks.interfaceName(ifName);
        if (queue != null && queue < 0) {
            throw new UserException("--queue " + queue + ": a queue number is 0 or more");
        }
        if (queue != null) {
            long queues = Ethtool.rxQueues(ifName);
            if (queues > 0 && queue >= queues) {
                throw new UserException("--queue " + queue + ": " + ifName + " has RX queues 0-" + (queues - 1));
            }
        }
        if (sourceList != null && queue != null) {
            throw new UserException("--src-list drops listed sources on every queue; --queue is for dropping one queue whole");
        }
        Sources sources = sourceList == null ? null : sources(out);
        Signals.Stop stop = Signals.Stop.install();
        DriverDrop drop;
        try {
            drop = sources == null ? DriverDrop.attach(ifName, queue == null ? -1 : queue, m)
                    : sources.tries() != null ? DriverDrop.attachSourceList(ifName, sources.tries(), m)
                    : DriverDrop.attachSourceHash(ifName, sources.hash(), m);
        } catch (LinuxException e) {
            if (sources != null) {
                sources.close();
            }
            stop.close();
            String why = e.errno() == Errno.ENODEV ? "no such network interface: " + ifName : e.getMessage();
            if (e.errno() == Errno.EBUSY) {
                why += "; another XDP program is attached: " + XdpHolder.describeOrRemedy(ifName);
            }
            throw new UserException("xdp-drop " + ifName + ": " + why);
        }
        try (drop) {
            out.printf(Locale.ROOT, "[+] XDP_DROP on %s %s (XDP %s)%n", ifName, sources != null ? "every queue, sources in "
                    + sourceList : queue == null ? "every queue" : "queue " + queue, drop.mode().name().toLowerCase(Locale.ROOT));
            out.flush();
            long start = System.nanoTime();
            long end = Checks.end(start, seconds);
            long first = drop.dropped();
            PktGenReport report = new PktGenReport(out, start);
            long next = start + 1_000_000_000L;
            while (!stop.requested() && System.nanoTime() < end) {
                long wait = Math.min(next, end) - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(Math.min(50, Math.max(1, wait / 1_000_000L)));
                }
                long now = System.nanoTime();
                if (now >= next) {
                    report.interval(drop.dropped() - first, 0, 0, now); // pkt-gen's line; XDP counts no bytes
                    next += 1_000_000_000L;
                }
            }
            double s = (System.nanoTime() - start) / 1e9;
            long total = drop.dropped() - first;
            out.printf(Locale.ROOT, "Dropped %d packets in the driver in %.2f seconds (%s pps).%n", total, s,
                    PktGenReport.norm(total / s));
            out.flush();
        } finally {
            stop.close();
        }
        return 0;
    }
}
