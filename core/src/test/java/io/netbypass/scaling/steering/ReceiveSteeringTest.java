package io.netbypass.scaling.steering;

import io.netbypass.util.UserException;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReceiveSteeringTest {
    private final FlowRef flow = new FlowRef();

    @Test
    void reciprocalScaleUsesTheHighBitsNotAModulo() {
        assertEquals(3, ReciprocalScale.scale(0xffffffff, 4));
        assertEquals(1, ReciprocalScale.scale(0x40000000, 4));
        assertEquals(0, ReciprocalScale.scale(0x3fffffff, 4));
        assertEquals(0, ReciprocalScale.scale(7, 3), "7 % 3 would be 1");
        assertEquals(2, ReciprocalScale.scale(0xaaaaaaab, 3));
        assertEquals(1, ReciprocalScale.roundUpPowerOfTwo(1));
        assertEquals(8, ReciprocalScale.roundUpPowerOfTwo(5));
        assertEquals(4096, ReciprocalScale.roundUpPowerOfTwo(4096));
        assertEquals(8192, ReciprocalScale.roundUpPowerOfTwo(4097));
    }

    @Test
    void cpuMasksParseAndPrintLikeSysfs() {
        assertEquals(CpuMask.of(0, 1, 2, 3), CpuMask.parse("f"));
        assertEquals(CpuMask.of(32, 1), CpuMask.parse("00000001,00000002"));
        assertEquals("00000001,00000002", CpuMask.of(1, 32).format(1));
        assertEquals("00000000,0000000f", CpuMask.parse("f").format(2));
        assertTrue(CpuMask.parse("0").isEmpty());
        assertThrows(UserException.class, () -> CpuMask.parse("fg"));
        assertThrows(UserException.class, () -> CpuMask.parse("1,,2"));
        assertThrows(UserException.class, () -> CpuMask.parse("123456789"));
    }

    @Test
    void rpsPicksFromTheMapByReciprocalScaleAndSkipsCpusOfflineAtWriteTime() {
        Backlogs b = new Backlogs(8);
        ReceiveSteering s = new ReceiveSteering(2, b);
        assertEquals(ReceiveSteering.NO_STEERING, s.getRpsCpu(0, 0x12345678, flow), "no map, no flow table");
        b.setOnline(2, false);
        s.setRpsCpus(0, CpuMask.parse("36")); // CPUs 1, 2, 4, 5; 2 is offline now
        assertEquals(CpuMask.of(1, 4, 5), s.rpsCpus(0));
        assertEquals(1, s.getRpsCpu(0, 0x00000001, flow));
        assertEquals(4, s.getRpsCpu(0, 0x55555556, flow));
        assertEquals(5, s.getRpsCpu(0, 0xffffffff, flow));
        assertFalse(flow.isSet(), "plain RPS uses no flow entry");
        assertEquals(ReceiveSteering.NO_STEERING, s.getRpsCpu(0, 0, flow), "hash 0 is never steered");
        assertEquals(ReceiveSteering.NO_STEERING, s.getRpsCpu(1, 0x12345678, flow), "queue 1 has no map");
        assertEquals(ReceiveSteering.NO_STEERING, s.getRpsCpu(7, 0x12345678, flow), "no such queue");
        assertEquals(1, s.badQueueCount());
        b.setOnline(5, false);
        assertEquals(ReceiveSteering.NO_STEERING, s.getRpsCpu(0, 0xffffffff, flow), "picked CPU went offline: no retry");
        s.setRpsCpus(0, CpuMask.of(2));
        assertEquals(CpuMask.of(), s.rpsCpus(0), "only offline CPUs: RPS off");
    }

    @Test
    void tableSizesRoundUpToPowersOfTwoAndZeroTurnsThemOff() {
        assertNull(RpsFlowTable.ofCount(0));
        assertEquals(8, RpsFlowTable.ofCount(5).size());
        assertEquals(32768, RpsFlowTable.ofCount(32768).size());
        assertNull(SockFlowTable.ofEntries(0, 4));
        assertEquals(32768, SockFlowTable.ofEntries(20000, 4).size());
        assertEquals(3, SockFlowTable.ofEntries(1, 4).cpuMask());
        assertEquals(7, SockFlowTable.ofEntries(1, 6).cpuMask(), "cpu mask rounds the CPU count up");
        assertThrows(UserException.class, () -> SockFlowTable.ofEntries((1L << 29) + 1, 4));
        assertThrows(UserException.class, () -> RpsFlowTable.ofCount(-1));
    }

    @Test
    void sockFlowEntriesHoldTheHashHighBitsAndTheCpu() {
        SockFlowTable t = SockFlowTable.ofEntries(1024, 6);
        int hash = 0x9e3779b9;
        assertEquals(RpsFlowTable.NO_CPU, t.entry(hash), "entries start as no-CPU");
        t.record(hash, 5);
        assertEquals((hash & ~7) | 5, t.entry(hash));
        t.record(0, 3);
        assertEquals(RpsFlowTable.NO_CPU, t.entry(0), "hash 0 is never recorded");
    }

    /** RFS set up as scaling.rst advises: 4 CPUs, RPS over all, flow tables on both queues. */
    private static ReceiveSteering rfs(Backlogs b, SockFlowTable sock) {
        ReceiveSteering s = new ReceiveSteering(2, b);
        s.setRpsCpus(0, CpuMask.parse("f"));
        s.setRpsFlowCount(0, 2048);
        s.setRpsFlowCount(1, 2048);
        s.useSockFlowTable(sock);
        return s;
    }

    @Test
    void rfsFollowsTheConsumerButNeverOvertakesPacketsStillQueued() {
        Backlogs b = new Backlogs(4);
        SockFlowTable sock = SockFlowTable.ofEntries(32768, 4);
        ReceiveSteering s = rfs(b, sock);
        int hash = 0x13572468;
        int rpsCpu = CpuMask.parse("f").cpus()[ReciprocalScale.scale(hash, 4)];
        assertEquals(rpsCpu, s.getRpsCpu(0, hash, flow), "no consumer recorded yet: plain RPS");

        sock.record(hash, 2); // the application reads this flow on CPU 2
        assertEquals(2, s.getRpsCpu(0, hash, flow));
        assertTrue(flow.isSet());
        assertTrue(s.enqueue(2, hash, flow, null));
        assertTrue(s.enqueue(2, hash, flow, null)); // two packets of the flow queued on CPU 2
        RpsFlowTable t = s.flowTable(0);
        int slot = t.index(hash);
        assertEquals(2, t.cpu(slot));
        assertEquals(2, t.lastQtail(slot));

        sock.record(hash, 3); // the application moved to CPU 3
        for (int i = 0; i < 3; i++) {
            assertEquals(2, s.getRpsCpu(0, hash, flow), "packets still queued on CPU 2: stay there");
            assertTrue(s.enqueue(2, hash, flow, null));
        }
        assertEquals(5, t.lastQtail(slot));
        b.dequeued(2, 4);
        assertEquals(2, s.getRpsCpu(0, hash, flow), "one packet of the flow still queued");
        b.dequeued(2, 1);
        assertEquals(3, s.getRpsCpu(0, hash, flow), "all dequeued: now it may move");
        assertEquals(3, t.cpu(slot));
        assertEquals(b.head(3), t.lastQtail(slot), "switching records the new CPU's head");
        assertTrue(s.enqueue(3, hash, flow, null));
        assertEquals(b.tail(3), t.lastQtail(slot));
    }

    @Test
    void rfsMovesAtOnceWhenTheOldCpuIsOfflineOrUnsetAndFallsBackWhenTheHashBitsDiffer() {
        Backlogs b = new Backlogs(4);
        SockFlowTable sock = SockFlowTable.ofEntries(256, 4);
        ReceiveSteering s = rfs(b, sock);
        int hash = 0x2468ace1;
        sock.record(hash, 1);
        assertEquals(1, s.getRpsCpu(0, hash, flow));
        s.enqueue(1, hash, flow, null);
        sock.record(hash, 2);
        b.setOnline(1, false);
        assertEquals(2, s.getRpsCpu(0, hash, flow), "old CPU offline: move even with packets queued");

        int other = hash ^ 0x10000; // same sock-table slot (256 entries), different upper bits
        assertEquals(other & 255, hash & 255);
        int expectedRps = CpuMask.parse("f").cpus()[ReciprocalScale.scale(other, 4)];
        assertEquals(expectedRps == 1 ? ReceiveSteering.NO_STEERING : expectedRps, s.getRpsCpu(0, other, flow),
                "the entry belongs to another flow: plain RPS");
        assertFalse(flow.isSet());

        ReceiveSteering noMap = new ReceiveSteering(1, b);
        noMap.setRpsFlowCount(0, 64);
        noMap.useSockFlowTable(sock);
        assertEquals(2, noMap.getRpsCpu(0, hash, flow), "RFS needs no rps_cpus map");
        assertEquals(ReceiveSteering.NO_STEERING, noMap.getRpsCpu(0, other, flow));
        noMap.useSockFlowTable(null);
        assertEquals(ReceiveSteering.NO_STEERING, noMap.getRpsCpu(0, hash, flow), "no sock table: RFS off");
    }

    @Test
    void backlogAdmitsUpToMaxPlusOneThenDropsAndCounts() {
        Backlogs b = new Backlogs(2);
        b.setMaxBacklog(10);
        ReceiveSteering s = new ReceiveSteering(1, b);
        flow.clear();
        int admitted = 0;
        for (int i = 0; i < 20; i++) {
            if (s.enqueue(1, 0x1234 + i, flow, null)) {
                admitted++;
            }
        }
        assertEquals(11, admitted, "qlen <= max admits one more than max");
        assertEquals(9, b.dropped(1));
        assertEquals(11, b.queueLength(1));
        b.dequeued(1, 11);
        assertTrue(s.enqueue(1, 1, flow, null));
    }

    @Test
    void flowLimitCutsTheElephantOnlyOnceTheBacklogIsHalfFull() {
        FlowLimit fl = new FlowLimit();
        int elephant = 0x0000_1001, mouse = 0x0000_2002;
        for (int i = 0; i < 1000; i++) {
            assertFalse(fl.shouldDrop(elephant, 499, 1000), "below half of netdev_max_backlog: never");
        }
        assertEquals(0, fl.count());
        int elephantDrops = 0, mouseDrops = 0;
        for (int i = 0; i < 1280; i++) {
            if (fl.shouldDrop(elephant, 500, 1000)) {
                elephantDrops++;
            }
            if (i % 4 == 0 && fl.shouldDrop(mouse, 500, 1000)) {
                mouseDrops++;
            }
        }
        assertEquals(0, mouseDrops);
        assertTrue(elephantDrops > 1000, "the elephant holds ~80% of the history: " + elephantDrops);
        assertEquals(elephantDrops, fl.count());

        FlowLimit fresh = new FlowLimit();
        int firstDrop = -1;
        for (int i = 0; i < 200 && firstDrop < 0; i++) {
            if (fresh.shouldDrop(elephant, 600, 1000)) {
                firstDrop = i;
            }
        }
        assertEquals(64, firstDrop, "the 65th sample of one flow out of the last 128 is the first dropped");
        FlowLimit mixed = new FlowLimit();
        for (int i = 0; i < 10_000; i++) {
            assertFalse(mixed.shouldDrop(i % 2 == 0 ? elephant : mouse, 900, 1000), "exactly half each never exceeds 64");
        }
        assertThrows(UserException.class, () -> new FlowLimit(1000));
    }

    @Test
    void flowLimitIsAppliedByEnqueue() {
        Backlogs b = new Backlogs(2);
        ReceiveSteering s = new ReceiveSteering(1, b);
        FlowLimit fl = new FlowLimit();
        flow.clear();
        for (int i = 0; i < 564; i++) {
            assertTrue(s.enqueue(0, 0x77, flow, fl), "sampling starts at 500 queued; 64 samples of one flow pass");
        }
        int drops = 0;
        for (int i = 0; i < 100; i++) {
            if (!s.enqueue(0, 0x77, flow, fl)) {
                drops++;
            }
        }
        assertEquals(100, drops, "the flow owns every sample since");
        assertEquals(drops, b.dropped(0));
        assertEquals(drops, fl.count());
    }

    @Test
    void acceleratedRfsProgramsTheQueueOfTheNewCpuAndExpiresIdleFilters() {
        Backlogs b = new Backlogs(4);
        SockFlowTable sock = SockFlowTable.ofEntries(4096, 4);
        ReceiveSteering s = rfs(b, sock);
        List<int[]> programmed = new ArrayList<>();
        s.useAcceleratedRfs(new AcceleratedRfs() {
            @Override
            public int rxQueueFor(int cpu) {
                return cpu < 2 ? 0 : 1; // queue 0's IRQ on CPUs 0-1, queue 1's on 2-3
            }

            @Override
            public int steer(int rxQueue, int flowId, int hash) {
                programmed.add(new int[] {rxQueue, flowId, hash});
                return 40 + programmed.size();
            }
        });
        int hash = 0x0badcafe;
        sock.record(hash, 3);
        assertEquals(3, s.getRpsCpu(0, hash, flow));
        assertEquals(1, programmed.size());
        assertEquals(1, programmed.get(0)[0], "steered to the queue whose IRQ is on CPU 3");
        RpsFlowTable target = s.flowTable(1);
        int flowId = programmed.get(0)[1];
        assertEquals(target.index(hash), flowId);
        assertEquals(41, target.filter(flowId));
        assertEquals(3, target.cpu(flowId));
        assertEquals(RpsFlowTable.NO_CPU, s.flowTable(0).cpu(s.flowTable(0).index(hash)),
                "the entry on the old queue is left alone");
        assertTrue(s.enqueue(3, hash, flow, null));
        assertEquals(b.tail(3), target.lastQtail(flowId), "the tail lands in the target queue's entry");

        assertFalse(s.mayExpireFlow(1, flowId, 41), "recently active");
        assertTrue(s.mayExpireFlow(1, flowId, 99), "another filter id");
        b.dequeued(3, 1 + 10 * (target.size() - 1));
        assertTrue(s.mayExpireFlow(1, flowId, 41), "10 * mask packets dequeued since: idle");
        assertTrue(s.mayExpireFlow(0, 5, 41));

        sock.record(hash, 0);
        b.dequeued(3, 0);
        assertEquals(0, s.getRpsCpu(1, hash, flow), "received on queue 1 now, consumer on CPU 0");
        assertEquals(0, programmed.get(1)[0]);
    }

    private static int totalQueued(Backlogs b, int workers) {
        int n = 0;
        for (int w = 0; w < workers; w++) {
            n += b.queueLength(w);
        }
        return n;
    }

    /**
     * Threads as the engine runs them: one RX thread steers 64 flows across 4 workers while the
     * "applications" keep moving between workers. A packet processed before an earlier one of its
     * flow would show up as a sequence gap.
     */
    @Test
    void concurrentWorkersNeverSeeAFlowOutOfOrderWhileItsConsumerKeepsMoving() throws InterruptedException {
        int workers = 4;
        int flows = 64;
        Backlogs b = new Backlogs(workers);
        b.setMaxBacklog(1 << 20);
        SockFlowTable sock = SockFlowTable.ofEntries(4096, workers);
        ReceiveSteering s = new ReceiveSteering(1, b);
        s.setRpsCpus(0, CpuMask.first(workers));
        s.setRpsFlowCount(0, 4096);
        s.useSockFlowTable(sock);
        List<ConcurrentLinkedQueue<long[]>> queues = new ArrayList<>();
        for (int i = 0; i < workers; i++) {
            queues.add(new ConcurrentLinkedQueue<>());
        }
        int[] hashes = new int[flows];
        SplittableRandom r = new SplittableRandom(3);
        for (int f = 0; f < flows; f++) {
            // distinct low 12 bits: no two flows share a slot of either table. (Slot collisions
            // do break RFS's ordering promise, in Linux as here: the entry holds one flow's tail.)
            hashes[f] = (r.nextInt() << 12) | (f << 6) | 1;
        }
        for (int f = 0; f < flows; f++) {
            // every flow has a consumer before its first packet: a flow's first switch from plain
            // RPS to RFS has no tail to wait for (Linux reorders there too)
            sock.record(hashes[f], f % workers);
        }
        AtomicLongArray lastSeq = new AtomicLongArray(flows);
        AtomicInteger disorder = new AtomicInteger();
        AtomicInteger moves = new AtomicInteger();
        AtomicBoolean done = new AtomicBoolean();
        int[] consumerOf = new int[flows];
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
            int me = w;
            threads.add(Thread.ofPlatform().start(() -> {
                SplittableRandom wr = new SplittableRandom(me);
                while (!done.get() || !queues.get(me).isEmpty()) {
                    long[] p = queues.get(me).poll();
                    if (p == null) {
                        Thread.onSpinWait();
                        continue;
                    }
                    int f = (int) p[0];
                    if (!lastSeq.compareAndSet(f, p[1] - 1, p[1])) {
                        disorder.incrementAndGet();
                        lastSeq.set(f, p[1]);
                    }
                    if (wr.nextInt(64) == 0) {
                        Thread.yield(); // uneven consumers keep packets queued when flows move
                    }
                    b.dequeued(me, 1);
                }
            }));
        }
        Thread apps = Thread.ofPlatform().start(() -> {
            SplittableRandom ar = new SplittableRandom(5);
            while (!done.get()) {
                int f = ar.nextInt(flows);
                consumerOf[f] = ar.nextInt(workers);
                sock.record(hashes[f], consumerOf[f]);
                moves.incrementAndGet();
                java.util.concurrent.locks.LockSupport.parkNanos(20_000);
            }
        });
        FlowRef ref = new FlowRef();
        long[] seq = new long[flows];
        int switched = 0;
        int[] lastCpu = new int[flows];
        java.util.Arrays.fill(lastCpu, -1);
        for (int n = 0; n < 200_000; n++) {
            if ((n & 63) == 0) {
                while (totalQueued(b, workers) > 256) {
                    java.util.concurrent.locks.LockSupport.parkNanos(10_000); // let backlogs drain so flows can move
                }
            }
            int f = n % flows;
            int cpu = s.getRpsCpu(0, hashes[f], ref);
            assertTrue(cpu >= 0);
            if (lastCpu[f] >= 0 && lastCpu[f] != cpu) {
                switched++;
            }
            lastCpu[f] = cpu;
            assertTrue(s.enqueue(cpu, hashes[f], ref, null));
            queues.get(cpu).add(new long[] {f, ++seq[f]});
        }
        done.set(true);
        apps.join();
        for (Thread t : threads) {
            t.join();
        }
        assertEquals(0, disorder.get(), "packets of a flow processed out of order");
        assertTrue(switched > 100, "flows did move between workers: " + switched + " (" + moves.get() + " app moves)");
        for (int f = 0; f < flows; f++) {
            assertEquals(seq[f], lastSeq.get(f));
        }
    }
}
