package io.netbypass.linux.backend;

import io.netbypass.backend.PortBackend;
import io.netbypass.backend.PortOptions;
import io.netbypass.linux.SocketProbe;
import io.netbypass.linux.afpacket.AfPacketPort;
import io.netbypass.linux.afpacket.PacketDescriptor;
import io.netbypass.port.Port;
import io.netbypass.port.PortName;

import java.util.ArrayList;
import java.util.List;

/** The {@code afpacket:} backend: AF_PACKET sockets with TPACKET_V3 rings (see {@link AfPacketPort}). */
public final class AfPacketBackend implements PortBackend {
    private final SocketProbe probe = new SocketProbe(PacketDescriptor.AF_PACKET, PacketDescriptor.SOCK_RAW,
            "AF_PACKET", "CONFIG_PACKET", "CAP_NET_RAW");

    @Override
    public String prefix() {
        return "afpacket";
    }

    @Override
    public String unavailable() {
        return probe.unavailable();
    }

    @Override
    public Port open(PortName name, PortOptions options) {
        return AfPacketPort.open(name, options);
    }

    @Override
    public boolean sharesTraffic() {
        return true;
    }

    /** Ports in one fanout group: each sees its share of the interface's frames (by flow, by default). */
    @Override
    public List<Port> openMembers(PortName name, PortOptions options, int members) {
        List<Port> out = new ArrayList<>();
        try {
            int group = AfPacketPort.NEW_GROUP;
            for (int i = 0; i < members; i++) {
                AfPacketPort p = AfPacketPort.open(name, options, group);
                out.add(p);
                group = p.fanoutGroup();
            }
            return out;
        } catch (RuntimeException e) {
            out.forEach(Port::close);
            throw e;
        }
    }
}
