package io.netbypass.cli;

import io.netbypass.backend.WireTraffic;
import io.netbypass.capture.CaptureReader;
import io.netbypass.capture.CaptureRecord;
import io.netbypass.capture.Captures;
import io.netbypass.gen.AddressRange;
import io.netbypass.gen.Generator;
import io.netbypass.gen.GeneratorOptions;
import io.netbypass.port.BufferPool;
import io.netbypass.port.Ring;
import io.netbypass.scaling.ntuple.EthtoolValues;
import io.netbypass.util.UserException;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import picocli.CommandLine.Option;

/** pkt-gen's traffic options, shared by {@code gen} and {@code rx} (which feeds a vnic's wire). */
final class TrafficOptions {
    @Option(names = "-n", paramLabel = "COUNT", description = "Packets to send, 0 = until stopped (default ${DEFAULT-VALUE}).")
    long count;

    @Option(names = "-l", paramLabel = "SIZE", description = "Frame size without CRC (default 60); give it twice for a random size in a range.")
    List<Integer> sizes = new ArrayList<>();

    @Option(names = "-b", paramLabel = "BURST", description = "Packets per batch (default ${DEFAULT-VALUE}).")
    int burst = 512;

    @Option(names = "-s", paramLabel = "IP[:PORT[-IP[:PORT]]]", description = "Source address and port range (default 10.0.0.1:1234).")
    String source = "10.0.0.1:1234";

    @Option(names = "-d", paramLabel = "IP[:PORT[-IP[:PORT]]]", description = "Destination address and port range (default 10.1.0.1:4321).")
    String destination = "10.1.0.1:4321";

    @Option(names = "-S", paramLabel = "MAC", description = "Source MAC (default 00:00:00:00:00:00).")
    String sourceMac = "00:00:00:00:00:00";

    @Option(names = "-D", paramLabel = "MAC", description = "Destination MAC (default ff:ff:ff:ff:ff:ff).")
    String destinationMac = "ff:ff:ff:ff:ff:ff";

    @Option(names = "-z", description = "Random source address and port within the -s range.")
    boolean randomSource;

    @Option(names = "-Z", description = "Random destination address and port within the -d range.")
    boolean randomDestination;

    @Option(names = "-R", paramLabel = "PPS", description = "Rate in packets per second, 0 = as fast as possible (default ${DEFAULT-VALUE}).")
    long rate;

    @Option(names = "-P", paramLabel = "PCAP", description = "Send the packets of this capture (pcap or pcapng), unchanged, in order.")
    Path template;

    @Option(names = "-T", paramLabel = "MS", description = "Report interval in milliseconds (default ${DEFAULT-VALUE}).")
    long reportMillis = 1000;

    @Option(names = "--seed", paramLabel = "N", description = "Seed of the random modes (default: from the clock); the same seed repeats the same packets.")
    Long seed;

    /** A template frame must fit a chain of slots. */
    static final int MAX_TEMPLATE = Ring.MAX_FRAGMENTS * BufferPool.DEFAULT_BUFFER_SIZE;

    /**
     * These options as the traffic of a wire that a port's device has not got (a vnic's): the
     * backend of a real device ignores them.
     */
    WireTraffic wire() {
        return new WireTraffic(() -> new Generator(generatorOptions()), burst, rate, count);
    }

    GeneratorOptions generatorOptions() throws IOException {
        if (burst < 1 || burst > 65536) {
            throw new UserException("-b must be 1..65536, not " + burst);
        }
        if (count < 0 || rate < 0 || reportMillis < 1 || reportMillis > 86_400_000L) {
            throw new UserException("-n and -R must not be negative, -T is 1..86400000 ms");
        }
        GeneratorOptions o = GeneratorOptions.defaults()
                .withSource(AddressRange.parse(source, 1234), randomSource)
                .withDestination(AddressRange.parse(destination, 4321), randomDestination)
                .withMacs(mac(sourceMac, "-S"), mac(destinationMac, "-D"))
                .withSeed(seed != null ? seed : System.nanoTime());
        if (sizes.size() > 2) {
            throw new UserException("-l takes one size, or two for a range");
        }
        if (!sizes.isEmpty()) {
            int a = sizes.get(0);
            int b = sizes.size() == 2 ? sizes.get(1) : a;
            o = o.withSize(Math.min(a, b), Math.max(a, b));
        }
        if (template != null) {
            o = o.withTemplates(readTemplates(template));
        }
        return o;
    }

    private static byte[] mac(String text, String option) {
        // Exactly six groups (ethtool's own parser ignores what follows a sixth: not here).
        if (!text.matches("[0-9A-Fa-f]{1,2}(:[0-9A-Fa-f]{1,2}){5}")) {
            throw new UserException(option + " '" + text + "' is not a MAC address (xx:xx:xx:xx:xx:xx)");
        }
        try {
            return EthtoolValues.mac(text);
        } catch (NumberFormatException e) {
            throw new UserException(option + " '" + text + "' is not a MAC address (xx:xx:xx:xx:xx:xx)");
        }
    }

    static List<byte[]> readTemplates(Path path) throws IOException {
        List<byte[]> frames = new ArrayList<>();
        try (CaptureReader reader = Captures.open(path)) {
            CaptureRecord r = new CaptureRecord();
            while (reader.next(r)) {
                if (r.capturedLength() > MAX_TEMPLATE) {
                    throw new UserException(path + ": packet " + (frames.size() + 1) + " has "
                            + r.capturedLength() + " bytes, more than a chain of " + Ring.MAX_FRAGMENTS
                            + " slots holds (" + MAX_TEMPLATE + ")");
                }
                frames.add(r.copyData());
            }
        }
        if (frames.isEmpty()) {
            throw new UserException(path + ": no packets to use as templates");
        }
        return frames;
    }
}
