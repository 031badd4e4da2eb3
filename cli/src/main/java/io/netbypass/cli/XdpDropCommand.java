package io.netbypass.cli;

import io.netbypass.linux.Errno;
import io.netbypass.linux.LinuxException;
import io.netbypass.linux.ethtool.Ethtool;
import io.netbypass.linux.xdp.DriverDrop;
import io.netbypass.linux.xdp.XdpAttachment;
import io.netbypass.linux.xdp.XdpHolder;
import io.netbypass.util.UserException;

import java.util.Locale;
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
                "last-resort drop. The program goes away when the command ends, or is killed."})
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
        Signals.Stop stop = Signals.Stop.install();
        DriverDrop drop;
        try {
            drop = DriverDrop.attach(ifName, queue == null ? -1 : queue, m);
        } catch (LinuxException e) {
            stop.close();
            String why = e.errno() == Errno.ENODEV ? "no such network interface: " + ifName : e.getMessage();
            if (e.errno() == Errno.EBUSY) {
                why += "; another XDP program is attached: " + XdpHolder.describeOrRemedy(ifName);
            }
            throw new UserException("xdp-drop " + ifName + ": " + why);
        }
        try (drop) {
            out.printf(Locale.ROOT, "[+] XDP_DROP on %s %s (XDP %s)%n", ifName, queue == null ? "every queue" : "queue " + queue,
                    drop.mode().name().toLowerCase(Locale.ROOT));
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
