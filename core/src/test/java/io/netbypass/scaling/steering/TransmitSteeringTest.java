package io.netbypass.scaling.steering;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class TransmitSteeringTest {
    @Test
    void withoutXpsTheHashHighBitsPickTheQueueAndForwardedPacketsKeepTheirRxQueue() {
        TransmitSteering t = new TransmitSteering(4, 8, new Backlogs(4));
        assertEquals(3, t.pickTx(null, 0xffffffff, 0, false, -1));
        assertEquals(0, t.pickTx(null, 0x3fffffff, 0, false, -1));
        assertEquals(1, t.pickTx(null, 0x40000000, 0, false, -1));
        assertEquals(2, t.pickTx(null, 0xffffffff, 0, false, 6), "RX queue 6 of 4 TX queues: 6 - 4");
        assertEquals(3, t.pickTx(null, 0, 0, false, 3));
        assertEquals(0, new TransmitSteering(1, 1, new Backlogs(1)).pickTx(null, 0xffffffff, 0, true, -1));
    }

    @Test
    void aConnectedFlowKeepsItsQueueUntilNothingIsInFlight() {
        Backlogs cpus = new Backlogs(4);
        TransmitSteering t = new TransmitSteering(4, 4, cpus);
        t.setXpsCpus(0, CpuMask.of(0));
        t.setXpsCpus(1, CpuMask.of(1));
        t.setXpsCpus(2, CpuMask.of(2));
        t.setXpsCpus(3, CpuMask.of(3));
        TxFlow connected = new TxFlow(true);
        assertEquals(1, t.pickTx(connected, 0x1234, 1, false, -1));
        assertEquals(1, connected.txQueue());
        assertEquals(1, t.pickTx(connected, 0x1234, 3, false, -1), "moved to CPU 3 with packets in flight: keep queue 1");
        assertEquals(3, t.pickTx(connected, 0x1234, 3, true, -1), "ooo_okay: re-pick by the sending CPU");
        assertEquals(3, connected.txQueue());
        connected.routeChanged();
        assertEquals(2, t.pickTx(connected, 0x1234, 2, false, -1), "route change forgets the cache");
        TxFlow unconnected = new TxFlow(false);
        assertEquals(0, t.pickTx(unconnected, 0x1234, 0, false, -1));
        assertEquals(-1, unconnected.txQueue(), "no route cache, nothing remembered");
    }

    @Test
    void xpsByRxQueueComesBeforeXpsByCpu() {
        TransmitSteering t = new TransmitSteering(8, 4, new Backlogs(4));
        t.setXpsCpus(0, CpuMask.parse("f"));
        t.setXpsRxqs(5, CpuMask.of(2));
        TxFlow f = new TxFlow(false);
        assertEquals(0, t.pickTx(f, 0x9999, 1, true, -1));
        f.receivedOn(2);
        assertEquals(5, t.pickTx(f, 0x9999, 1, true, -1));
        f.receivedOn(3);
        assertEquals(0, t.pickTx(f, 0x9999, 1, true, -1), "RX queue 3 has no map: fall back to the CPU map");
        assertEquals(CpuMask.of(2), t.xpsRxqs(5));
    }

    @Test
    void mapsKeepWriteOrderAndAHashSpreadsOverSeveralQueues() {
        Backlogs cpus = new Backlogs(2);
        TransmitSteering t = new TransmitSteering(8, 1, cpus);
        t.setXpsCpus(6, CpuMask.of(0));
        t.setXpsCpus(2, CpuMask.of(0));
        t.setXpsCpus(4, CpuMask.of(0, 1));
        assertArrayEquals(new int[] {6, 2, 4}, t.cpuMap(0));
        assertEquals(6, t.pickTx(null, 0x00000000, 0, false, -1));
        assertEquals(2, t.pickTx(null, 0x60000000, 0, false, -1));
        assertEquals(4, t.pickTx(null, 0xffffffff, 0, false, -1));
        assertEquals(4, t.pickTx(null, 0x00000000, 1, false, -1), "CPU 1 maps to queue 4 alone");
        t.setXpsCpus(6, CpuMask.of());
        assertArrayEquals(new int[] {4, 2}, t.cpuMap(0), "removal moves the last queue into the hole");
        assertEquals(CpuMask.of(0, 1), t.xpsCpus(4));
        cpus.setOnline(1, false);
        t.setXpsCpus(3, CpuMask.of(0, 1));
        assertEquals(CpuMask.of(0), t.xpsCpus(3), "offline CPUs are not added");
    }
}
