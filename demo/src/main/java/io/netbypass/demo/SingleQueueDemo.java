package io.netbypass.demo;

import io.netbypass.backend.vnic.HostStack;
import io.netbypass.backend.vnic.Vnic;
import io.netbypass.backend.vnic.VnicPort;
import io.netbypass.backend.vnic.VnicStats;
import io.netbypass.backend.vnic.WireFeeder;
import io.netbypass.filter.engine.FilterCounters;
import io.netbypass.filter.engine.FilterEngine;
import io.netbypass.filter.engine.FilterProgram;
import io.netbypass.filter.rules.RuleSyntaxException;
import io.netbypass.gen.AddressRange;
import io.netbypass.gen.FrameSource;
import io.netbypass.gen.Generator;
import io.netbypass.gen.GeneratorOptions;
import io.netbypass.packet.AddressText;
import io.netbypass.packet.Checksums;
import io.netbypass.packet.DnsQuery;
import io.netbypass.packet.FrameBuilder;
import io.netbypass.packet.IpProtocols;
import io.netbypass.port.BufferPool;
import io.netbypass.port.PortName;
import io.netbypass.scaling.ntuple.NtupleScript;
import io.netbypass.scaling.rss.IndirectionTable;
import io.netbypass.util.UserException;

import java.io.IOException;
import java.io.PrintWriter;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;

import org.agrona.concurrent.BackoffIdleStrategy;

/**
 * The seed's scenario in one process: a 10-queue software NIC under a random-source UDP flood
 * to port 53, mixed with valid DNS queries and ordinary traffic. RSS weights keep queue 4 empty,
 * an ntuple rule steers all UDP to port 53 there, and {@code vnic:eth3-4/R} takes that queue
 * from the host: the flood is dropped, valid queries are forwarded to the host, every other queue
 * keeps flowing to the host untouched. The filter is the real one ({@link FilterEngine}) running
 * {@value #DEFAULT_RULES} unless another rules file is given.
 */
public final class SingleQueueDemo {
    public static final int BYPASSED_QUEUE = 4;
    static final String DNS_SERVER = "198.18.0.53";

    /** What the demo measured; {@link #print} writes the summary. */
    /** The rules the demo runs unless told otherwise (shipped in the jar from examples/). */
    public static final String DEFAULT_RULES = "examples/dns-flood.rules";

    public record Result(int seconds, VnicStats nic, FilterProgram program, long portReceived, long dropped, long passed,
                         long floodSent, long validSent, long ordinarySent,
                         long validAtHost, long junkAtHost, long otherAtHost, long[] ppsLines) {
        public boolean allValidDelivered() { return validAtHost == validSent; }
        public boolean allFloodDropped() { return dropped == floodSent && junkAtHost == 0; }
    }

    private SingleQueueDemo() {
    }

    /** Runs the demo for {@code seconds}, printing the seed's {@code [+] UDP pps: N} once a second, then the summary. */
    public static Result run(int seconds, long rate, int queues, PrintWriter out) throws InterruptedException {
        try {
            return run(seconds, rate, queues, FilterProgram.shipped(DEFAULT_RULES), out);
        } catch (IOException | RuleSyntaxException e) {
            throw new IllegalStateException("the demo's rules do not load: " + e.getMessage(), e);
        }
    }

    /** Runs the demo with {@code program} as the filter on the bypassed queue. */
    public static Result run(int seconds, long rate, int queues, FilterProgram program, PrintWriter out)
            throws InterruptedException {
        if (queues <= BYPASSED_QUEUE) {
            throw new UserException("the demo bypasses queue " + BYPASSED_QUEUE + ": --queues must be at least "
                    + (BYPASSED_QUEUE + 1));
        }
        if (seconds < 1 || rate < 1) {
            throw new UserException("--seconds and --rate must be positive");
        }
        List<DemoHost> hosts = new CopyOnWriteArrayList<>();
        HostStack host = new HostStack(queues, () -> {
            DemoHost h = new DemoHost();
            hosts.add(h);
            return h;
        });
        try (Vnic nic = scenarioNic("eth3", queues, host, out)) {
            MixedSource traffic = traffic();
            WireFeeder feeder = new WireFeeder(nic, traffic, 64, rate, 0);
            Thread wire = new Thread(feeder, "wire");
            wire.setDaemon(true);

            long[] ppsLines = new long[seconds];
            long portReceived;
            FilterEngine engine;
            try (VnicPort port = nic.open(PortName.parse("vnic:eth3-" + BYPASSED_QUEUE + "/R", "vnic"))) {
                out.println("[+] opened " + port.name() + ": RX queue " + BYPASSED_QUEUE
                        + " bypasses the host; TX and the other " + (queues - 1) + " RX queues stay with it");
                engine = new FilterEngine(port, program);
                out.println("[+] filter: " + program.rules().source() + " (" + program.rules().size() + " rules, default "
                        + program.rules().defaultAction() + ")");
                out.printf(Locale.ROOT, "[+] wire: random-source UDP flood to %s:53, valid DNS queries, ordinary traffic at %d pps%n",
                        DNS_SERVER, rate);
                out.flush();
                BackoffIdleStrategy idle = new BackoffIdleStrategy();
                wire.start();
                long start = System.nanoTime();
                int second = 0;
                long udpBefore = 0;
                boolean stopping = false;
                while (true) {
                    long now = System.nanoTime();
                    if (engine.doWork(now - start) == 0) {
                        if (stopping && !wire.isAlive() && nic.stats().rxRing()[BYPASSED_QUEUE] == port.received()) {
                            break;
                        }
                        idle.idle(0);
                    } else {
                        idle.reset();
                    }
                    if (!stopping && now - start >= (second + 1) * 1_000_000_000L) {
                        long udp = engine.counters().udp();
                        ppsLines[second] = udp - udpBefore;
                        out.println("[+] UDP pps: " + (udp - udpBefore));
                        out.flush();
                        udpBefore = udp;
                        second++;
                        if (second == seconds) {
                            stopping = true;
                            feeder.stop();
                        }
                    }
                }
                wire.join();
                engine.doWork(System.nanoTime() - start); // forward the last released slots
                portReceived = port.received();
            }
            FilterCounters c = engine.counters();
            long validAtHost = 0;
            long junkAtHost = 0;
            long otherAtHost = 0;
            for (DemoHost h : hosts) {
                validAtHost += h.validQueries;
                junkAtHost += h.junkToDns;
                otherAtHost += h.other;
            }
            Result r = new Result(seconds, nic.stats(), program, portReceived, c.dropped() + c.limited(), c.passed(),
                    traffic.made(0), traffic.made(1),
                    traffic.made(2), validAtHost, junkAtHost, otherAtHost, ppsLines);
            print(r, out);
            return r;
        }
    }

    /**
     * The seed's NIC set-up: RSS weights that leave {@link #BYPASSED_QUEUE} empty, an ntuple rule
     * that steers all UDP to port 53 there, and flow control so counts are exact. Prints the
     * ethtool commands it stands for.
     */
    static Vnic scenarioNic(String name, int queues, HostStack host, PrintWriter out) {
        int slots = Vnic.DEFAULT_SLOTS;
        Vnic nic = new Vnic(name, queues, slots, new BufferPool((queues + 4) * slots + 4096, 2048), host);
        int[] weights = new int[queues];
        Arrays.fill(weights, 1);
        weights[BYPASSED_QUEUE] = 0;
        StringBuilder w = new StringBuilder();
        for (int x : weights) {
            w.append(' ').append(x);
        }
        nic.indirection(IndirectionTable.weight(128, weights, 0));
        out.println("[+] ethtool -X " + name + " weight" + w);
        nic.ntuple(NtupleScript.parse(List.of("flow-type udp4 dst-port 53 action " + BYPASSED_QUEUE)));
        out.println("[+] ethtool -N " + name + " flow-type udp4 dst-port 53 action " + BYPASSED_QUEUE);
        nic.pause(true);
        out.println("[+] ethtool -A " + name + " rx on (flow control: a full ring holds the wire back, nothing is dropped unseen)");
        return nic;
    }

    /** 12 flood frames, 1 valid query and 3 ordinary frames in every 16. */
    static MixedSource traffic() {
        GeneratorOptions base = GeneratorOptions.defaults()
                .withMacs(new byte[] {2, 0, 0, 0, 0, 1}, new byte[] {2, 0, 0, 0, 0, 2});
        Generator flood = new Generator(base
                .withSource(AddressRange.parse("198.18.0.1:1024-198.19.255.254:65535", 0), true)
                .withDestination(AddressRange.single(DNS_SERVER, 53), false)
                .withSize(60, 120).withSeed(11));
        Generator valid = new Generator(base.withTemplates(validQueries(512)));
        Generator ordinary = new Generator(base
                .withSource(AddressRange.parse("198.18.0.1:1024-198.19.255.254:65535", 0), true)
                .withDestination(AddressRange.parse("198.18.0.80:1024-198.18.0.80:65535", 0), true)
                .withSize(60, 600).withSeed(12));
        return new MixedSource(new FrameSource[] {flood, valid, ordinary},
                new int[] {0, 0, 0, 2, 0, 0, 0, 0, 2, 0, 0, 0, 1, 0, 2, 0});
    }

    /** Well-formed queries from 64 clients for 512 names. */
    static List<byte[]> validQueries(int n) {
        List<byte[]> frames = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            byte[] dns = DnsQuery.query(0x1000 + i, "host-" + i + ".example.com", i % 3 == 0 ? 28 : 1);
            byte[] frame = new FrameBuilder()
                    .addresses(AddressText.parseIpv4("198.18.7." + (1 + i % 64)), AddressText.parseIpv4(DNS_SERVER))
                    .protocol(IpProtocols.UDP).ports(20000 + i, 53).payload(dns.length).build();
            MemorySegment s = MemorySegment.ofArray(frame);
            MemorySegment.copy(MemorySegment.ofArray(dns), 0, s, 42, dns.length);
            Checksums.fillTransport(s, 14, IpProtocols.UDP, 34, 8 + dns.length, 6);
            frames.add(frame);
        }
        return frames;
    }

    public static void print(Result r, PrintWriter out) {
        VnicStats s = r.nic();
        out.printf(Locale.ROOT, "[+] summary after %d s: %d packets on the wire%n", r.seconds(), s.wirePackets());
        out.println("    queue     packets     to port     to host  ring drops");
        for (int q = 0; q < s.rxPackets().length; q++) {
            out.printf(Locale.ROOT, "    %5d %11d %11d %11d %11d%n", q, s.rxPackets()[q], s.rxRing()[q], s.rxHost()[q],
                    s.rxMissed()[q]);
        }
        out.printf(Locale.ROOT, "[+] port vnic:eth3-%d/R received %d: dropped %d, passed to host %d%n", BYPASSED_QUEUE,
                r.portReceived(), r.dropped(), r.passed());
        FilterProgram program = r.program();
        for (int i = 0; i <= program.rules().size(); i++) {
            out.printf(Locale.ROOT, "    rule %-16s %11d packets%s%n", program.name(i), program.packets(i),
                    program.limited(i) > 0 ? " (" + program.limited(i) + " over the rate)" : "");
        }
        out.printf(Locale.ROOT, "[+] valid queries delivered to the host: %d / %d sent%n", r.validAtHost(), r.validSent());
        out.printf(Locale.ROOT, "[+] flood packets dropped: %d / %d sent (%d reached the host's DNS socket)%n", r.dropped(),
                r.floodSent(), r.junkAtHost());
        out.printf(Locale.ROOT, "[+] ordinary traffic delivered to the host: %d / %d sent%n", r.otherAtHost(), r.ordinarySent());
        out.flush();
    }
}
