package io.netbypass.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** The shared test data beside the checkout ({@code ../shared/testdata}). */
public final class TestData {
    private TestData() {
    }

    public static Path root() {
        String env = System.getenv("NETBYPASS_ROOT");
        Path start = env != null ? Path.of(env) : Path.of("").toAbsolutePath();
        for (Path p = start.toAbsolutePath(); p != null; p = p.getParent()) {
            Path candidate = p.resolve("shared/testdata");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
            candidate = p.resolveSibling("shared/testdata");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("shared/testdata not found beside the checkout (looked upwards from " + start + ")");
    }

    /** Every capture under shared/testdata/pcap, sorted. */
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
