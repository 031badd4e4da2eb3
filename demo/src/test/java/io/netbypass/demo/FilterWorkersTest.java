package io.netbypass.demo;

import io.netbypass.backend.PortOptions;
import io.netbypass.backend.PortSet;
import io.netbypass.backend.Ports;
import io.netbypass.backend.WireTraffic;
import io.netbypass.backend.vnic.HostStack;
import io.netbypass.backend.vnic.Vnic;
import io.netbypass.backend.vnic.VnicStats;
import io.netbypass.backend.vnic.Vnics;
import io.netbypass.filter.engine.FilterCounters;
import io.netbypass.filter.engine.FilterEngine;
import io.netbypass.filter.engine.FilterProgram;
import io.netbypass.port.BufferPool;
import io.netbypass.port.Port;
import io.netbypass.port.RingPort;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.agrona.concurrent.BackoffIdleStrategy;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The filter on several worker threads over every queue of a software NIC, as {@code offload
 * vnic:NAME/R --workers 2} runs it: the demo's traffic spread by RSS over 4 queues, each queue a
 * port of its own, queue q on worker q mod 2, the wire held back when a ring is full (flow
 * control). Every frame on the wire is accounted for, every verdict is right while rule sets are
 * swapped under traffic, and a queue is taken out and given back while the wire runs.
 */
class FilterWorkersTest {
    private record Setup(Vnic nic, List<DemoHost> hosts, MixedSource traffic) {
    }

    private static Setup nic(String name, int queues) {
        List<DemoHost> hosts = new CopyOnWriteArrayList<>();
        HostStack host = new HostStack(queues, () -> {
            DemoHost h = new DemoHost();
            hosts.add(h);
            return h;
        });
        Vnic nic = new Vnic(name, queues, 1024, new BufferPool((queues * 2 + 4) * 1024 + 4096, 2048), host);
        nic.pause(true); // flow control: a full ring holds the wire back, nothing is dropped unseen
        Vnics.add(nic);
        return new Setup(nic, hosts, SingleQueueDemo.traffic());
    }

    private static long sum(long[] a) {
        long s = 0;
        for (long v : a) {
            s += v;
        }
        return s;
    }

    private static void awaitEnd(FilterEngine engine) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!engine.ended() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertTrue(engine.ended(), "the wire's traffic came to its end and was decided");
    }

    @Test
    void twoWorkersDecideEveryFrameRightWhileRulesAreSwapped() throws Exception {
        Setup s = nic("fw" + ProcessHandle.current().pid(), 4);
        int frames = 300_000;
        WireTraffic wire = new WireTraffic(() -> s.traffic, 64, 0, frames);
        try (PortSet set = PortSet.open("vnic:" + s.nic.name() + "/R", PortOptions.of(Ports.Direction.RECEIVE).withWire(wire), 2)) {
            assertEquals(2, set.perWorker().size());
            assertEquals(List.of(0, 2), set.perWorker().get(0).stream().map(p -> p.rxRing(0).id()).toList());
            FilterEngine engine = new FilterEngine(set.perWorker(), FilterProgram.shipped(SingleQueueDemo.DEFAULT_RULES));
            AtomicBoolean stop = new AtomicBoolean();
            Thread reloader = new Thread(() -> {
                boolean flip = false;
                while (!stop.get()) {
                    try {
                        engine.reload(flip ? FilterProgram.shipped(SingleQueueDemo.DEFAULT_RULES)
                                : FilterProgram.parse("other.rules", FilterReloadTest.OTHER, null));
                        Thread.sleep(1);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                    flip = !flip;
                }
            }, "reloader");
            engine.start(ports -> new BackoffIdleStrategy(), w -> { });
            set.startTraffic();
            reloader.start();
            awaitEnd(engine);
            stop.set(true);
            reloader.join();
            set.endTraffic();
            assertTrue(engine.stop(TimeUnit.SECONDS.toNanos(30)), "both workers drained their rings");
            FilterCounters c = engine.counters();
            long made = s.traffic.made(0) + s.traffic.made(1) + s.traffic.made(2);
            assertEquals(frames, made);
            VnicStats st = s.nic.stats();
            long portsReceived = 0;
            for (Port p : set.ports()) {
                portsReceived += ((RingPort) p).received();
            }
            // wire = what the ports received + what went to the host + what the NIC dropped: nothing unaccounted.
            assertEquals(frames, st.wirePackets());
            assertEquals(st.wirePackets(), portsReceived + sum(st.rxHost()) + sum(st.rxMissed()) + st.ntupleDrops() + st.oversize());
            assertEquals(portsReceived, c.received(), "the workers decided every frame their ports received");
            assertEquals(0, sum(st.rxMissed()), "flow control: no ring overflowed");
            for (int w = 0; w < 2; w++) {
                assertTrue(engine.worker(w).counters().received() > frames / 4, "worker " + w + " took its share: "
                        + engine.worker(w).counters().received());
            }
            assertTrue(c.reloads() > 4, "rule sets swapped while packets flowed: " + c.reloads());
            assertEquals(0, c.errors());
            assertEquals(s.traffic.made(0), c.dropped(), "every flood frame dropped");
            assertEquals(s.traffic.made(1) + s.traffic.made(2), c.passed(), "every valid query and every ordinary frame passed");
            assertEquals(s.traffic.made(1), s.hosts.stream().mapToLong(h -> h.validQueries).sum(),
                    "every valid query reached the host's DNS server");
            assertEquals(0, s.hosts.stream().mapToLong(h -> h.junkToDns).sum(), "no flood frame reached it");
            assertEquals(s.traffic.made(2), s.hosts.stream().mapToLong(h -> h.other).sum(), "ordinary traffic reached the host");
        } finally {
            Vnics.remove(s.nic);
            s.nic.close();
        }
    }

    @Test
    void aQueueTakenOutAndGivenBackUnderTrafficLosesNothing() throws Exception {
        Setup s = nic("fq" + ProcessHandle.current().pid(), 4);
        int frames = 400_000;
        WireTraffic wire = new WireTraffic(() -> s.traffic, 64, 0, frames);
        try (PortSet set = PortSet.open("vnic:" + s.nic.name() + "/R", PortOptions.of(Ports.Direction.RECEIVE).withWire(wire), 2)) {
            FilterEngine engine = new FilterEngine(set.perWorker(), FilterProgram.shipped(SingleQueueDemo.DEFAULT_RULES));
            engine.start(ports -> new BackoffIdleStrategy(), w -> { });
            set.startTraffic();
            while (sum(s.nic.stats().rxRing()) < frames / 10) {
                Thread.sleep(1);
            }
            Port three = set.queue(3);
            long decidedBefore = ((RingPort) three).received();
            engine.remove(three).get(10, TimeUnit.SECONDS);
            set.forget(3);
            long hostBefore = s.nic.stats().rxHost()[3];
            three.close();
            assertTrue(engine.worker(1).ports().stream().noneMatch(p -> p == three), "worker 1 no longer filters queue 3");
            while (s.nic.stats().rxHost()[3] == hostBefore && s.nic.stats().wirePackets() < frames) {
                Thread.sleep(1);
            }
            assertTrue(s.nic.stats().rxHost()[3] > hostBefore, "queue 3's traffic goes to the host again");
            Port back = set.openQueue(3);
            engine.add(engine.leastLoaded(), back).get(10, TimeUnit.SECONDS);
            awaitEnd(engine);
            set.endTraffic();
            assertTrue(engine.stop(TimeUnit.SECONDS.toNanos(30)));
            FilterCounters c = engine.counters();
            VnicStats st = s.nic.stats();
            assertTrue(decidedBefore > 0);
            assertEquals(frames, st.wirePackets());
            // Every frame: decided by a worker, or given to the host (queue 3 while it was out), or counted as dropped by the NIC.
            assertEquals(st.wirePackets(), c.received() + sum(st.rxHost()) + sum(st.rxMissed()) + st.ntupleDrops() + st.oversize());
            assertEquals(0, sum(st.rxMissed()));
            assertEquals(0, c.errors());
            long toHostUnfiltered = sum(st.rxHost());
            assertEquals(s.traffic.made(1), s.hosts.stream().mapToLong(h -> h.validQueries).sum(),
                    "every valid query reached the host (through the filter, or with queue 3 while it was the host's)");
            assertEquals(c.dropped() + s.hosts.stream().mapToLong(h -> h.junkToDns).sum(), s.traffic.made(0),
                    "every flood frame was dropped but those queue 3 gave the host while it was out");
            assertTrue(toHostUnfiltered > 0);
        } finally {
            Vnics.remove(s.nic);
            s.nic.close();
        }
    }
}
