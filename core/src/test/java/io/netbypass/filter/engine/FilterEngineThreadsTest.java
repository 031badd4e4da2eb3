package io.netbypass.filter.engine;

import io.netbypass.backend.vnic.HostStack;
import io.netbypass.backend.vnic.Vnic;
import io.netbypass.backend.vnic.VnicPort;
import io.netbypass.backend.vnic.WireBatch;
import io.netbypass.filter.classify.CompiledClassifier;
import io.netbypass.filter.classify.RuleClassifier;
import io.netbypass.filter.rules.RuleParser;
import io.netbypass.packet.FrameBuilder;
import io.netbypass.packet.IpProtocols;
import io.netbypass.packet.ParsedPacket;
import io.netbypass.port.BufferPool;
import io.netbypass.port.Port;
import io.netbypass.port.PortName;
import io.netbypass.testing.ForwardingPort;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.BackoffIdleStrategy;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The engine's threads: a worker whose duty cycle throws is counted and keeps its last error, and
 * the other worker goes on deciding; one that fails every cycle gives up; a packet whose decision
 * throws is dropped and counted once, never decided again; a worker that cannot start (pinning
 * refused, say) fails the start with that error and leaves no thread behind.
 */
class FilterEngineThreadsTest {
    /** A port whose every sync fails, as a broken device would. */
    private static final class BrokenPort extends ForwardingPort {
        BrokenPort(VnicPort inner) {
            super(inner);
        }

        @Override
        public int rxSync() {
            throw new IllegalStateException("the device went away");
        }
    }

    private static Vnic nic(String name) {
        Vnic v = new Vnic(name, 1, 256, new BufferPool(1024, 2048), new HostStack(1));
        v.features(false, false);
        v.pause(true);
        return v;
    }

    @Test
    void aWorkerThatThrowsIsCountedAndTheOtherGoesOn() throws Exception {
        String id = "ft" + ProcessHandle.current().pid();
        try (Arena arena = Arena.ofShared(); Vnic a = nic(id + "a"); Vnic b = nic(id + "b")) {
            MemorySegment frames = arena.allocate(64L * 128, 64);
            WireBatch batch = new WireBatch(frames, 64);
            for (int i = 0; i < 64; i++) {
                byte[] f = new FrameBuilder().addresses(new byte[] {10, 0, 0, 1}, new byte[] {10, 0, 0, 2})
                        .protocol(IpProtocols.UDP).ports(1000 + i, 53).payload(20).build();
                MemorySegment.copy(MemorySegment.ofArray(f), 0, frames, i * 128L, f.length);
                batch.add(i * 128L, f.length);
            }
            try (VnicPort pa = a.open(PortName.parse("vnic:" + a.name() + "-0/R", "vnic"));
                 VnicPort pb = b.open(PortName.parse("vnic:" + b.name() + "-0/R", "vnic"))) {
                FilterEngine engine = new FilterEngine(List.of(List.<Port>of(new BrokenPort(pa)), List.<Port>of(pb)),
                        FilterProgram.parse("t.rules", "default drop\n", null));
                engine.start(ports -> new BackoffIdleStrategy(), w -> { });
                try {
                for (int i = 0; i < 20; i++) {
                    int done = 0;
                    while ((done = b.receive(batch, done)) < batch.count()) {
                        Thread.sleep(1); // flow control: a busy machine may leave the worker off its CPU for a while
                    }
                }
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (engine.worker(1).counters().received() < 20 * 64 && System.nanoTime() < deadline) {
                    Thread.sleep(5);
                }
                engine.close(); // the threads stop: the counters hold still for the checks
                assertEquals(20 * 64, engine.worker(1).counters().received(), "worker 1 decided every frame of its queue: "
                        + b.stats());
                assertTrue(engine.worker(0).counters().errors() > 0, "worker 0's failures are counted");
                assertNotNull(engine.worker(0).lastError());
                assertEquals("the device went away", engine.worker(0).lastError().getMessage());
                assertEquals(0, engine.worker(1).counters().errors());
                assertEquals(engine.worker(0).counters().errors(), engine.counters().errors(), "the total is the sum");
                assertEquals(FilterWorker.GIVE_UP, engine.worker(0).counters().errors(),
                        "after that many failed cycles in a row the worker gave up (its queues back to the kernel)");
                assertTrue(engine.worker(0).gaveUp());
                assertEquals(engine.worker(0), engine.failed(), "the engine tells its caller, who ends the run");
                assertFalse(engine.worker(1).gaveUp());
                } finally {
                    engine.close();
                }
            }
        }
    }

    @Test
    void aWorkerThatCannotStartFailsTheStart() throws Exception {
        String id = "fs" + ProcessHandle.current().pid();
        try (Vnic a = nic(id + "a"); Vnic b = nic(id + "b");
             VnicPort pa = a.open(PortName.parse("vnic:" + a.name() + "-0/R", "vnic"));
             VnicPort pb = b.open(PortName.parse("vnic:" + b.name() + "-0/R", "vnic"))) {
            FilterEngine engine = new FilterEngine(List.of(List.<Port>of(pa), List.<Port>of(pb)),
                    FilterProgram.parse("t.rules", "default drop\n", null));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> engine.start(
                    ports -> new BackoffIdleStrategy(), w -> {
                        if (w == 1) {
                            throw new IllegalArgumentException("CPU 99 is not online");
                        }
                    }));
            assertEquals("CPU 99 is not online", e.getMessage());
            Thread.sleep(100);
            assertFalse(Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().startsWith("filter-worker-")
                    && t.isAlive()), "no worker thread is left running");
        }
    }

    /** Classifies by the rules, but throws for UDP port 1003, as a bug met by one packet would. */
    private record Throwing(RuleClassifier inner) implements RuleClassifier {
        @Override
        public int classify(ParsedPacket p, int wireLength) {
            if (p.destinationPort() == 1003) {
                throw new IllegalStateException("a bug this packet meets");
            }
            return inner.classify(p, wireLength);
        }
    }

    @Test
    void aPacketWhoseDecisionThrowsIsDroppedAndCountedOnce() throws Exception {
        String id = "fp" + ProcessHandle.current().pid();
        try (Arena arena = Arena.ofShared(); Vnic a = nic(id)) {
            MemorySegment frames = arena.allocate(8L * 128, 64);
            WireBatch batch = new WireBatch(frames, 8);
            for (int i = 0; i < 8; i++) {
                byte[] f = new FrameBuilder().addresses(new byte[] {10, 0, 0, 1}, new byte[] {10, 0, 0, 2})
                        .protocol(IpProtocols.UDP).ports(5000, 1000 + i).payload(20).build();
                MemorySegment.copy(MemorySegment.ofArray(f), 0, frames, i * 128L, f.length);
                batch.add(i * 128L, f.length);
            }
            try (VnicPort pa = a.open(PortName.parse("vnic:" + a.name() + "-0/R", "vnic"))) {
                var set = RuleParser.parse("t.rules", "pass udp name all\ndefault drop\n", null);
                FilterProgram program = new FilterProgram(set, new Throwing(CompiledClassifier.compile(set)));
                FilterEngine engine = new FilterEngine(pa, program);
                a.receive(batch, 0);
                for (int i = 0; i < 5; i++) {
                    engine.doWork(i);
                }
                FilterCounters c = engine.counters();
                assertEquals(8, c.received(), "every frame decided once, the one that threw too");
                assertEquals(7, c.passed());
                assertEquals(1, c.dropped(), "the one that threw is dropped (fail closed)");
                assertEquals(1, c.errors(), "and counted as an error");
                assertFalse(engine.worker(0).gaveUp(), "one bad packet is not a broken worker");
            }
        }
    }
}
