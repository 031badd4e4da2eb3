package io.netbypass.cli;

import io.netbypass.backend.Ports;
import io.netbypass.linux.Errno;
import io.netbypass.linux.LinuxException;
import io.netbypass.linux.Native;
import io.netbypass.port.PortName;
import io.netbypass.util.UserException;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * Port names as an operator types them. A name with a backend prefix is taken as it is. A bare
 * name (or netmap's {@code netmap:} prefix) that names a network interface here means
 * {@code xdp:} on it, said once; any other bare name is an error listing the prefixes. The
 * in-process software NIC is only ever {@code vnic:}, so a forgotten prefix never runs on made-up
 * traffic.
 */
final class PortNames {
    private PortNames() {
    }

    static String resolve(String text, PrintWriter out) {
        if (text == null || text.isBlank() || PortName.hasBackend(text)) {
            return text;
        }
        String bare = text.startsWith("netmap:") ? text.substring("netmap:".length()) : text;
        String device = PortName.parse("xdp:" + bare, "xdp").device();
        try {
            Native.ifIndex(device);
        } catch (LinuxException e) {
            if (e.errno() == Errno.ENODEV) {
                throw new UserException("no such network interface: " + device + " (a port name starts with its backend: "
                        + Ports.PREFIXES + ")");
            }
            throw new UserException("'" + text + "': " + e.getMessage());
        }
        out.printf(Locale.ROOT, "[+] %s is a network interface here: taking it as xdp:%s (vnic:%s would be the in-process software"
                + " NIC)%n", device, bare, device);
        out.flush();
        return "xdp:" + bare;
    }
}
