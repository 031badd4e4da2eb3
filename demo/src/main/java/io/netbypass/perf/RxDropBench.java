package io.netbypass.perf;

import io.netbypass.backend.vnic.HostStack;
import io.netbypass.backend.vnic.Vnic;
import io.netbypass.backend.vnic.VnicPort;
import io.netbypass.backend.vnic.VnicStats;
import io.netbypass.backend.vnic.WireBatch;
import io.netbypass.filter.engine.FilterEngine;
import io.netbypass.filter.engine.FilterProgram;
import io.netbypass.filter.engine.FilterWorker;
import io.netbypass.gen.AddressRange;
import io.netbypass.gen.Generator;
import io.netbypass.gen.GeneratorOptions;
import io.netbypass.packet.AddressText;
import io.netbypass.port.BufferPool;
import io.netbypass.port.Port;
import io.netbypass.port.PortName;
import io.netbypass.port.Ring;
import io.netbypass.scaling.ntuple.NtupleScript;
import io.netbypass.scaling.rss.IndirectionTable;
import io.netbypass.util.UserException;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;

/**
 * {@code netbypass bench}: wire -> vnic -> one bypassed RX queue -> a consumer that drops, all on
 * the calling thread (run to completion, so packets per second is per core). The wire replays
 * 4096 pre-made 60-byte frames, as a NIC receives what another machine generated.
 *
 * <ul>
 *   <li>{@link Case#COPY}: the baseline: copy each frame into a ring buffer and drop it, no NIC logic.</li>
 *   <li>{@link Case#RXDROP}: one-queue vnic with RSS and ntuple off, {@code vnic:X-0/R}, rxdrop.</li>
 *   <li>{@link Case#CLASSIFIED}: 10-queue vnic, every frame parsed and checked against 16 ntuple rules;
 *       half match {@code udp4 dst-port 53 action 4}, half miss and are Toeplitz-hashed through an
 *       indirection table that points at queue 4; {@code vnic:X-4/R}, rxdrop.</li>
 * </ul>
 */
public final class RxDropBench {
    public enum Case {
        COPY, RXDROP, CLASSIFIED, FILTER_10, FILTER_1000, FILTER_100K;

        boolean filters() {
            return this == FILTER_10 || this == FILTER_1000 || this == FILTER_100K;
        }
    }

    /**
     * The filter cases' ten rules: an edge server's set. The flood (UDP to port 53 and 54 from
     * random sources) walks most of it: port 53 is checked as DNS twice, then dropped; port 54
     * falls to the default and is passed to the host.
     */
    public static final List<String> TEN_RULES = List.of(
            "pass      src 198.18.0.0/24                                  name management",
            "drop      frag later                                         name late-fragments",
            "ratelimit 200/s burst 50 per src tcp flags S/SA dst port 80,443   name syn-per-source",
            "pass      udp dst port 53 dns suffix example.com             name dns-ours",
            "ratelimit 500/s per src udp dst port 53 dns                  name dns-other",
            "drop      udp dst port 53 len <100                           name dns-junk-small",
            "drop      udp dst port 53                                    name dns-junk",
            "drop      udp src port 19,123,389,1900,11211 len >=400       name amplification",
            "ratelimit 1000/s icmp type 8                                 name ping",
            "drop      tcp dst port 23,2323                               name telnet",
            "default pass");

    /** The rules of a filter case: 10 rules; 1,000 /24 blocks then the 10; a 100,000-prefix list then the 10. */
    public static FilterProgram program(Case c, Path scratch) throws Exception {
        List<String> lines = new ArrayList<>();
        Random random = new Random(1);
        if (c == Case.FILTER_1000) {
            for (int i = 0; i < 990; i++) {
                lines.add("drop src net 10." + random.nextInt(256) + "." + random.nextInt(256) + ".0/24 name block-" + i);
            }
        } else if (c == Case.FILTER_100K) {
            StringBuilder list = new StringBuilder();
            for (int i = 0; i < 100_000; i++) {
                int a = random.nextInt();
                if ((a >>> 17) == (0xc612 >>> 1)) {
                    a ^= 0x8000_0000; // keep 198.18.0.0/15 out: the flood must reach the other rules
                }
                int len = 16 + random.nextInt(17);
                int mask = len == 32 ? -1 : -1 << (32 - len);
                list.append(AddressText.ipv4(a & mask)).append('/').append(len).append('\n');
            }
            Files.writeString(scratch.resolve("prefixes.txt"), list);
            lines.add("drop src list prefixes.txt name blocklist");
        }
        lines.addAll(TEN_RULES);
        return FilterProgram.parse(c.name().toLowerCase(Locale.ROOT) + ".rules", String.join("\n", lines), scratch);
    }

    public static final int FRAMES = 4096;
    public static final int BATCH = 256;

    /** One measurement: packets, nanoseconds, bytes allocated by the thread while measuring. */
    public record Result(Case benchCase, long packets, long nanos, long allocatedBytes, long wireDrops) {
        public double mpps() {
            return packets * 1e3 / nanos;
        }

        public double bytesPerPacket() {
            return (double) allocatedBytes / packets;
        }
    }

    private RxDropBench() {
    }

    /** The wire's frames, in batches, in {@code arena}'s memory (one thread's). */
    private static WireBatch[] frames(Arena arena) {
        MemorySegment wire = arena.allocate((long) FRAMES * 64, 64);
        Generator g = new Generator(GeneratorOptions.defaults()
                .withSource(AddressRange.parse("198.18.0.1:1024-198.19.255.254:65535", 0), true)
                .withDestination(AddressRange.parse("198.18.0.53:53-198.18.0.53:54", 0), true)
                .withSeed(1));
        WireBatch[] batches = new WireBatch[FRAMES / BATCH];
        for (int b = 0; b < batches.length; b++) {
            batches[b] = new WireBatch(wire, BATCH);
            for (int i = 0; i < BATCH; i++) {
                long at = (long) (b * BATCH + i) * 64;
                batches[b].add(at, g.next(wire, at));
            }
        }
        return batches;
    }

    /**
     * Runs {@code benchCase} on {@code workers} threads at once, each with a queue of its own (a
     * one-queue software NIC each: a NIC's queues work in parallel, our vnic's wire does not), as
     * {@code offload --workers N} runs a queue per worker. The filter cases run one engine: its
     * workers share the rule set and its rate limiters, each has its own counters. The other cases
     * share nothing: the same run on each thread. Packets are summed; the time is the threads' mean.
     */
    public static Result run(Case benchCase, long warmupNanos, long nanos, int workers) {
        if (benchCase.filters()) {
            return filtered(benchCase, warmupNanos, nanos, workers);
        }
        if (workers == 1) {
            return run(benchCase, warmupNanos, nanos);
        }
        Result[] results = new Result[workers];
        parallel(workers, w -> results[w] = run(benchCase, warmupNanos, nanos));
        return combine(benchCase, results);
    }

    private static Result combine(Case benchCase, Result[] results) {
        long packets = 0, nanos = 0, allocated = 0, drops = 0;
        for (Result r : results) {
            packets += r.packets();
            nanos += r.nanos();
            allocated += r.allocatedBytes();
            drops += r.wireDrops();
        }
        return new Result(benchCase, packets, nanos / results.length, allocated, drops);
    }

    /** Runs {@code body(w)} on {@code workers} threads and waits for all; the first failure is rethrown. */
    private static void parallel(int workers, IntConsumer body) {
        Thread[] threads = new Thread[workers];
        Throwable[] failed = new Throwable[1];
        for (int w = 0; w < workers; w++) {
            int me = w;
            threads[w] = new Thread(() -> {
                try {
                    body.accept(me);
                } catch (Throwable t) {
                    synchronized (failed) {
                        failed[0] = failed[0] == null ? t : failed[0];
                    }
                }
            }, "bench-worker-" + w);
            threads[w].start();
        }
        for (Thread t : threads) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }
        if (failed[0] instanceof RuntimeException e) {
            throw e;
        }
        if (failed[0] != null) {
            throw new IllegalStateException(failed[0]);
        }
    }

    /** Runs {@code benchCase} for about {@code nanos} after a warm-up of {@code warmupNanos}. */
    public static Result run(Case benchCase, long warmupNanos, long nanos) {
        if (benchCase.filters()) {
            return filtered(benchCase, warmupNanos, nanos, 1);
        }
        try (Arena arena = Arena.ofConfined()) {
            WireBatch[] batches = frames(arena);
            return switch (benchCase) {
                case COPY -> copy(batches, warmupNanos, nanos);
                default -> throughNic(benchCase, batches, warmupNanos, nanos);
            };
        }
    }

    private static void deleteScratch(Path scratch) {
        if (scratch != null) {
            try (var files = Files.list(scratch)) {
                for (Path f : files.toList()) {
                    Files.delete(f);
                }
                Files.delete(scratch);
            } catch (IOException ignored) {
                // a temp directory left behind is harmless
            }
        }
    }

    /**
     * A filter case: one engine of {@code workers} workers, each on a thread and a one-queue NIC of
     * its own, feeding its wire and deciding in turn (run to completion, as on one core).
     */
    private static Result filtered(Case benchCase, long warmupNanos, long nanos, int workers) {
        Path scratch = null;
        Vnic[] nics = new Vnic[workers];
        VnicPort[] ports = new VnicPort[workers];
        try {
            scratch = Files.createTempDirectory("netbypass-bench");
            FilterProgram program = program(benchCase, scratch);
            List<List<Port>> perWorker = new ArrayList<>();
            for (int w = 0; w < workers; w++) {
                String name = "bench" + benchCase.ordinal() + "w" + w;
                nics[w] = new Vnic(name, 1, 1024, new BufferPool(8192, 2048), new HostStack(1));
                nics[w].features(false, false);
                ports[w] = nics[w].open(PortName.parse("vnic:" + name + "-0/R", "vnic"));
                perWorker.add(List.of(ports[w]));
            }
            FilterEngine engine = new FilterEngine(perWorker, program);
            CyclicBarrier together = new CyclicBarrier(workers);
            Result[] results = new Result[workers];
            parallel(workers, w -> {
                try (Arena arena = Arena.ofConfined()) {
                    WireBatch[] batches = frames(arena);
                    FilterWorker worker = engine.worker(w);
                    Vnic nic = nics[w];
                    long origin = System.nanoTime();
                    for (int phase = 0; phase < 2; phase++) {
                        long budget = phase == 0 ? warmupNanos : nanos;
                        together.await(60, TimeUnit.SECONDS); // every worker measures while the others run
                        long decided = worker.counters().received();
                        long before = allocated();
                        long start = System.nanoTime();
                        int b = 0;
                        long now;
                        do {
                            WireBatch batch = batches[b];
                            b = b + 1 == batches.length ? 0 : b + 1;
                            nic.receive(batch, 0);
                            now = System.nanoTime();
                            worker.doWork(now - origin);
                        } while (now - start < budget);
                        if (phase == 1) {
                            long allocatedBytes = allocated() - before;
                            VnicStats s = nic.stats();
                            results[w] = new Result(benchCase, worker.counters().received() - decided, now - start,
                                    allocatedBytes, s.sum(s.rxMissed()));
                        }
                    }
                } catch (Exception e) {
                    throw new IllegalStateException("filter bench " + benchCase + " worker " + w + ": " + e.getMessage(), e);
                }
            });
            return combine(benchCase, results);
        } catch (IOException e) {
            throw new UserException("filter bench " + benchCase + ": " + e.getMessage() + " (it writes its rules to a temporary"
                    + " directory: java.io.tmpdir)", e);
        } catch (UserException | IllegalStateException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("filter bench " + benchCase + ": " + e.getMessage(), e);
        } finally {
            for (int w = 0; w < workers; w++) {
                if (ports[w] != null) {
                    ports[w].close();
                }
                if (nics[w] != null) {
                    nics[w].close();
                }
            }
            deleteScratch(scratch);
        }
    }

    private static long allocated() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    private static Result copy(WireBatch[] batches, long warmupNanos, long nanos) {
        try (BufferPool pool = new BufferPool(2048, 2048)) {
            MemorySegment buffers = pool.memory();
            int slots = 1024;
            long[] result = new long[2];
            for (int phase = 0; phase < 2; phase++) {
                long budget = phase == 0 ? warmupNanos : nanos;
                long before = allocated();
                long start = System.nanoTime();
                long packets = 0;
                int slot = 0;
                int b = 0;
                long now;
                long checksum = 0;
                do {
                    WireBatch batch = batches[b];
                    b = b + 1 == batches.length ? 0 : b + 1;
                    for (int i = 0; i < batch.count(); i++) {
                        long to = pool.offset(BufferPool.FIRST_BUFFER + slot);
                        MemorySegment.copy(batch.segment(), batch.offset(i), buffers, to, batch.length(i));
                        checksum += buffers.get(ValueLayout.JAVA_BYTE, to + 12);
                        slot = slot + 1 == slots ? 0 : slot + 1;
                    }
                    packets += batch.count();
                    now = System.nanoTime();
                } while (now - start < budget);
                result[0] = packets;
                result[1] = now - start;
                if (phase == 1) {
                    return new Result(Case.COPY, packets, now - start, allocated() - before, checksum == 42 ? 1 : 0);
                }
            }
            throw new AssertionError();
        }
    }

    private static Result throughNic(Case benchCase, WireBatch[] batches, long warmupNanos, long nanos) {
        boolean classified = benchCase == Case.CLASSIFIED;
        int queues = classified ? 10 : 1;
        int queue = classified ? 4 : 0;
        String name = "bench" + benchCase.ordinal();
        try (Vnic nic = new Vnic(name, queues, 1024, new BufferPool(8192, 2048), new HostStack(queues))) {
            if (classified) {
                int[] weights = new int[queues];
                weights[queue] = 1;
                nic.indirection(IndirectionTable.weight(128, weights, 0));
                List<String> rules = new ArrayList<>();
                for (int r = 0; r < 15; r++) {
                    rules.add("flow-type tcp4 dst-port " + (1000 + r) + " action -1");
                }
                rules.add("flow-type udp4 dst-port 53 action " + queue);
                nic.ntuple(NtupleScript.parse(rules));
            } else {
                nic.features(false, false);
            }
            try (VnicPort port = nic.open(PortName.parse("vnic:" + name + "-" + queue + "/R", "vnic"))) {
                Ring ring = port.rxRing(0);
                for (int phase = 0; phase < 2; phase++) {
                    long budget = phase == 0 ? warmupNanos : nanos;
                    long received = port.received();
                    long before = allocated();
                    long start = System.nanoTime();
                    int b = 0;
                    long now;
                    do {
                        WireBatch batch = batches[b];
                        b = b + 1 == batches.length ? 0 : b + 1;
                        nic.receive(batch, 0);
                        port.rxSync();
                        ring.advance(ring.tail());
                        now = System.nanoTime();
                    } while (now - start < budget);
                    if (phase == 1) {
                        long allocatedBytes = allocated() - before;
                        VnicStats s = nic.stats();
                        return new Result(benchCase, port.received() - received, now - start, allocatedBytes,
                                s.sum(s.rxMissed()) + s.sum(s.rxHost()) + s.ntupleDrops());
                    }
                }
            }
        }
        throw new AssertionError();
    }
}
