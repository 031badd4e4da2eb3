package io.netbypass.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import io.netbypass.capture.CaptureFormatException;
import io.netbypass.capture.CaptureReader;
import io.netbypass.capture.CaptureRecord;
import io.netbypass.capture.Captures;
import io.netbypass.dissect.Dissector;
import io.netbypass.dissect.DumpField;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code netbypass pcap ...}: capture files. */
@Command(name = "pcap", description = "Read and write capture files (pcap, pcapng).",
        mixinStandardHelpOptions = true, subcommands = {PcapCommand.Dump.class, PcapConvertCommand.class})
final class PcapCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "dump", mixinStandardHelpOptions = true,
            description = {"Print one TSV row per packet with the columns (and formatting) of",
                    "tshark -T fields for: " + "frame, Ethernet/VLAN, IPv4/IPv6, TCP/UDP and checksum status.",
                    "Repeated fields (tunnels, ICMP-quoted headers) are comma-joined, outer first."})
    static final class Dump implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "FILE", description = "pcap or pcapng capture")
        Path file;

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            try (CaptureReader reader = Captures.open(file)) {
                out.println(DumpField.header());
                Dissector dissector = new Dissector();
                CaptureRecord record = new CaptureRecord();
                try {
                    while (reader.next(record)) {
                        out.println(dissector.dissect(record).toTsv());
                    }
                } catch (CaptureFormatException e) {
                    out.flush();
                    err.println("netbypass: " + file + ": " + e.getMessage());
                    return 1;
                }
                out.flush();
                if (reader.truncation() != null) {
                    err.println("netbypass: " + file + ": " + reader.truncation()
                            + "; the packets before it were printed");
                    return 1;
                }
                return 0;
            } catch (CaptureFormatException e) {
                out.flush();
                err.println("netbypass: " + file + ": " + e.getMessage());
                return 1;
            }
        }
    }
}
