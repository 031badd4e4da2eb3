package io.netbypass.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;

import io.netbypass.capture.CaptureReader;
import io.netbypass.capture.CaptureRecord;
import io.netbypass.capture.CaptureWriter;
import io.netbypass.capture.Captures;
import io.netbypass.capture.PcapWriter;
import io.netbypass.capture.PcapngWriter;
import io.netbypass.packet.LinkType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code netbypass pcap convert IN OUT}: rewrites a capture as pcap or pcapng, in either byte order. */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = "Rewrite a capture as pcap or pcapng (any byte order, micro- or nanosecond timestamps).")
final class PcapConvertCommand implements Callable<Integer> {
    enum Format { pcap, pcapng }

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "IN")
    Path in;

    @Parameters(index = "1", paramLabel = "OUT")
    Path out;

    @Option(names = "--format", description = "pcap or pcapng (default: ${DEFAULT-VALUE})", defaultValue = "pcapng")
    Format format;

    @Option(names = "--byte-order", paramLabel = "le|be|native", defaultValue = "native",
            description = "byte order of the written file (default: ${DEFAULT-VALUE})")
    String byteOrder;

    @Option(names = "--nanos", description = "nanosecond timestamps (default: microseconds)")
    boolean nanos;

    @Option(names = "--snaplen", defaultValue = "262144", description = "snapshot length to record (default: ${DEFAULT-VALUE})")
    int snapLength;

    @Override
    public Integer call() throws IOException {
        Checks.range("--snaplen", snapLength, 1, 262_144);
        ByteOrder order = Captures.byteOrder(byteOrder);
        PrintWriter err = spec.commandLine().getErr();
        long packets = 0;
        try (CaptureReader reader = Captures.open(in)) {
            CaptureRecord record = new CaptureRecord();
            CaptureWriter writer = null;
            Map<Integer, Integer> interfaces = new HashMap<>();
            try {
                while (reader.next(record)) {
                    if (writer == null) {
                        writer = format == Format.pcap
                                ? new PcapWriter(out, record.linkType(), snapLength, nanos, order)
                                : new PcapngWriter(out, order);
                    }
                    if (writer instanceof PcapngWriter ng) {
                        // pcapng interfaces are numbered per section: map (input interface, link type) to ours.
                        int key = record.interfaceId() * 65536 + record.linkType();
                        Integer id = interfaces.get(key);
                        if (id == null) {
                            id = ng.addInterface(record.linkType(), snapLength, nanos, null);
                            interfaces.put(key, id);
                        }
                        CaptureRecord copy = new CaptureRecord().set(record.segment(), record.dataOffset(),
                                record.capturedLength(), record.originalLength(), record.timestampNanos(), id,
                                record.linkType());
                        writer.write(copy);
                    } else {
                        writer.write(record);
                    }
                    packets++;
                }
                if (writer == null) {
                    writer = format == Format.pcap ? new PcapWriter(out, LinkType.ETHERNET, snapLength, nanos, order)
                            : new PcapngWriter(out, order);
                }
            } finally {
                if (writer != null) {
                    writer.close();
                }
            }
            spec.commandLine().getOut().println(packets + " packets written to " + out + " (" + format + ", "
                    + (order == ByteOrder.BIG_ENDIAN ? "big" : "little") + "-endian, "
                    + (nanos ? "nanosecond" : "microsecond") + " timestamps)");
            if (reader.truncation() != null) {
                err.println("netbypass: " + in + ": " + reader.truncation() + "; the packets before it were written");
                return 1;
            }
        }
        return 0;
    }
}
