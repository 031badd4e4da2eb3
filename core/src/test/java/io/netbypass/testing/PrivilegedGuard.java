package io.netbypass.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

/** Skips (or under CI fails) privileged tests on an unprivileged machine; records what ran. */
public final class PrivilegedGuard implements BeforeEachCallback {
    @Override
    public void beforeEach(ExtensionContext context) throws IOException {
        String test = context.getRequiredTestClass().getName() + "#" + context.getDisplayName();
        String missing = missingPrivilege();
        if (missing == null) {
            record("RAN " + test);
            return;
        }
        record("SKIPPED " + test + ": " + missing);
        if (isCi()) {
            throw new AssertionFailedError("privileged test cannot run under CI: " + missing);
        }
        throw new TestAbortedException("privileged test skipped: " + missing + " (run as root; CI runs it)");
    }

    public static boolean isCi() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    /** Null when this process can create network namespaces and veth pairs, else why not. */
    public static String missingPrivilege() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    String[] ids = line.substring(4).trim().split("\\s+");
                    if (!ids[1].equals("0")) {
                        return "not running as root (effective uid " + ids[1] + ")";
                    }
                }
            }
        } catch (IOException e) {
            return "cannot read /proc/self/status (not Linux?)";
        }
        if (Commands.which("ip") == null) {
            return "the 'ip' command (iproute2) is not installed";
        }
        return null;
    }

    private static void record(String line) throws IOException {
        Path ledger = Path.of("target", "privileged-ledger.txt");
        Files.createDirectories(ledger.getParent());
        Files.writeString(ledger, line + System.lineSeparator(), StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }
}
