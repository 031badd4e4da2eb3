package io.netbypass.filter.engine;

import io.netbypass.backend.vnic.HostStack;
import io.netbypass.backend.vnic.Vnic;
import io.netbypass.backend.vnic.VnicPort;
import io.netbypass.filter.engine.FilterEngine;
import io.netbypass.filter.engine.FilterProgram;
import io.netbypass.packet.IpProtocols;
import io.netbypass.port.BufferPool;
import io.netbypass.port.PortName;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

import org.junit.jupiter.api.Test;

import static io.netbypass.testing.Frames.*;
import static org.junit.jupiter.api.Assertions.*;

/** Verdicts reach the right place: drop nowhere, pass to the host stack, tx back out of the wire; jumbo frames whole. */
class FilterEngineTest {
    @Test
    void dropPassAndTxEachLandWhereTheySay() throws Exception {
        List<byte[]> toHost = Collections.synchronizedList(new ArrayList<>());
        List<byte[]> onWire = new ArrayList<>();
        HostStack host = new HostStack(1, () -> (queue, segment, offset, length) ->
                toHost.add(segment.asSlice(offset, length).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)));
        try (Vnic nic = new Vnic("fe" + ProcessHandle.current().pid(), 1, 256, new BufferPool(2048, 2048), host)) {
            nic.features(false, false);
            nic.wireOut((queue, segment, offset, length) ->
                    onWire.add(segment.asSlice(offset, length).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)));
            FilterProgram program = FilterProgram.parse("t.rules", """
                    tx   udp dst port 7     name echo
                    drop udp dst port 9     name discard
                    default pass
                    """, null);
            byte[] echo = ethernet(0x0800, ipv4("198.18.0.1", "198.18.0.2", IpProtocols.UDP, udp(1000, 7, "ping".getBytes())));
            byte[] discard = ethernet(0x0800, ipv4("198.18.0.1", "198.18.0.2", IpProtocols.UDP, udp(1000, 9, new byte[10])));
            byte[] jumbo = ethernet(0x0800, ipv4("198.18.0.1", "198.18.0.2", IpProtocols.UDP, udp(1000, 80, new byte[5000])));
            jumbo[jumbo.length - 1] = 0x5a;
            try (VnicPort port = nic.open(PortName.parse("vnic:" + nic.name() + "-0", "vnic"))) {
                FilterEngine engine = new FilterEngine(port, program);
                for (int i = 0; i < 300; i++) { // more than a ring's worth: slots come back and are reused
                    byte[] f = i % 3 == 0 ? echo : i % 3 == 1 ? discard : jumbo;
                    assertTrue(nic.receive(MemorySegment.ofArray(f), 0, f.length));
                    engine.doWork(i);
                }
                engine.doWork(301);
                engine.doWork(302);
                assertEquals(300, engine.counters().received());
                assertEquals(100, engine.counters().transmitted());
                assertEquals(100, engine.counters().dropped());
                assertEquals(100, engine.counters().passed());
                assertEquals(100, program.packets(0));
                assertEquals(100, program.packets(1));
                assertEquals(100, program.packets(2));
                assertEquals(100L * jumbo.length, program.bytes(2), "a jumbo frame counts all its slots' bytes");
            }
            assertEquals(100, onWire.size(), "every tx verdict left on the wire");
            for (byte[] f : onWire) {
                assertArrayEquals(echo, f);
            }
            assertEquals(100, toHost.size(), "every pass verdict reached the host stack");
            for (byte[] f : toHost) {
                assertTrue(Arrays.equals(jumbo, f), "the 3-slot jumbo frame reached the host whole");
            }
        }
    }
}
