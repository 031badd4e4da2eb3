package io.netbypass.cli;

import io.netbypass.backend.Ports;
import io.netbypass.backend.pcap.PcapPort;
import io.netbypass.backend.vnic.VnicPort;
import io.netbypass.backend.vnic.Vnics;
import io.netbypass.gen.WireFeeder;
import io.netbypass.port.Port;
import io.netbypass.port.Ring;

import java.util.concurrent.Callable;

import org.agrona.concurrent.BackoffIdleStrategy;

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
        Thread feederThread = null;
        WireFeeder feeder = null;
        try (Signals.Stop stop = Signals.Stop.install(); Port p = Ports.open(port, steering.options(Ports.Direction.RECEIVE))) {
            if (p.description() != null) {
                out.printf(java.util.Locale.ROOT, "[+] %s: %s%n", p.name(), p.description());
                out.flush();
            }
            if (p.rxRings() == 0) {
                throw new IllegalArgumentException(port + " has no RX ring (a /T port transmits only)");
            }
            if (p instanceof VnicPort) {
                feeder = traffic.feeder(Vnics.get(p.name().device()));
                feederThread = new Thread(feeder, "wire");
                feederThread.setDaemon(true);
                feederThread.start();
            }
            org.agrona.concurrent.IdleStrategy idle = OffloadCommand.idleStrategy(idleMode, p);
            OffloadCommand.scheduling(sched);
            long start = System.nanoTime();
            long end = Checks.end(start, seconds);
            PktGenReport report = new PktGenReport(out, start);
            long interval = traffic.reportMillis * 1_000_000L;
            long nextReport = start + interval;
            long packets = 0;
            long bytes = 0;
            long events = 0;
            while (true) {
                boolean got = p.pollRx(idle, 10_000_000L);
                long now = System.nanoTime();
                if (got) {
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
                if (now >= nextReport) {
                    report.interval(packets, bytes, events, now);
                    nextReport += interval;
                }
                if (now >= end || stop.requested()) {
                    break;
                }
                if (!got) {
                    boolean pcapDone = p instanceof PcapPort pp && pp.endOfFile();
                    boolean wireDone = feederThread != null && !feederThread.isAlive();
                    if (pcapDone || wireDone) {
                        break;
                    }
                }
            }
            if (feeder != null) {
                feeder.stop();
                feederThread.join();
            }
            report.summary("Received", packets, bytes, events, (System.nanoTime() - start) / 1e9);
            if (!(p instanceof VnicPort)) {
                OffloadCommand.portStatistics(out, p);
            }
            if (p instanceof VnicPort vp) {
                var nic = Vnics.get(vp.name().device());
                var s = nic.stats();
                out.printf(java.util.Locale.ROOT, "vnic %s: %d frames on the wire, %d into this port's rings, %d to the host,"
                                + " %d dropped (ring full), %d dropped by ntuple rules%n", nic.name(), s.wirePackets(),
                        s.sum(s.rxRing()), s.sum(s.rxHost()), s.sum(s.rxMissed()), s.ntupleDrops());
                out.flush();
            }
        }
        return 0;
    }
}
