package io.netbypass.testing;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.netbypass.dissect.DumpField;

/** Runs tshark with exactly the options the oracle TSVs in testdata/ were made with. */
public final class Tshark {
    private Tshark() {
    }

    /** Skips the test with a reason when tshark is absent; under CI (which installs it) fails instead. */
    public static void assumeAvailable() {
        Commands.assumeInstalled("tshark", "tshark");
    }

    public static List<String> fields(Path capture) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("tshark", "-r", capture.toString(), "-n",
                "-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE",
                "-o", "tcp.relative_sequence_numbers:FALSE", "-T", "fields", "-E", "header=y", "-E", "separator=/t",
                "-E", "occurrence=a", "-E", "aggregator=,"));
        for (DumpField f : DumpField.values()) {
            cmd.add("-e");
            cmd.add(f.tsharkName());
        }
        Commands.Result r = Commands.run(120, cmd.toArray(String[]::new));
        if (r.exitCode() != 0 && r.stdout().isEmpty()) {
            throw new IllegalStateException("tshark failed on " + capture + ": " + r.stderr().strip());
        }
        return r.stdout().lines().toList();
    }
}
