package io.netbypass.linux.backend;

import io.netbypass.backend.PortBackend;
import io.netbypass.backend.PortOptions;
import io.netbypass.linux.Errno;
import io.netbypass.linux.LinuxException;
import io.netbypass.linux.SocketProbe;
import io.netbypass.linux.afxdp.XdpDescriptor;
import io.netbypass.linux.afxdp.XdpPort;
import io.netbypass.linux.ethtool.Ethtool;
import io.netbypass.linux.tap.TapHostPath;
import io.netbypass.linux.tap.TapPort;
import io.netbypass.port.Port;
import io.netbypass.port.PortException;
import io.netbypass.port.PortName;

/** The {@code xdp:} backend: AF_XDP sockets and our XDP program (see {@link XdpPort}), a TAP as the way back to the kernel. */
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
    public int rxQueues(String device) {
        try {
            return Ethtool.rxQueues(device);
        } catch (LinuxException e) {
            throw new PortException("xdp:" + device + ": " + (e.errno() == Errno.ENODEV ? "no such network interface: " + device
                    : e.getMessage()));
        }
    }

    @Override
    public Port open(PortName name, PortOptions options) {
        if (name.register() == PortName.Register.SW) {
            return TapPort.standingFor(name, name.device(), true); // xdp:IF^: the host rings
        }
        return XdpPort.open(name, options, TapHostPath::of);
    }
}
