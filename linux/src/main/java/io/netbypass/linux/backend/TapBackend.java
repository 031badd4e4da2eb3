package io.netbypass.linux.backend;

import io.netbypass.backend.PortBackend;
import io.netbypass.backend.PortOptions;
import io.netbypass.linux.tap.TapPort;
import io.netbypass.port.Port;
import io.netbypass.port.PortException;
import io.netbypass.port.PortName;

import java.nio.file.Files;
import java.nio.file.Path;

/** The {@code tap:} backend: a TAP interface as a port (see {@link TapPort}). */
public final class TapBackend implements PortBackend {
    @Override
    public String prefix() {
        return "tap";
    }

    @Override
    public String unavailable() {
        if (!System.getProperty("os.name", "").equals("Linux")) {
            return "TAP interfaces are Linux only here";
        }
        return Files.exists(Path.of("/dev/net/tun")) ? null : "no /dev/net/tun (modprobe tun)";
    }

    @Override
    public Port open(PortName name, PortOptions options) {
        if (name.register() != PortName.Register.ALL_NIC) {
            throw new PortException(name + ": a tap: port is the whole interface (one RX and one TX ring)");
        }
        return TapPort.open(name, !options.hostPath() || options.gro());
    }
}
