package io.netbypass.filter.engine;

import io.netbypass.backend.vnic.HostStack;
import io.netbypass.backend.vnic.Vnic;
import io.netbypass.backend.vnic.VnicPort;
import io.netbypass.backend.vnic.WireBatch;
import io.netbypass.packet.FrameBuilder;
import io.netbypass.packet.IpProtocols;
import io.netbypass.port.BufferPool;
import io.netbypass.port.Port;
import io.netbypass.port.PortName;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Rate limits hold in total across workers: two workers, each on a queue of its own (a NIC
 * each, so that nothing but the rules is shared), both far over the rate, on two threads at
 * once. Their clock is the test's (2 s of traffic in 100 us steps, whatever the machine's load),
 * so the expected count is exact: the burst, then the rate for 2 s.
 */
class SharedRateLimitTest {
    private static final int STEPS = 20_000;
    private static final long STEP_NANOS = 100_000;
    private static final int SOURCES = 8;
    private static final int PER_STEP = 32;

    private static long run(String rules) throws Exception {
        String id = "rl" + ProcessHandle.current().pid() + "x" + Math.abs(rules.hashCode() % 1000);
        try (Arena arena = Arena.ofShared();
             Vnic a = new Vnic(id + "a", 1, 1024, new BufferPool(4096, 2048), new HostStack(1));
             Vnic b = new Vnic(id + "b", 1, 1024, new BufferPool(4096, 2048), new HostStack(1))) {
            a.features(false, false);
            b.features(false, false);
            MemorySegment frames = arena.allocate((long) PER_STEP * 128, 64);
            WireBatch batch = new WireBatch(frames, PER_STEP);
            for (int i = 0; i < PER_STEP; i++) {
                byte[] f = new FrameBuilder().addresses(new byte[] {(byte) 198, 18, 1, (byte) (1 + i % SOURCES)},
                        new byte[] {(byte) 198, 18, 0, 53}).protocol(IpProtocols.UDP).ports(1024 + i, 53).payload(20).build();
                MemorySegment.copy(MemorySegment.ofArray(f), 0, frames, (long) i * 128, f.length);
                batch.add((long) i * 128, f.length);
            }
            try (VnicPort pa = a.open(PortName.parse("vnic:" + a.name() + "-0/R", "vnic"));
                 VnicPort pb = b.open(PortName.parse("vnic:" + b.name() + "-0/R", "vnic"))) {
                FilterEngine engine = new FilterEngine(List.of(List.<Port>of(pa), List.<Port>of(pb)),
                        FilterProgram.parse("t.rules", rules, null));
                CyclicBarrier start = new CyclicBarrier(2);
                AtomicReference<Throwable> failed = new AtomicReference<>();
                Vnic[] nics = {a, b};
                Thread[] threads = new Thread[2];
                for (int w = 0; w < 2; w++) {
                    int me = w;
                    threads[w] = new Thread(() -> {
                        try {
                            start.await();
                            for (int step = 0; step < STEPS; step++) {
                                nics[me].receive(batch, 0);
                                engine.worker(me).doWork(step * STEP_NANOS);
                            }
                            engine.worker(me).doWork(STEPS * STEP_NANOS); // the last released slots
                        } catch (Throwable t) {
                            failed.set(t);
                        }
                    }, "worker-" + w);
                    threads[w].start();
                }
                for (Thread t : threads) {
                    t.join();
                }
                assertNull(failed.get());
                FilterCounters c = engine.counters();
                assertEquals(2L * STEPS * PER_STEP, c.received(), "both workers decided every frame");
                assertTrue(engine.worker(0).counters().passed() > 0 || engine.worker(1).counters().passed() > 0);
                return c.passed();
            }
        }
    }

    @Test
    void aRuleRateHoldsInTotalAcrossTwoWorkers() throws Exception {
        long passed = run("ratelimit 1000/s burst 10 udp name global\ndefault drop\n");
        double seconds = (STEPS - 1) * STEP_NANOS / 1e9;
        long expected = 10 + (long) Math.floor(seconds * 1000);
        System.out.printf("global 1000/s burst 10 on 2 workers: %d passed, %d expected (%+.3f%%)%n", passed, expected,
                100.0 * (passed - expected) / expected);
        assertTrue(Math.abs(passed - expected) <= expected / 100,
                "1000/s burst 10 over " + seconds + " s on two workers: " + passed + " passed, " + expected + " expected");
    }

    @Test
    void aPerSourceRateHoldsPerSourceAcrossTwoWorkers() throws Exception {
        long passed = run("ratelimit 500/s burst 5 per src udp name per-source\ndefault drop\n");
        double seconds = (STEPS - 1) * STEP_NANOS / 1e9;
        long expected = SOURCES * (5 + (long) Math.floor(seconds * 500));
        System.out.printf("per-source 500/s burst 5, %d sources on 2 workers: %d passed, %d expected (%+.3f%%)%n", SOURCES,
                passed, expected, 100.0 * (passed - expected) / expected);
        assertTrue(Math.abs(passed - expected) <= expected / 100,
                "500/s burst 5 per source, " + SOURCES + " sources on both workers: " + passed + " passed, " + expected + " expected");
    }
}
