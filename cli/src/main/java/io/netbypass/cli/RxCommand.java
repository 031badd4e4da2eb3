package io.netbypass.cli;

import io.netbypass.backend.Ports;
import io.netbypass.port.Port;
import io.netbypass.port.Ring;
import io.netbypass.util.UserException;

import java.util.Locale;
import java.util.concurrent.Callable;

import org.agrona.concurrent.IdleStrategy;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code netbypass rx PORT}: pkt-gen {@code -f rx}, counting what arrives and dropping it. */
@Command(name = "rx", mixinStandardHelpOptions = true,
        description = {"Receive on a port, count and drop, printing pps like pkt-gen -f rx.",
                "pcap:FILE reads the capture to its end. A vnic port (vnic:eth3, vnic:eth3-4/R) has no real wire:",
                "its wire is fed in process with the traffic options (-s -d -z -Z -l -R -n --seed), and the NIC's",
                "RSS and ntuple rules decide what reaches the port. xdp:eth3-4/R takes queue 4 of a real interface",
                "with AF_XDP (--steer: only matching flows). Ctrl-C or SIGTERM stops it with the summary."})
final class RxCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(paramLabel = "PORT", description = "Port to receive on.")
    String port;

    @Option(names = "--seconds", paramLabel = "S", description = "Stop after this many seconds (default: when the traffic ends).")
    Double seconds;

    @Option(names = "--idle", paramLabel = "wait|busy|backoff",
            description = "When the rings are empty: sleep in poll(2) until the kernel delivers (wait: the default on"
                    + " xdp: and afpacket: ports, as pkt-gen does), spin (busy) or back off to short sleeps (backoff).")
    String idleMode;

    @Option(names = "--sched", paramLabel = "batch|normal",
            description = "Scheduling policy of the receiving thread: batch (SCHED_BATCH: no preemption on wakeup, so"
                    + " a NAPI thread on the same CPU delivers larger batches; give the port deep RX rings) or normal.")
    String sched = "normal";

    @Mixin
    TrafficOptions traffic;

    @Mixin
    SteerOptions steering = new SteerOptions();

    @Override
    public Integer call() throws Exception {
        var out = spec.commandLine().getOut();
        Checks.seconds("--seconds", seconds);
        port = PortNames.resolve(port, out);
        try (Signals.Stop stop = Signals.Stop.install();
             Port p = Ports.open(port, steering.options(Ports.Direction.RECEIVE).withWire(traffic.wire()))) {
            if (p.description() != null) {
                out.printf(Locale.ROOT, "[+] %s: %s%n", p.name(), p.description());
                out.flush();
            }
            if (p.rxRings() == 0) {
                throw new UserException(port + " has no RX ring (a /T port transmits only)");
            }
            IdleStrategy idle = OffloadCommand.idleStrategy(idleMode, p);
            OffloadCommand.scheduling(sched);
            long start = System.nanoTime();
            long end = Checks.end(start, seconds);
            PktGenReport report = new PktGenReport(out, start);
            long interval = traffic.reportMillis * 1_000_000L;
            long nextReport = start + interval;
            Counts counts = new Counts();
            while (true) {
                boolean got = p.pollRx(idle, 10_000_000L);
                long now = System.nanoTime();
                if (got) {
                    counts.take(p);
                }
                if (now >= nextReport) {
                    report.interval(counts.packets, counts.bytes, counts.events, now);
                    nextReport += interval;
                }
                if (now >= end || stop.requested()) {
                    break;
                }
                if (!got && p.hasEnd() && p.drained()) {
                    break;
                }
            }
            if (p.hasEnd()) {
                // Stopped early: the traffic stops, and what it already sent is counted, not left in the rings.
                p.stopReceiving();
                while (!p.drained()) {
                    if (p.pollRx(idle, 10_000_000L)) {
                        counts.take(p);
                    }
                }
            }
            report.summary("Received", counts.packets, counts.bytes, counts.events, (System.nanoTime() - start) / 1e9);
            OffloadCommand.portStatistics(out, p);
            if (p.deviceSummary() != null) {
                out.println(p.deviceSummary());
                out.flush();
            }
        }
        return 0;
    }

    /** What arrived: frames (a MOREFRAG chain is one), bytes, and the polls that found any. */
    private static final class Counts {
        long packets;
        long bytes;
        long events;

        void take(Port p) {
            events++;
            for (int r = 0; r < p.rxRings(); r++) {
                Ring ring = p.rxRing(r);
                int i = ring.head();
                int tail = ring.tail();
                while (i != tail) {
                    bytes += ring.length(i);
                    if ((ring.slotFlags(i) & Ring.MOREFRAG) == 0) {
                        packets++;
                    }
                    i = ring.next(i);
                }
                ring.advance(tail);
            }
        }
    }
}
