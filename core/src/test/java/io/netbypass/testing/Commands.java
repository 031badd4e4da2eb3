package io.netbypass.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;
import org.opentest4j.AssertionFailedError;

/** Runs external commands (ip, tshark, tcpdump) from tests with a time limit. */
public final class Commands {
    private Commands() {
    }

    public record Result(int exitCode, String stdout, String stderr) {
        public Result orFail(String what) {
            if (exitCode != 0) {
                throw new IllegalStateException(what + " failed (exit " + exitCode + "): " + stderr.strip());
            }
            return this;
        }
    }

    public static String which(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
            Path p = Path.of(dir, program);
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        for (String dir : List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin")) {
            Path p = Path.of(dir, program);
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        return null;
    }

    /** Skips the test when {@code program} is absent (naming the Debian package); under CI, which installs it, fails. */
    public static void assumeInstalled(String program, String debianPackage) {
        if (which(program) != null) {
            return;
        }
        String why = program + " is not installed (apt-get install " + debianPackage + ")";
        if (PrivilegedGuard.isCi()) {
            throw new AssertionFailedError(why + "; .ci/run installs it");
        }
        Assumptions.abort(why);
    }

    public static Result run(long timeoutSeconds, String... command) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(command));
        String resolved = which(cmd.get(0));
        if (resolved != null) {
            cmd.set(0, resolved);
        }
        Path out = Files.createTempFile("nb-cmd", ".out");
        Path err = Files.createTempFile("nb-cmd", ".err");
        try {
            Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                throw new IllegalStateException(String.join(" ", command) + " timed out after " + timeoutSeconds + " s");
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
