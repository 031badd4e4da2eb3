package io.netbypass.linux.tap;

import io.netbypass.linux.Errno;
import io.netbypass.linux.LinuxException;
import io.netbypass.linux.Native;
import io.netbypass.port.PortException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/**
 * A TAP made ready for a port: {@code tap:NAME} as it is, or a TAP standing for interface IF
 * toward the kernel ({@code xdp:IF^}, and the host path of {@code xdp:IF}), named nbh + IF's
 * index, with IF's MAC and MTU and no reverse-path filtering, so the kernel accepts the frames
 * it is given as traffic for IF's addresses; its IPv6 makes no addresses of its own. The TAP goes
 * away when its descriptor closes, or with the process. Errors are one-line {@link PortException}s
 * naming the port.
 */
record TapSetup(TapDevice tap, String description) {
    /** {@code tap:NAME}: creates (or joins) TAP NAME, up, with the offloads we complete ourselves. */
    static TapSetup named(String portName, String tapName) {
        return new TapSetup(open(portName, tapName, null, null, 0), "TAP " + tapName);
    }

    /** The TAP standing for {@code ifName}. */
    static TapSetup standingFor(String portName, String ifName, boolean gro) {
        byte[] mac;
        int mtu;
        String tapName;
        try {
            tapName = "nbh" + Native.ifIndex(ifName);
            mac = TapDevice.macOf(ifName);
            mtu = TapDevice.mtuOf(ifName);
        } catch (LinuxException e) {
            throw new PortException(portName + ": " + (e.errno() == Errno.ENODEV ? "no such network interface: " + ifName : e.getMessage()));
        }
        String all = rpFilterAll();
        return new TapSetup(open(portName, tapName, ifName, mac, mtu), "host path of " + ifName + " through TAP " + tapName
                + (gro ? " (GRO on)" : " (GRO off)") + (all.equals("0") ? "" : "; WARNING net.ipv4.conf.all.rp_filter=" + all
                + " makes the kernel drop what the host path gives it (IPReversePathFilter): sysctl -w net.ipv4.conf.all.rp_filter=0"));
    }

    private static String rpFilterAll() {
        try {
            return Files.readString(Path.of("/proc/sys/net/ipv4/conf/all/rp_filter")).strip();
        } catch (IOException e) {
            return "0";
        }
    }

    /** /proc/sys/net/ipv6/conf/IF/disable_ipv6 ("0" or "1"), or null without IPv6. */
    private static String ipv6Disabled(String ifName) {
        try {
            return Files.readString(Path.of("/proc/sys/net/ipv6/conf", ifName, "disable_ipv6")).strip();
        } catch (IOException | InvalidPathException e) {
            return null;
        }
    }

    private static TapDevice open(String portName, String tapName, String standsFor, byte[] mac, int mtu) {
        TapDevice tap = null;
        try {
            tap = TapDevice.open(tapName);
            // Whatever the kernel sends us large or unchecksummed, we split and complete (Gso, checksums).
            tap.offloads(TapDevice.TUN_F_CSUM | TapDevice.TUN_F_TSO4 | TapDevice.TUN_F_TSO6 | TapDevice.TUN_F_TSO_ECN);
            if (mac != null) {
                // Off: the TAP has no address of its own, and the kernel's reverse-path check fails every
                // source on an interface without one, strict or loose (conf/all still counts: see above).
                tap.sysctl("ipv4/conf/%s/rp_filter", "0");
                tap.sysctl("ipv6/conf/%s/addr_gen_mode", "1"); // no link-local address, no DAD or RS from it
                tap.sysctl("ipv6/conf/%s/accept_ra", "0");
                // IPv6 as on the interface it stands for: a TAP made where new interfaces get IPv6 off
                // (conf/default) would drop every IPv6 packet the filter passes.
                if (standsFor != null && "0".equals(ipv6Disabled(standsFor))) {
                    tap.sysctl("ipv6/conf/%s/disable_ipv6", "0");
                }
            }
            tap.configure(mac, mtu);
            return tap;
        } catch (LinuxException e) {
            if (tap != null) {
                tap.close();
            }
            String m = e.getMessage();
            throw new PortException(portName + ": " + m + (e.errno() == Errno.EPERM || e.errno() == Errno.EACCES
                    ? "; a TAP needs root (CAP_NET_ADMIN)" : e.errno() == Errno.ENOENT ? "; no /dev/net/tun (modprobe tun)" : ""));
        } catch (RuntimeException e) {
            if (tap != null) {
                tap.close();
            }
            throw e instanceof PortException ? e : new PortException(portName + ": " + e.getMessage());
        }
    }
}
