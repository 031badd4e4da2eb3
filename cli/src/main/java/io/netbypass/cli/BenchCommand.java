package io.netbypass.cli;

import io.netbypass.perf.RxDropBench;
import io.netbypass.util.UserException;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code netbypass bench}: packets per second per core through the software NIC, against a copy-only baseline. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"In-process throughput on one core: wire -> vnic -> one bypassed RX queue -> rxdrop.",
                "copy: baseline, each frame copied into a ring buffer and dropped (no NIC logic).",
                "rxdrop: one-queue vnic, RSS and ntuple off, vnic:X-0/R.",
                "classified: 10-queue vnic, 16 ntuple rules and Toeplitz RSS on every frame, vnic:X-4/R.",
                "filter_10, filter_1000, filter_100k: rxdrop's port running netbypass offload's filter with 10 rules,",
                "1,000 rules (990 /24 blocks, then the 10) and a 100,000-prefix list (then the 10); half the frames",
                "are dropped, half passed to the host.",
                "Prints Mpps, the ratio to the baseline, and bytes allocated per packet.",
                "--workers N runs every case on 1, 2, 4 ... N threads at once, a queue each (one engine for the filter",
                "cases), a table per count, then how each case scaled."})
final class BenchCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--seconds", paramLabel = "S", description = "Measured time per case (default ${DEFAULT-VALUE}).")
    double seconds = 3;

    @Option(names = "--warmup", paramLabel = "S", description = "Warm-up time per case (default ${DEFAULT-VALUE}).")
    double warmup = 2;

    @Option(names = "--runs", paramLabel = "N", description = "Measurements per case; the best and the median are printed (default ${DEFAULT-VALUE}).")
    int runs = 3;

    @Option(names = "--case", paramLabel = "CASE", split = ",",
            description = "Cases to run, in order: ${COMPLETION-CANDIDATES} (default: all). The ratio column needs copy.")
    RxDropBench.Case[] cases = RxDropBench.Case.values();

    @Option(names = "--workers", paramLabel = "N|LIST",
            description = "Threads, each with a queue of its own: N runs 1, 2, 4 ... N; a LIST (1,2,3) runs those (default 1).")
    String workers = "1";

    /** The worker counts of --workers: N as 1, 2, 4 ... N; a list as given. */
    static List<Integer> workerCounts(String text) {
        List<Integer> counts = new ArrayList<>();
        for (String part : text.split(",", -1)) {
            int n;
            try {
                n = Integer.parseInt(part.strip());
            } catch (NumberFormatException e) {
                throw new UserException("--workers takes N or a list such as 1,2,4, not '" + text + "'");
            }
            Checks.range("--workers", n, 1, 1024);
            counts.add(n);
        }
        if (counts.size() == 1) {
            int n = counts.getFirst();
            counts.clear();
            for (int c = 1; c < n; c *= 2) {
                counts.add(c);
            }
            counts.add(n);
        }
        return counts;
    }

    @Override
    public Integer call() {
        Checks.seconds("--seconds", seconds);
        if (!(warmup >= 0 && warmup <= 3600)) {
            throw new UserException("--warmup " + warmup + ": seconds, 0 to 3600");
        }
        Checks.range("--runs", runs, 1, 1000);
        if (seconds < 0.01) {
            throw new UserException("--seconds " + seconds + ": at least 0.01 for a measurement that means something");
        }
        List<Integer> counts = workerCounts(workers);
        var out = spec.commandLine().getOut();
        Map<RxDropBench.Case, Map<Integer, Double>> medians = new LinkedHashMap<>();
        for (int n : counts) {
            out.printf(Locale.ROOT, "netbypass bench: %d thread%s%s, 60-byte frames, %d x %.1f s per case after %.1f s warm-up%n", n,
                    n == 1 ? "" : "s", n == 1 ? "" : " (a queue each)", runs, seconds, warmup);
            out.println("case          Mpps(best)  Mpps(median)  vs copy  vs rxdrop  B/packet  lost");
            double baseline = 0;
            double rxdrop = 0;
            for (RxDropBench.Case c : cases) {
                double[] mpps = new double[runs];
                double worstAlloc = 0;
                long lost = 0;
                for (int r = 0; r < runs; r++) {
                    RxDropBench.Result res = RxDropBench.run(c, r == 0 ? (long) (warmup * 1e9) : 200_000_000L,
                            (long) (seconds * 1e9), n);
                    mpps[r] = res.mpps();
                    worstAlloc = Math.max(worstAlloc, res.bytesPerPacket());
                    lost += c == RxDropBench.Case.COPY ? 0 : res.wireDrops();
                }
                Arrays.sort(mpps);
                double best = mpps[runs - 1];
                double median = mpps[runs / 2];
                medians.computeIfAbsent(c, k -> new LinkedHashMap<>()).put(n, median);
                if (c == RxDropBench.Case.COPY) {
                    baseline = median;
                }
                if (c == RxDropBench.Case.RXDROP) {
                    rxdrop = median;
                }
                String ratio = baseline > 0 ? String.format(Locale.ROOT, "%8.2fx", median / baseline) : "       -";
                String ratio2 = rxdrop > 0 ? String.format(Locale.ROOT, "%10.2fx", median / rxdrop) : "         -";
                out.printf(Locale.ROOT, "%-12s %11.2f %13.2f %s %s %9.4f  %d%n", c.name().toLowerCase(Locale.ROOT), best, median,
                        ratio, ratio2, worstAlloc, lost);
                out.flush();
            }
        }
        if (counts.size() > 1) {
            out.printf(Locale.ROOT, "scaling (median Mpps against %d thread%s, %d CPUs online):%n", counts.getFirst(),
                    counts.getFirst() == 1 ? "" : "s", Runtime.getRuntime().availableProcessors());
            for (var e : medians.entrySet()) {
                StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-12s", e.getKey().name().toLowerCase(Locale.ROOT)));
                double first = e.getValue().get(counts.getFirst());
                for (var m : e.getValue().entrySet()) {
                    line.append(String.format(Locale.ROOT, "  %d: %.2fx", m.getKey(), m.getValue() / first));
                }
                out.println(line);
            }
            out.flush();
        }
        return 0;
    }
}
