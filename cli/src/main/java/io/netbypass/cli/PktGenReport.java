package io.netbypass.cli;

import java.io.PrintWriter;
import java.util.Locale;

/** pkt-gen's report lines: one per interval, and the totals at exit. */
final class PktGenReport {
    /** Preamble, start delimiter, inter-frame gap and CRC: what a frame costs on the wire beyond its bytes. */
    private static final int WIRE_OVERHEAD = 24;

    private final PrintWriter out;
    private long lastPackets;
    private long lastBytes;
    private long lastEvents;
    private long lastNanos;

    PktGenReport(PrintWriter out, long startNanos) {
        this.out = out;
        this.lastNanos = startNanos;
    }

    /** pkt-gen's norm(): three decimals and K/M/G. */
    static String norm(double v) {
        String[] units = {" ", " K", " M", " G", " T"};
        int u = 0;
        while (v >= 1000 && u < units.length - 1) {
            v /= 1000;
            u++;
        }
        return String.format(Locale.ROOT, "%.3f%s", v, units[u]);
    }

    /** {@code 1.234 Mpps (1.235 Mpkts 592.8 Mbps in 1000456 usec) 512.00 avg_batch}. */
    void interval(long packets, long bytes, long events, long now) {
        long dp = packets - lastPackets;
        long db = bytes - lastBytes;
        long de = events - lastEvents;
        double seconds = Math.max(1, now - lastNanos) / 1e9;
        out.printf(Locale.ROOT, "%spps (%spkts %sbps in %d usec) %.2f avg_batch%n", norm(dp / seconds), norm(dp),
                norm(db * 8 / seconds), (now - lastNanos) / 1000, de == 0 ? 0.0 : (double) dp / de);
        out.flush();
        lastPackets = packets;
        lastBytes = bytes;
        lastEvents = events;
        lastNanos = now;
    }

    /** {@code Sent N packets B bytes E events S bytes each in T seconds.} then the speed line. */
    void summary(String verb, long packets, long bytes, long events, double seconds) {
        long each = packets == 0 ? 0 : bytes / packets;
        out.printf(Locale.ROOT, "%s %d packets %d bytes %d events %d bytes each in %.2f seconds.%n", verb, packets, bytes,
                events, each, seconds);
        double s = Math.max(seconds, 1e-9);
        out.printf(Locale.ROOT, "Speed: %spps Bandwidth: %sbps (raw %sbps). Average batch: %.2f pkts%n", norm(packets / s),
                norm(bytes * 8 / s), norm((bytes + (double) WIRE_OVERHEAD * packets) * 8 / s),
                events == 0 ? 0.0 : (double) packets / events);
        out.flush();
    }
}
