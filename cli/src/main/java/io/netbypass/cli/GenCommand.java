package io.netbypass.cli;

import io.netbypass.backend.Ports;
import io.netbypass.gen.Generator;
import io.netbypass.port.Port;
import io.netbypass.port.Ring;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.Callable;

import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

import io.netbypass.gen.Pacer;
import io.netbypass.util.UserException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code netbypass gen PORT}: pkt-gen {@code -f tx} on a netbypass port. */
@Command(name = "gen", mixinStandardHelpOptions = true,
        description = {"Send generated UDP/IPv4 packets (or a capture's packets with -P) on a port, like pkt-gen -f tx.",
                "PORT is e.g. vnic:eth3 (in-process NIC: counted as TX), vnic:eth3-2, or pcap:out.pcap (written to a file)."})
final class GenCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(paramLabel = "PORT", description = "Port to send on.")
    String port;

    @Option(names = "-f", paramLabel = "FUNCTION", description = "tx (default) or rx (same as 'netbypass rx').")
    String function = "tx";

    @Option(names = "--seconds", paramLabel = "S", description = "Stop after this many seconds (default: after -n packets, or never).")
    Double seconds;

    @Mixin
    TrafficOptions traffic;

    @Override
    public Integer call() throws Exception {
        Checks.seconds("--seconds", seconds);
        if (!function.equals("rx") && !function.equals("tx")) {
            throw new UserException("-f " + function + ": tx or rx");
        }
        if (function.equals("rx")) {
            RxCommand rx = new RxCommand();
            rx.spec = spec;
            rx.port = port;
            rx.seconds = seconds;
            rx.traffic = traffic;
            return rx.call();
        }
        if (!function.equals("tx")) {
            throw new UserException("-f must be tx or rx, not '" + function + "'");
        }
        if (traffic.count < 0) {
            throw new UserException("-n " + traffic.count + ": a packet count, 0 (until stopped) or more");
        }
        if (port.startsWith("pcap:") && traffic.count == 0 && seconds == null) {
            // A file has no end of its own: without a bound the run fills the disk.
            throw new UserException("gen " + port + " needs -n COUNT or --seconds S: a capture file has no end of its own");
        }
        Generator generator = new Generator(traffic.generatorOptions());
        var out = spec.commandLine().getOut();
        port = PortNames.resolve(port, out);
        // Ctrl-C or SIGTERM ends the run with its report, as pkt-gen's does.
        try (Signals.Stop stop = Signals.Stop.install(); Port p = Ports.open(port, Ports.Direction.TRANSMIT);
             Arena arena = Arena.ofConfined()) {
            if (p.txRings() == 0) {
                throw new UserException(port + " has no TX ring (an /R port receives only)");
            }
            int most = p.txRing(0).slots() - 1;
            int longest = (generator.maxLength() + p.txRing(0).bufferSize() - 1) / p.txRing(0).bufferSize();
            if (longest > most) {
                throw new UserException(port + ": a " + generator.maxLength() + "-byte frame takes " + longest + " slots of "
                        + p.txRing(0).bufferSize() + " bytes, and its TX ring holds " + most + " at a time (more tx-slots in @conf:)");
            }
            MemorySegment scratch = arena.allocate(generator.maxLength());
            IdleStrategy idle = new BackoffIdleStrategy();
            long start = System.nanoTime();
            long end = Checks.end(start, seconds);
            Pacer limiter = new Pacer(traffic.rate, start);
            PktGenReport report = new PktGenReport(out, start);
            long nextReport = start + traffic.reportMillis * 1_000_000L;
            long sent = 0;
            long bytes = 0;
            long events = 0;
            int ringIndex = 0;
            while ((traffic.count == 0 || sent < traffic.count) && !Thread.currentThread().isInterrupted() && !stop.requested()) {
                long now = System.nanoTime();
                if (now >= end) {
                    break;
                }
                if (now >= nextReport) {
                    report.interval(sent, bytes, events, now);
                    nextReport += traffic.reportMillis * 1_000_000L;
                }
                Ring ring = p.txRing(ringIndex);
                ringIndex = ringIndex + 1 == p.txRings() ? 0 : ringIndex + 1;
                int want = limiter.allowance(now, traffic.burst);
                if (traffic.count > 0) {
                    want = (int) Math.min(want, traffic.count - sent);
                }
                int n = 0;
                int slot = ring.cur();
                while (n < want) {
                    int fragments = (generator.peekLength() + ring.bufferSize() - 1) / ring.bufferSize();
                    if (spaceFrom(ring, slot) < fragments) {
                        break;
                    }
                    slot = put(generator, ring, slot, scratch);
                    bytes += lastLength;
                    n++;
                }
                if (n > 0) {
                    ring.advance(slot);
                    p.txSync();
                    sent += n;
                    events++;
                    limiter.sent(n);
                    idle.reset();
                } else {
                    p.txSync();
                    idle.idle(0);
                }
            }
            long now = System.nanoTime();
            report.summary("Sent", sent, bytes, events, (now - start) / 1e9);
        }
        return 0;
    }

    private int lastLength;

    /** Free slots from {@code slot} to tail. */
    private static int spaceFrom(Ring ring, int slot) {
        int n = ring.tail() - slot;
        return n < 0 ? n + ring.slots() : n;
    }

    /** Writes the next frame at {@code slot}, over several slots when it is longer than a buffer; returns the slot after. */
    private int put(Generator generator, Ring ring, int slot, MemorySegment scratch) {
        int size = ring.bufferSize();
        if (generator.peekLength() <= size) {
            int len = generator.next(ring.buffers(), ring.offset(slot));
            ring.setLength(slot, len);
            ring.setSlotFlags(slot, 0);
            lastLength = len;
            return ring.next(slot);
        }
        int len = generator.next(scratch, 0);
        lastLength = len;
        for (int at = 0; at < len; at += size) {
            int chunk = Math.min(size, len - at);
            MemorySegment.copy(scratch, at, ring.buffers(), ring.offset(slot), chunk);
            ring.setLength(slot, chunk);
            ring.setSlotFlags(slot, at + chunk < len ? Ring.MOREFRAG : 0);
            slot = ring.next(slot);
        }
        return slot;
    }
}
