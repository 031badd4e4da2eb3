package io.netbypass.linux.afxdp;

import io.netbypass.backend.PortBackend;
import io.netbypass.backend.PortOptions;
import io.netbypass.linux.Errno;
import io.netbypass.linux.LinuxException;
import io.netbypass.linux.Native;
import io.netbypass.port.Port;
import io.netbypass.port.PortName;

/** The {@code xdp:} backend: AF_XDP sockets and our XDP program (see {@link XdpPort}). */
public final class XdpBackend implements PortBackend {
    private volatile String cause;

    @Override
    public String prefix() {
        return "xdp";
    }

    @Override
    public boolean isAvailable() {
        return probe() == null;
    }

    @Override
    public String unavailabilityCause() {
        String c = probe();
        return c == null ? "available" : c;
    }

    /** Opens and closes an AF_XDP socket once: null when that works, else why not. */
    private String probe() {
        String c = cause;
        if (c != null) {
            return c.isEmpty() ? null : c;
        }
        if (!System.getProperty("os.name", "").equals("Linux")) {
            c = "AF_XDP is Linux only";
        } else {
            try {
                Native.close(Native.socket(XdpDescriptor.AF_XDP, XdpDescriptor.SOCK_RAW, 0, "AF_XDP"));
                c = "";
            } catch (LinuxException e) {
                c = switch (e.errno()) {
                    case Errno.EAFNOSUPPORT -> "this kernel has no AF_XDP sockets (CONFIG_XDP_SOCKETS)";
                    case Errno.EPERM, Errno.EACCES -> "AF_XDP needs root (CAP_NET_RAW, CAP_NET_ADMIN, CAP_BPF): " + e.getMessage();
                    default -> e.getMessage();
                };
            } catch (UnsatisfiedLinkError | RuntimeException e) {
                c = "no C library to call: " + e.getMessage();
            }
        }
        cause = c;
        return c.isEmpty() ? null : c;
    }

    @Override
    public Port open(PortName name, PortOptions options) {
        if (name.register() == PortName.Register.SW) {
            return io.netbypass.linux.tap.TapPort.hostPathOf(name, name.device(), true); // xdp:IF^: the host rings
        }
        return XdpPort.open(name, options);
    }
}
