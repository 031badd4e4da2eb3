package io.netbypass.filter.engine;

import io.netbypass.gen.AddressRange;
import io.netbypass.gen.Generator;
import io.netbypass.gen.GeneratorOptions;
import io.netbypass.packet.AddressText;
import io.netbypass.packet.Checksums;
import io.netbypass.packet.DnsQuery;
import io.netbypass.packet.FrameBuilder;
import io.netbypass.packet.IpProtocols;
import io.netbypass.packet.LinkType;
import io.netbypass.packet.PacketParser;
import io.netbypass.packet.ParsedPacket;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a rule set's decisions over made-up traffic before a worker takes a queue, so that the
 * JVM has compiled the parser and the classifier when the first real packet arrives. A cold
 * worker runs them interpreted for a few hundred milliseconds; taking a queue under a flood in
 * that state, it fell behind and the kernel dropped tens of thousands of packets (valid ones
 * among them) before its rings. The traffic mixes what a flood and its victims look like:
 * random-source UDP to port 53 without DNS in it, well-formed queries, and other UDP and TCP. The
 * program's own counters and rate limiters are untouched: decisions run on a copy.
 */
public final class WarmUp {
    private static final int FRAMES = 4096;
    private static final int SLOT = 2048;

    private WarmUp() {
    }

    /** Decides made-up packets with {@code program}'s rules for about {@code budgetNanos}; returns how many. */
    public static long run(FilterProgram program, long budgetNanos) {
        FilterProgram scratch = program.copy();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment frames = arena.allocate((long) FRAMES * SLOT, 64);
            int[] lengths = new int[FRAMES];
            fill(frames, lengths);
            ParsedPacket parsed = new ParsedPacket();
            long start = System.nanoTime();
            long end = start + budgetNanos;
            long decided = 0;
            long now = start;
            while (now < end) {
                for (int i = 0; i < FRAMES; i++) {
                    long at = (long) i * SLOT;
                    PacketParser.parse(frames, at, lengths[i], LinkType.ETHERNET, parsed);
                    scratch.decide(parsed, lengths[i], now);
                }
                decided += FRAMES;
                now = System.nanoTime();
            }
            return decided;
        }
    }

    /** 12 flood frames, 2 queries and 2 other frames in every 16. */
    private static void fill(MemorySegment frames, int[] lengths) {
        byte[] a = {2, 0, 0, 0, 0, 1};
        byte[] b = {2, 0, 0, 0, 0, 2};
        GeneratorOptions base = GeneratorOptions.defaults().withMacs(a, b);
        Generator flood = new Generator(base.withSource(AddressRange.parse("198.18.0.1:1024-198.19.255.254:65535", 0), true)
                .withDestination(AddressRange.single("198.18.0.53", 53), false).withSize(60, 200).withSeed(1));
        Generator other = new Generator(base.withSource(AddressRange.parse("198.18.0.1:1024-198.19.255.254:65535", 0), true)
                .withDestination(AddressRange.parse("198.18.0.80:1-198.18.0.80:65535", 0), true).withSize(60, 1500).withSeed(2));
        List<byte[]> queries = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            byte[] dns = DnsQuery.query(i, "host-" + i + (i % 2 == 0 ? ".example.com" : ".example.org"), i % 3 == 0 ? 28 : 1);
            byte[] frame = new FrameBuilder().macs(a, b)
                    .addresses(AddressText.parseIpv4("198.18.7." + (1 + i)), AddressText.parseIpv4("198.18.0.53"))
                    .protocol(IpProtocols.UDP).ports(20000 + i, 53).payload(dns.length).build();
            MemorySegment s = MemorySegment.ofArray(frame);
            MemorySegment.copy(MemorySegment.ofArray(dns), 0, s, 42, dns.length);
            Checksums.fillTransport(s, 14, IpProtocols.UDP, 34, 8 + dns.length, 6);
            queries.add(frame);
        }
        Generator tcp = new Generator(base.withTemplates(List.of(new FrameBuilder().macs(a, b)
                .addresses(AddressText.parseIpv4("198.18.1.1"), AddressText.parseIpv4("198.18.0.80"))
                .protocol(IpProtocols.TCP).ports(40000, 443).payload(100).build())));
        for (int i = 0; i < lengths.length; i++) {
            long at = (long) i * SLOT;
            int kind = i % 16;
            if (kind < 12) {
                lengths[i] = flood.next(frames, at);
            } else if (kind < 14) {
                byte[] q = queries.get(i % queries.size());
                MemorySegment.copy(MemorySegment.ofArray(q), 0, frames, at, q.length);
                lengths[i] = q.length;
            } else if (kind == 14) {
                lengths[i] = other.next(frames, at);
            } else {
                lengths[i] = tcp.next(frames, at);
            }
        }
    }
}
