package io.netbypass.backend.vnic;

import static org.junit.jupiter.api.Assertions.*;

import io.netbypass.port.PortName;
import io.netbypass.port.Ring;
import io.netbypass.scaling.rss.IndirectionTable;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

/** netmap's ring contract, exercised through a vnic port (the I/O side every backend shares). */
class RingContractTest {
    /** A one-queue NIC whose queue 0 gets everything, with small rings to reach wrap-around quickly. */
    private static Vnic nic(int slots) {
        Vnic nic = new Vnic("t" + System.nanoTime() % 100000, 1, slots, null, null);
        nic.indirection(IndirectionTable.equal(128, 1, 0));
        return nic;
    }

    private static PortName name(Vnic nic, String suffix) {
        return PortName.parse("vnic:" + nic.name() + suffix, "vnic");
    }

    private static byte[] frame(int i) {
        return Wire.udp("198.18.0." + (1 + i % 200), 1000 + i, "198.19.0.1", 7, 10 + i % 50);
    }

    @Test
    void rxExposesArrivalsBetweenHeadAndTailOnlyAfterSync() {
        try (Vnic nic = nic(8); VnicPort port = nic.open(name(nic, "-0/R"))) {
            Ring ring = port.rxRing(0);
            assertEquals(0, ring.head());
            assertEquals(0, ring.tail());
            assertTrue(ring.isEmpty());
            assertTrue(Wire.send(nic, frame(0)));
            assertTrue(Wire.send(nic, frame(1)));
            assertTrue(ring.isEmpty(), "tail moves only inside a sync");
            assertEquals(0, port.rxSync());
            assertEquals(2, ring.tail());
            assertEquals(2, ring.space());
            assertArrayEquals(frame(0), Wire.read(ring, 0));
            assertArrayEquals(frame(1), Wire.read(ring, 1));
            ring.advance(1);
            port.rxSync();
            assertEquals(1, ring.head());
            assertEquals(2, ring.tail());
        }
    }

    @Test
    void oneSlotAlwaysStaysEmpty() {
        try (Vnic nic = nic(8); VnicPort port = nic.open(name(nic, "-0/R"))) {
            for (int i = 0; i < 20; i++) {
                Wire.send(nic, frame(i));
            }
            port.rxSync();
            Ring ring = port.rxRing(0);
            assertEquals(7, ring.space(), "8 slots hold at most 7 packets");
            assertEquals(7, ring.tail());
            VnicStats s = nic.stats();
            assertEquals(7, s.rxRing()[0]);
            assertEquals(13, s.rxMissed()[0], "the rest are counted as ring-full drops");
            assertEquals(20, s.wirePackets());
        }
    }

    @Test
    void wrapsAroundManyTimesWithoutLosingOrder() {
        try (Vnic nic = nic(5); VnicPort port = nic.open(name(nic, "-0/R"))) {
            Ring ring = port.rxRing(0);
            int sent = 0;
            int got = 0;
            for (int round = 0; round < 50; round++) {
                int burst = 1 + round % 4;
                for (int b = 0; b < burst; b++) {
                    assertTrue(Wire.send(nic, frame(sent)));
                    sent++;
                }
                port.rxSync();
                int i = ring.head();
                while (i != ring.tail()) {
                    assertArrayEquals(frame(got), Wire.read(ring, i), "packet " + got + " at slot " + i);
                    got++;
                    i = ring.next(i);
                }
                ring.advance(i);
                port.rxSync(); // released slots go back to the NIC only in a sync
            }
            assertEquals(sent, got);
            assertEquals(0, nic.stats().rxMissed()[0]);
        }
    }

    @Test
    void headOutsideTheApplicationsSlotsIsRefusedAndReset() {
        try (Vnic nic = nic(8); VnicPort port = nic.open(name(nic, "-0/R"))) {
            Wire.send(nic, frame(0));
            port.rxSync();
            Ring ring = port.rxRing(0);
            ring.advance(5); // past tail (1): slots the application never owned
            assertEquals(1, port.rxSync());
            assertEquals(1, port.syncErrors());
            assertEquals(0, ring.head(), "head/cur put back to the device's view");
            assertEquals(1, ring.tail());
            ring.head(0);
            ring.cur(7); // cur before head
            assertEquals(1, port.rxSync());
            ring.advance(1);
            assertEquals(0, port.rxSync());
        }
    }

    @Test
    void txSendsSlotsBeforeHeadAndReclaimsThem() {
        try (Vnic nic = nic(8); VnicPort port = nic.open(name(nic, "-0/T"))) {
            List<byte[]> out = new ArrayList<>();
            nic.wireOut((q, s, o, l) -> out.add(s.asSlice(o, l).toArray(ValueLayout.JAVA_BYTE)));
            Ring ring = port.txRing(0);
            assertEquals(0, port.rxRings());
            assertEquals(7, ring.space(), "a TX ring starts with n - 1 free slots");
            for (int round = 0; round < 5; round++) {
                int i = ring.head();
                for (int k = 0; k < 5; k++) {
                    byte[] f = frame(round * 5 + k);
                    MemorySegment.copy(MemorySegment.ofArray(f), 0, ring.buffers(), ring.offset(i), f.length);
                    ring.setLength(i, f.length);
                    i = ring.next(i);
                }
                ring.cur(i);
                assertEquals(2, ring.space());
                ring.head(i);
                assertEquals(round * 5, out.size(), "nothing leaves before the sync");
                port.txSync();
                assertEquals(7, ring.space());
            }
            assertEquals(25, out.size());
            for (int n = 0; n < 25; n++) {
                assertArrayEquals(frame(n), out.get(n));
            }
            assertEquals(25, nic.stats().txPackets()[0]);
        }
    }

    @Test
    void zeroCopySwapForwardsBetweenPortsOnOnePool() {
        try (Vnic nic = nic(8);
             VnicPort rxPort = nic.open(name(nic, "-0/R"));
             VnicPort txPort = nic.open(name(nic, "-0/T"))) {
            List<byte[]> out = new ArrayList<>();
            nic.wireOut((q, s, o, l) -> out.add(s.asSlice(o, l).toArray(ValueLayout.JAVA_BYTE)));
            Ring rx = rxPort.rxRing(0);
            Ring tx = txPort.txRing(0);
            for (int round = 0; round < 6; round++) {
                for (int k = 0; k < 3; k++) {
                    Wire.send(nic, frame(round * 3 + k));
                }
                rxPort.rxSync();
                int i = rx.head();
                int j = tx.head();
                while (i != rx.tail()) {
                    int rxBuffer = rx.bufferIndex(i);
                    int txBuffer = tx.bufferIndex(j);
                    rx.swapInto(i, tx, j);
                    assertEquals(rxBuffer, tx.bufferIndex(j));
                    assertEquals(txBuffer, rx.bufferIndex(i));
                    assertEquals(Ring.BUF_CHANGED, rx.slotFlags(i) & Ring.BUF_CHANGED);
                    i = rx.next(i);
                    j = tx.next(j);
                }
                rx.advance(i);
                tx.advance(j);
                txPort.txSync();
                rxPort.rxSync();
            }
            assertEquals(18, out.size());
            for (int n = 0; n < 18; n++) {
                assertArrayEquals(frame(n), out.get(n), "frame " + n + " after swaps");
            }
            // Every buffer is still owned exactly once: the NIC refilled RX from the swapped buffers.
            int[] all = new int[16];
            for (int s = 0; s < 8; s++) {
                all[s] = rx.bufferIndex(s);
                all[8 + s] = tx.bufferIndex(s);
            }
            assertEquals(16, Arrays.stream(all).distinct().count());
        }
    }

    @Test
    void invalidSwappedBufferIsRefusedNotUsed() {
        try (Vnic nic = nic(8); VnicPort port = nic.open(name(nic, "-0/R"))) {
            Wire.send(nic, frame(0));
            port.rxSync();
            Ring ring = port.rxRing(0);
            int before = ring.bufferIndex(0);
            ring.setBufferIndex(0, 1); // reserved
            ring.setSlotFlags(0, Ring.BUF_CHANGED);
            ring.advance(1);
            port.rxSync();
            assertEquals(1, port.badSlots());
            assertEquals(before, ring.bufferIndex(0));
        }
    }

    @Test
    void forwardFlagHandsRxPacketsToTheHostOnlyWithTheRingFlag() {
        try (Vnic nic = nic(16); VnicPort port = nic.open(name(nic, "-0/R"))) {
            Ring ring = port.rxRing(0);
            for (int i = 0; i < 4; i++) {
                Wire.send(nic, frame(i));
            }
            port.rxSync();
            ring.setSlotFlags(0, Ring.SLOT_FORWARD);
            ring.advance(1);
            port.rxSync();
            assertEquals(0, port.forwarded(), "NS_FORWARD without NR_FORWARD is ignored");
            ring.flags(Ring.FORWARD);
            ring.setSlotFlags(1, Ring.SLOT_FORWARD);
            ring.setSlotFlags(3, Ring.SLOT_FORWARD);
            ring.advance(4);
            port.rxSync();
            assertEquals(2, port.forwarded());
            assertEquals(2, nic.host().packets(0));
            assertEquals(4, port.received());
        }
    }

    @Test
    void jumboFramesSpanSlotsWithMoreFragBothWays() {
        try (Vnic nic = nic(32); VnicPort port = nic.open(name(nic, "-0"))) {
            byte[] jumbo = Wire.udp("198.18.0.1", 1, "198.19.0.1", 2, 5000);
            assertEquals(5042, jumbo.length);
            Wire.send(nic, jumbo);
            port.rxSync();
            Ring rx = port.rxRing(0);
            assertEquals(3, rx.tail(), "5042 bytes in 2048-byte buffers: 3 slots");
            assertEquals(Ring.MOREFRAG, rx.slotFlags(0) & Ring.MOREFRAG);
            assertEquals(Ring.MOREFRAG, rx.slotFlags(1) & Ring.MOREFRAG);
            assertEquals(0, rx.slotFlags(2) & Ring.MOREFRAG);
            assertEquals(2048 + 2048 + 946, rx.length(0) + rx.length(1) + rx.length(2));
            assertEquals(1, port.received());

            List<byte[]> out = new ArrayList<>();
            nic.wireOut((q, s, o, l) -> out.add(s.asSlice(o, l).toArray(ValueLayout.JAVA_BYTE)));
            Ring tx = port.txRing(0);
            int j = tx.head();
            for (int i = 0; i < 3; i++) {
                rx.swapInto(i, tx, j);
                j = tx.next(j);
            }
            // Submit only the first two slots: the unfinished chain waits.
            tx.advance(2);
            port.txSync();
            assertEquals(0, out.size());
            tx.advance(3);
            port.txSync();
            assertEquals(1, out.size());
            assertArrayEquals(jumbo, out.get(0));
            rx.advance(3);
            port.rxSync();
        }
    }

    @Test
    void timestampFlagStampsTheRingAtEverySync() {
        try (Vnic nic = nic(8); VnicPort port = nic.open(name(nic, "-0/R"))) {
            Ring ring = port.rxRing(0);
            port.rxSync();
            assertEquals(0, ring.timestampNanos());
            ring.flags(Ring.TIMESTAMP);
            long before = System.currentTimeMillis() * 1_000_000L;
            port.rxSync();
            assertTrue(ring.timestampNanos() >= before - 1_000_000L);
        }
    }
}
