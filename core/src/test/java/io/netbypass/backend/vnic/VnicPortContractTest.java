package io.netbypass.backend.vnic;

import io.netbypass.port.Port;
import io.netbypass.port.PortContract;
import io.netbypass.port.PortName;
import io.netbypass.scaling.rss.IndirectionTable;

import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** The ring contract on the software NIC: frames on its wire arrive on queue 0's ring; its TX ring puts frames on the wire. */
class VnicPortContractTest extends PortContract {
    @Override
    protected Backend backend() {
        Vnic nic = new Vnic("c" + System.nanoTime() % 100000, 1, 64, null, null);
        nic.indirection(IndirectionTable.equal(128, 1, 0));
        List<byte[]> wire = Collections.synchronizedList(new ArrayList<>());
        nic.wireOut((queue, segment, offset, length) -> wire.add(segment.asSlice(offset, length).toArray(ValueLayout.JAVA_BYTE)));
        return new Backend() {
            @Override
            public Port openReceiver(List<byte[]> frames) {
                Port port = nic.open(PortName.parse("vnic:" + nic.name() + "-0/R", "vnic"));
                for (byte[] f : frames) {
                    Wire.send(nic, f);
                }
                return port;
            }

            @Override
            public Port openTransmitter() {
                return nic.open(PortName.parse("vnic:" + nic.name() + "-0/T", "vnic"));
            }

            @Override
            public List<byte[]> sent(Port transmitter, int count) {
                return new ArrayList<>(wire);
            }

            @Override
            public void close() {
                nic.close();
            }
        };
    }
}
