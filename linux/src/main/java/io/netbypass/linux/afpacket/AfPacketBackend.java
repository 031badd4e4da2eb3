package io.netbypass.linux.afpacket;

import io.netbypass.backend.PortBackend;
import io.netbypass.backend.PortOptions;
import io.netbypass.linux.Errno;
import io.netbypass.linux.LinuxException;
import io.netbypass.linux.Native;
import io.netbypass.port.Port;
import io.netbypass.port.PortName;

/** The {@code afpacket:} backend: AF_PACKET sockets with TPACKET_V3 rings (see {@link AfPacketPort}). */
public final class AfPacketBackend implements PortBackend {
    private volatile String cause;

    @Override
    public String prefix() {
        return "afpacket";
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

    /** Opens and closes an AF_PACKET socket once: null when that works, else why not. */
    private String probe() {
        String c = cause;
        if (c != null) {
            return c.isEmpty() ? null : c;
        }
        if (!System.getProperty("os.name", "").equals("Linux")) {
            c = "AF_PACKET is Linux only";
        } else {
            try {
                Native.close(Native.socket(PacketDescriptor.AF_PACKET, PacketDescriptor.SOCK_RAW, 0, "AF_PACKET"));
                c = "";
            } catch (LinuxException e) {
                c = switch (e.errno()) {
                    case Errno.EAFNOSUPPORT -> "this kernel has no AF_PACKET sockets (CONFIG_PACKET)";
                    case Errno.EPERM, Errno.EACCES -> "AF_PACKET needs root (CAP_NET_RAW): " + e.getMessage();
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
        return AfPacketPort.open(name, options);
    }
}
