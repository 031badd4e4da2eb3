package io.netbypass.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * The project's test data ({@code testdata/} at the top of the repository: real captures, their
 * tshark oracles and the RSS vectors, with licences and provenance in its README). Found by
 * walking upwards from the working directory, so every module's tests find the same folder.
 */
public final class TestData {
    private TestData() {
    }

    public static Path root() {
        String env = System.getenv("NETBYPASS_ROOT");
        Path start = env != null ? Path.of(env) : Path.of("").toAbsolutePath();
        for (Path p = start.toAbsolutePath(); p != null; p = p.getParent()) {
            Path candidate = p.resolve("testdata");
            if (Files.isRegularFile(candidate.resolve("README.md")) && Files.isDirectory(candidate.resolve("pcap"))) {
                return candidate;
            }
        }
        throw new IllegalStateException("testdata/ not found in the repository (looked upwards from " + start + ")");
    }

    /** Every capture under testdata/pcap, sorted. */
    public static List<Path> captures() throws IOException {
        try (Stream<Path> s = Files.walk(root().resolve("pcap"))) {
            return s.filter(p -> p.toString().endsWith(".pcap") || p.toString().endsWith(".pcapng")).sorted().toList();
        }
    }

    /** The tshark oracle TSV for a capture: oracle-tshark/DIR_NAME.tsv. */
    public static Path oracleFor(Path capture) {
        String dir = capture.getParent().getFileName().toString();
        String name = capture.getFileName().toString().replaceFirst("\\.pcap(ng)?$", "");
        return root().resolve("pcap/oracle-tshark/" + dir + "_" + name + ".tsv");
    }
}
