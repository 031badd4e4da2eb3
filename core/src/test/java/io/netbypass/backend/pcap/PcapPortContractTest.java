package io.netbypass.backend.pcap;

import io.netbypass.backend.PortOptions;
import io.netbypass.backend.Ports;
import io.netbypass.capture.CaptureReader;
import io.netbypass.capture.CaptureRecord;
import io.netbypass.capture.Captures;
import io.netbypass.capture.PcapWriter;
import io.netbypass.packet.LinkType;
import io.netbypass.port.Port;
import io.netbypass.port.PortContract;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** The ring contract on {@code pcap:FILE}: frames written to a file first arrive on its RX ring; its TX ring writes a file. */
class PcapPortContractTest extends PortContract {
    @Override
    protected Backend backend() throws Exception {
        Path dir = Files.createTempDirectory("netbypass-pcap-contract");
        return new Backend() {
            private final Path in = dir.resolve("in.pcap");
            private final Path out = dir.resolve("out.pcap");

            @Override
            public Port openReceiver(List<byte[]> frames) throws Exception {
                try (PcapWriter w = new PcapWriter(in, LinkType.ETHERNET, 262144, true, ByteOrder.LITTLE_ENDIAN)) {
                    CaptureRecord r = new CaptureRecord();
                    for (byte[] f : frames) {
                        w.write(r.set(MemorySegment.ofArray(f), 0, f.length, f.length, 0, 0, LinkType.ETHERNET));
                    }
                }
                return Ports.open("pcap:" + in, PortOptions.of(Ports.Direction.RECEIVE));
            }

            @Override
            public Port openTransmitter() {
                return Ports.open("pcap:" + out, PortOptions.of(Ports.Direction.TRANSMIT));
            }

            @Override
            public List<byte[]> sent(Port transmitter, int count) throws Exception {
                transmitter.close(); // the file is complete when the port closes
                List<byte[]> frames = new ArrayList<>();
                try (CaptureReader r = Captures.open(out)) {
                    CaptureRecord rec = new CaptureRecord();
                    while (r.next(rec)) {
                        frames.add(rec.segment().asSlice(rec.dataOffset(), rec.capturedLength()).toArray(ValueLayout.JAVA_BYTE));
                    }
                }
                return frames;
            }

            @Override
            public void close() throws Exception {
                try (Stream<Path> s = Files.walk(dir)) {
                    s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        };
    }
}
