package io.netbypass.backend.vnic;

import io.netbypass.packet.AddressText;
import io.netbypass.packet.FrameBuilder;
import io.netbypass.packet.IpProtocols;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** Test traffic for a vnic: frames built once, sent from an off-heap copy. */
final class Wire {
    private Wire() {
    }

    static byte[] udp(String src, int sport, String dst, int dport, int payload) {
        return new FrameBuilder().addresses(AddressText.parseIpv4(src), AddressText.parseIpv4(dst))
                .protocol(IpProtocols.UDP).ports(sport, dport).payload(payload).build();
    }

    static byte[] tcp(String src, int sport, String dst, int dport) {
        return new FrameBuilder().addresses(AddressText.parseIpv4(src), AddressText.parseIpv4(dst))
                .protocol(IpProtocols.TCP).ports(sport, dport).build();
    }

    static MemorySegment offHeap(byte[] frame) {
        MemorySegment s = Arena.ofAuto().allocate(Math.max(frame.length, 1));
        MemorySegment.copy(MemorySegment.ofArray(frame), 0, s, 0, frame.length);
        return s;
    }

    /** Sends a frame; true when the NIC took it. */
    static boolean send(Vnic nic, byte[] frame) {
        MemorySegment s = offHeap(frame);
        return nic.receive(s, 0, frame.length);
    }

    static byte[] read(io.netbypass.port.Ring ring, int slot) {
        return ring.buffers().asSlice(ring.offset(slot), ring.length(slot)).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
    }
}
