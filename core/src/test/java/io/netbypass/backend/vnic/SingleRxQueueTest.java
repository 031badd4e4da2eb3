package io.netbypass.backend.vnic;

import static org.junit.jupiter.api.Assertions.*;

import io.netbypass.port.BufferPool;
import io.netbypass.port.PortException;
import io.netbypass.port.PortName;
import io.netbypass.port.Ring;
import io.netbypass.scaling.ntuple.NtupleScript;
import io.netbypass.scaling.rss.IndirectionTable;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.BitSet;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;

/** Cloudflare's single RX queue mode on the software NIC: {@code vnic:eth3-4/R}. */
class SingleRxQueueTest {
    private static final int SEQ_OFFSET = 42; // Ethernet 14 + IPv4 20 + UDP 8

    /** Host application that records the sequence number in each UDP payload. */
    static final class Recorder implements HostStack.Application {
        final BitSet seen = new BitSet();
        int duplicates;

        @Override
        public void receive(int queue, MemorySegment segment, long offset, int length) {
            int seq = segment.get(ValueLayout.JAVA_INT_UNALIGNED, offset + SEQ_OFFSET);
            if (seen.get(seq)) {
                duplicates++;
            }
            seen.set(seq);
        }
    }

    private static Vnic seedNic(String name, HostStack host) {
        Vnic nic = new Vnic(name, 10, 256, new BufferPool(8192, 2048), host);
        nic.indirection(IndirectionTable.weight(128, new int[] {1, 1, 1, 1, 0, 1, 1, 1, 1, 1}, 0));
        nic.ntuple(NtupleScript.parse(List.of("flow-type udp4 dst-port 53 action 4")));
        return nic;
    }

    /** Frames with a sequence number: every third to UDP 53 (queue 4), the rest spread by RSS. */
    private static final class Traffic {
        final MemorySegment memory;
        final WireBatch batch;
        final int frames;

        Traffic(int frames, long seed) {
            this.frames = frames;
            SplittableRandom random = new SplittableRandom(seed);
            memory = Arena.ofAuto().allocate((long) frames * 128);
            batch = new WireBatch(memory, frames);
            for (int i = 0; i < frames; i++) {
                String src = "198.18." + random.nextInt(256) + "." + random.nextInt(256);
                byte[] f = i % 3 == 0
                        ? Wire.udp(src, 1024 + random.nextInt(60000), "198.19.0.53", 53, 8)
                        : Wire.udp(src, 1024 + random.nextInt(60000), "198.19.0.80", 80 + i % 7, 8);
                MemorySegment.copy(MemorySegment.ofArray(f), 0, memory, i * 128L, f.length);
                memory.set(ValueLayout.JAVA_INT_UNALIGNED, i * 128L + SEQ_OFFSET, i);
                batch.add(i * 128L, f.length);
            }
        }

        boolean toQueue4(int i) {
            return memory.get(ValueLayout.JAVA_SHORT_UNALIGNED, i * 128L + 36) == Short.reverseBytes((short) 53);
        }
    }

    @Test
    void onlyQueueFourReachesThePortEverythingElseTheHost() {
        Recorder[] hosts = new Recorder[4];
        int[] made = {0};
        HostStack host = new HostStack(10, () -> hosts[made[0]++] = new Recorder());
        try (Vnic nic = seedNic("eth3", host);
             VnicPort port = nic.open(PortName.parse("vnic:eth3-4/R", "vnic"))) {
            assertEquals(1, port.rxRings());
            assertEquals(0, port.txRings());
            assertEquals(4, port.rxRing(0).id());
            assertTrue(nic.rxBound(4));
            for (int q = 0; q < 10; q++) {
                assertEquals(q == 4, nic.rxBound(q), "queue " + q);
                assertFalse(nic.txBound(q), "TX stays with the host");
            }
            Traffic t = new Traffic(3000, 1);
            BitSet atPort = new BitSet();
            int sent = 0;
            while (sent < t.frames) {
                WireBatch one = new WireBatch(t.memory, 100);
                for (int i = sent; i < sent + 100; i++) {
                    one.add(t.batch.offset(i), t.batch.length(i));
                }
                assertEquals(100, nic.receive(one, 0));
                sent += 100;
                port.rxSync();
                Ring ring = port.rxRing(0);
                for (int i = ring.head(); i != ring.tail(); i = ring.next(i)) {
                    int seq = ring.buffers().get(ValueLayout.JAVA_INT_UNALIGNED, ring.offset(i) + SEQ_OFFSET);
                    assertTrue(t.toQueue4(seq), "frame " + seq + " is not UDP 53");
                    atPort.set(seq);
                }
                ring.advance(ring.tail());
            }
            port.rxSync();
            for (int i = 0; i < t.frames; i++) {
                assertEquals(t.toQueue4(i), atPort.get(i), "frame " + i + " at the port");
                assertEquals(!t.toQueue4(i), hosts[0].seen.get(i), "frame " + i + " at the host");
            }
            VnicStats s = nic.stats();
            assertEquals(1000, s.rxPackets()[4]);
            assertEquals(1000, s.rxRing()[4]);
            assertEquals(0, s.rxHost()[4]);
            for (int q = 0; q < 10; q++) {
                if (q != 4) {
                    assertEquals(0, s.rxRing()[q]);
                    assertEquals(s.rxPackets()[q], s.rxHost()[q]);
                    assertTrue(s.rxPackets()[q] > 150, "RSS spreads over queue " + q + ": " + s.rxPackets()[q]);
                }
            }
            assertEquals(1000, s.fdirMatch());
            assertEquals(2000, s.fdirMiss());
            assertCountersAddUp(s, port.received());
        }
    }

    /** wire = sum over queues (+ rule drops) = port + host + counted drops. */
    private static void assertCountersAddUp(VnicStats s, long port) {
        long queues = s.sum(s.rxPackets());
        assertEquals(s.wirePackets(), queues + s.ntupleDrops() + s.oversize());
        assertEquals(queues, s.sum(s.rxRing()) + s.sum(s.rxHost()) + s.sum(s.rxMissed()));
        assertEquals(s.sum(s.rxRing()), port);
        assertEquals(s.wireBytes(), s.sum(s.rxBytes()) + 0, "no dropped bytes in this traffic");
    }

    @Test
    void closingGivesTheQueueAndEveryFrameInTheRingBackToTheHost() {
        Recorder[] hosts = new Recorder[4];
        int[] made = {0};
        HostStack host = new HostStack(10, () -> hosts[made[0]++] = new Recorder());
        try (Vnic nic = seedNic("eth5", host)) {
            VnicPort port = nic.open(PortName.parse("vnic:eth5~4", "vnic"));
            Traffic t = new Traffic(300, 2);
            assertEquals(300, nic.receive(t.batch, 0));
            port.rxSync();
            Ring ring = port.rxRing(0);
            int half = ring.add(ring.head(), 50);
            ring.advance(half);          // 50 read and released, not yet synced
            port.rxSync();
            assertEquals(100, nic.stats().rxRing()[4]);
            port.close();
            assertFalse(nic.rxBound(4));
            VnicStats s = nic.stats();
            assertEquals(50, s.rxRing()[4], "the 50 the application consumed");
            assertEquals(50, s.rxHost()[4], "the 50 still in the ring went to the host");
            assertEquals(250, hosts[0].seen.cardinality());
            assertEquals(0, hosts[0].duplicates);
            // The queue is the host's again.
            assertEquals(300, nic.receive(t.batch, 0));
            assertEquals(150, nic.stats().rxHost()[4]);
            // And can be bound again.
            try (VnicPort again = nic.open(PortName.parse("vnic:eth5-4/R", "vnic"))) {
                assertTrue(nic.rxBound(4));
            }
        }
    }

    @Test
    void bindAndUnbindUnderTrafficLoseNothing() throws Exception {
        List<Recorder> hosts = new java.util.concurrent.CopyOnWriteArrayList<>();
        HostStack host = new HostStack(10, () -> {
            Recorder r = new Recorder();
            hosts.add(r);
            return r;
        });
        try (Vnic nic = seedNic("eth6", host)) {
            nic.pause(true); // flow control: a full ring holds the wire back instead of dropping
            Traffic t = new Traffic(60_000, 3);
            AtomicBoolean done = new AtomicBoolean();
            Thread wire = new Thread(() -> {
                for (int i = 0; i < t.frames; ) {
                    int end = Math.min(i + 64, t.frames);
                    WireBatch b = new WireBatch(t.memory, 64);
                    for (int k = i; k < end; k++) {
                        b.add(t.batch.offset(k), t.batch.length(k));
                    }
                    int at = 0;
                    while ((at = nic.receive(b, at)) < b.count()) {
                        Thread.onSpinWait();
                    }
                    i = end;
                    java.util.concurrent.locks.LockSupport.parkNanos(100_000); // let the port open and close often
                }
                done.set(true);
            });
            wire.start();
            BitSet app = new BitSet();
            int duplicates = 0;
            int opens = 0;
            SplittableRandom random = new SplittableRandom(4);
            while (!done.get()) {
                try (VnicPort port = nic.open(PortName.parse("vnic:eth6-4/R", "vnic"))) {
                    opens++;
                    int syncs = 1 + random.nextInt(8);
                    for (int n = 0; n < syncs; n++) {
                        port.rxSync();
                        Ring ring = port.rxRing(0);
                        // Consume part of what is there; the rest stays in the ring at close.
                        int take = random.nextInt(ring.space() + 1);
                        int i = ring.head();
                        for (int k = 0; k < take; k++) {
                            int seq = ring.buffers().get(ValueLayout.JAVA_INT_UNALIGNED, ring.offset(i) + SEQ_OFFSET);
                            if (app.get(seq)) {
                                duplicates++;
                            }
                            app.set(seq);
                            i = ring.next(i);
                        }
                        ring.advance(i);
                    }
                }
            }
            wire.join();
            BitSet all = new BitSet();
            int hostDuplicates = 0;
            for (Recorder h : hosts) {
                all.or(h.seen);
                hostDuplicates += h.duplicates;
            }
            assertTrue(opens > 5, "the port was opened and closed " + opens + " times");
            assertEquals(0, duplicates);
            assertEquals(0, hostDuplicates);
            assertFalse(app.intersects(all), "no frame reached both the port and the host");
            all.or(app);
            assertEquals(t.frames, all.cardinality(), "every frame reached the port or the host");
            VnicStats s = nic.stats();
            assertEquals(0, s.sum(s.rxMissed()));
            assertEquals(app.cardinality(), s.sum(s.rxRing()));
            assertEquals(t.frames - app.cardinality(), s.sum(s.rxHost()));
            assertEquals(t.frames, s.wirePackets());
        }
    }

    @Test
    void aQueueHasOneOwnerAndABadNameChangesNothing() {
        try (Vnic nic = seedNic("eth7", new HostStack(10))) {
            try (VnicPort port = nic.open(PortName.parse("vnic:eth7-4/R", "vnic"))) {
                PortException e = assertThrows(PortException.class, () -> nic.open(PortName.parse("vnic:eth7/R", "vnic")));
                assertEquals("eth7: RX queue 4 is already bound to vnic:eth7-4/R", e.getMessage());
                for (int q = 0; q < 10; q++) {
                    assertEquals(q == 4, nic.rxBound(q), "the failed open left queue " + q + " as it was");
                }
            }
            assertEquals("vnic:eth7-12: vnic eth7 has queues 0..9, no queue 12",
                    assertThrows(PortException.class, () -> nic.open(PortName.parse("vnic:eth7-12", "vnic"))).getMessage());
            assertEquals("vnic:eth7{1: vnic has no pipes",
                    assertThrows(PortException.class, () -> nic.open(PortName.parse("vnic:eth7{1", "vnic"))).getMessage());
            int free = nic.pool().available();
            try (VnicPort all = nic.open(PortName.parse("vnic:eth7*@conf:slots=64", "vnic"))) {
                assertEquals(11, all.rxRings());
                assertEquals(11, all.txRings());
                assertTrue(all.isHostRx(10));
                assertEquals(64, all.rxRing(0).slots());
            }
            assertEquals(free, nic.pool().available(), "closing gave every buffer back");
        }
    }

    @Test
    void hostRingsCarryTrafficBetweenThePortAndTheHostStack() {
        Recorder[] hosts = new Recorder[4];
        int[] made = {0};
        HostStack host = new HostStack(10, () -> hosts[made[0]++] = new Recorder());
        try (Vnic nic = seedNic("eth8", host); VnicPort sw = nic.open(PortName.parse("vnic:eth8^", "vnic"))) {
            Traffic t = new Traffic(10, 5);
            for (int i = 0; i < 10; i++) {
                nic.hostTransmit(t.memory, t.batch.offset(i), t.batch.length(i));
            }
            sw.rxSync();
            Ring rx = sw.rxRing(0);
            Ring tx = sw.txRing(0);
            assertEquals(10, rx.space(), "what the host transmits arrives on the host RX ring");
            int j = tx.head();
            for (int i = rx.head(); i != rx.tail(); i = rx.next(i)) {
                rx.swapInto(i, tx, j);
                j = tx.next(j);
            }
            rx.advance(rx.tail());
            tx.advance(j);
            sw.txSync();
            assertEquals(10, host.packets(HostStack.HOST_RING), "the host TX ring hands frames up to the host stack");
            assertEquals(10, hosts[1].seen.cardinality());
        }
    }
}
