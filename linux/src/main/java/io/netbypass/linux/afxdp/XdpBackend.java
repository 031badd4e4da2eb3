package io.netbypass.linux.afxdp;

import io.netbypass.backend.PortBackend;
import io.netbypass.backend.PortOptions;
import io.netbypass.linux.SocketProbe;
import io.netbypass.port.Port;
import io.netbypass.port.PortName;

/** The {@code xdp:} backend: AF_XDP sockets and our XDP program (see {@link XdpPort}). */
public final class XdpBackend implements PortBackend {
    private final SocketProbe probe = new SocketProbe(XdpDescriptor.AF_XDP, XdpDescriptor.SOCK_RAW,
            "AF_XDP", "CONFIG_XDP_SOCKETS", "CAP_NET_RAW, CAP_NET_ADMIN, CAP_BPF");

    @Override
    public String prefix() {
        return "xdp";
    }

    @Override
    public String unavailable() {
        return probe.unavailable();
    }

    @Override
    public Port open(PortName name, PortOptions options) {
        if (name.register() == PortName.Register.SW) {
            return io.netbypass.linux.tap.TapPort.hostPathOf(name, name.device(), true); // xdp:IF^: the host rings
        }
        return XdpPort.open(name, options);
    }
}
