package io.netbypass.filter.engine;

import io.netbypass.capture.CaptureReader;
import io.netbypass.capture.CaptureRecord;
import io.netbypass.capture.CaptureWriter;
import io.netbypass.capture.Captures;
import io.netbypass.capture.PcapWriter;
import io.netbypass.packet.IpProtocols;
import io.netbypass.packet.LinkType;
import io.netbypass.packet.PacketParser;
import io.netbypass.packet.ParsedPacket;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Path;

/**
 * {@code netbypass offload pcap:FILE}: runs a program over every packet of a capture, in file
 * order, with the capture's timestamps as the clock (so rate limits replay as they would have
 * acted live). Optionally writes the passed and the dropped packets (rate-limited ones count as
 * dropped) to pcap files.
 */
public final class OfflineFilter {
    public record Result(FilterCounters counters, String truncation) {
    }

    private OfflineFilter() {
    }

    /** Told each packet's verdict, in file order (packet 0 first). */
    public interface Listener {
        void verdict(long packet, int verdict);
    }

    public static Result run(Path capture, FilterProgram program, Path passedOut, Path droppedOut) throws IOException {
        return run(capture, program, passedOut, droppedOut, null);
    }

    public static Result run(Path capture, FilterProgram program, Path passedOut, Path droppedOut, Listener listener)
            throws IOException {
        FilterCounters c = new FilterCounters();
        ParsedPacket p = new ParsedPacket();
        CaptureRecord record = new CaptureRecord();
        LazyWriter passed = new LazyWriter(passedOut);
        LazyWriter dropped = new LazyWriter(droppedOut);
        try (CaptureReader reader = Captures.open(capture); passed; dropped) {
            long first = Long.MIN_VALUE;
            while (reader.next(record)) {
                if (first == Long.MIN_VALUE) {
                    first = record.timestampNanos();
                }
                if (PacketParser.parse(record.segment(), record.dataOffset(), record.capturedLength(), record.linkType(), p)
                        .malformed()) {
                    c.values[FilterCounters.MALFORMED]++;
                }
                // A record's original length is what was on the wire; a lying one (shorter than
                // captured, or past 2^31) is read as captured or as huge.
                int wireLength = record.originalLength() < 0 ? Integer.MAX_VALUE
                        : Math.max(record.originalLength(), record.capturedLength());
                c.values[FilterCounters.RECEIVED]++;
                c.values[FilterCounters.RECEIVED_BYTES] += wireLength;
                if (p.ipVersion() != 0 && p.ipProtocol() == IpProtocols.UDP) {
                    c.values[FilterCounters.UDP]++;
                }
                long now = record.timestampNanos() - first;
                if (program.blocks()) {
                    program.blocklist().refresh(now); // the capture's clock: a block takes effect at once
                }
                int verdict = program.decide(p, wireLength, now);
                if (listener != null) {
                    listener.verdict(c.values[FilterCounters.RECEIVED] - 1, verdict);
                }
                switch (verdict) {
                    case Verdict.PASS -> {
                        c.values[FilterCounters.PASSED]++;
                        passed.write(record);
                    }
                    case Verdict.TX -> c.values[FilterCounters.TRANSMITTED]++;
                    case Verdict.LIMITED -> {
                        c.values[FilterCounters.LIMITED]++;
                        dropped.write(record);
                    }
                    case Verdict.BLOCKED -> {
                        c.values[FilterCounters.BLOCKED]++;
                        dropped.write(record);
                    }
                    default -> {
                        c.values[FilterCounters.DROPPED]++;
                        dropped.write(record);
                    }
                }
            }
            passed.linkType = dropped.linkType = passed.linkType != 0 ? passed.linkType : dropped.linkType;
            return new Result(c, reader.truncation());
        }
    }

    /** A pcap file opened at the first packet (with its link type); an empty one at close when none came. */
    private static final class LazyWriter implements AutoCloseable {
        private final Path path;
        private CaptureWriter writer;
        int linkType;

        LazyWriter(Path path) {
            this.path = path;
        }

        void write(CaptureRecord r) throws IOException {
            if (path == null) {
                return;
            }
            if (writer == null) {
                linkType = r.linkType();
                writer = new PcapWriter(path, r.linkType(), 262144, true, ByteOrder.LITTLE_ENDIAN);
            }
            writer.write(r);
        }

        @Override
        public void close() throws IOException {
            if (path == null) {
                return;
            }
            if (writer == null) {
                writer = new PcapWriter(path, linkType != 0 ? linkType : LinkType.ETHERNET, 262144, true, ByteOrder.LITTLE_ENDIAN);
            }
            writer.close();
        }
    }
}
