package io.netbypass.backend;

import io.netbypass.backend.pcap.PcapPort;
import io.netbypass.backend.vnic.Vnics;
import io.netbypass.port.Port;
import io.netbypass.port.PortException;
import io.netbypass.port.PortName;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/**
 * Opens a port by name on the backend its prefix names. The software NIC and capture files are
 * built in; other backends are {@link PortBackend} services, each probed with
 * {@code isAvailable()}; one that is missing here says so in one line. A name without a prefix
 * is refused here: what it means (a kernel interface, see the CLI's PortNames) is decided where
 * the OS can be asked, never silently the in-process software NIC.
 */
public final class Ports {
    /** The prefixes a port name may start with. */
    public static final String PREFIXES = "xdp:IF, afpacket:IF, tap:NAME, vnic:NAME (the in-process software NIC), pcap:FILE";

    /** What the caller will do with the port; backends whose direction is not in the name use it. */
    public enum Direction { RECEIVE, TRANSMIT, BOTH }

    private static final List<PortBackend> SERVICES = load();

    private Ports() {
    }

    private static List<PortBackend> load() {
        List<PortBackend> found = new ArrayList<>();
        ServiceLoader.load(PortBackend.class, Ports.class.getClassLoader()).forEach(found::add);
        return List.copyOf(found);
    }

    public static Port open(String text, Direction direction) {
        return open(text, PortOptions.of(direction));
    }

    public static Port open(String text, PortOptions options) {
        if (!PortName.hasBackend(text)) {
            throw new PortException("'" + text + "': a port name starts with its backend: " + PREFIXES);
        }
        return open(PortName.parse(text, "none"), options);
    }

    public static Port open(PortName name, Direction direction) {
        return open(name, PortOptions.of(direction));
    }

    public static Port open(PortName name, PortOptions options) {
        boolean steers = !options.steering().isEmpty();
        switch (name.backend()) {
            case "vnic" -> {
                refuseSteering(name, steers);
                return Vnics.open(name, options.wire());
            }
            case "pcap" -> {
                refuseSteering(name, steers);
                return switch (options.direction()) {
                    case RECEIVE -> PcapPort.openReceive(name);
                    case TRANSMIT -> PcapPort.openTransmit(name);
                    case BOTH -> throw new PortException(name + ": a capture file is opened either to read or to write");
                };
            }
            default -> {
                for (PortBackend b : SERVICES) {
                    if (b.prefix().equals(name.backend())) {
                        if (!b.isAvailable()) {
                            throw new PortException(name + ": backend '" + b.prefix() + "' is not available here: "
                                    + b.unavailabilityCause());
                        }
                        return b.open(name, options);
                    }
                }
                StringBuilder have = new StringBuilder("vnic, pcap");
                SERVICES.forEach(b -> have.append(", ").append(b.prefix()));
                throw new PortException(name + ": backend '" + name.backend() + "' is not available in this build yet"
                        + " (available: " + have + ")");
            }
        }
    }

    /** The RX queues of {@code device} on {@code backend} ({@code vnic}, {@code xdp}), for a port per queue. */
    public static int rxQueues(String backend, String device) {
        if (backend.equals("vnic")) {
            return Vnics.get(device).queues();
        }
        for (PortBackend b : SERVICES) {
            if (b.prefix().equals(backend)) {
                return b.rxQueues(device);
            }
        }
        throw new PortException(backend + ":" + device + ": ports of this backend are not opened queue by queue"
                + " (one port per queue: xdp: and vnic:)");
    }

    /** Whether several workers take {@code backend}'s traffic as fanout members rather than queue by queue. */
    public static boolean sharesTraffic(String backend) {
        for (PortBackend b : SERVICES) {
            if (b.prefix().equals(backend)) {
                return b.sharesTraffic();
            }
        }
        return false;
    }

    /** {@code members} ports that share the device's traffic ({@link PortBackend#openMembers}: afpacket's fanout). */
    public static List<Port> openMembers(PortName name, PortOptions options, int members) {
        for (PortBackend b : SERVICES) {
            if (b.prefix().equals(name.backend())) {
                if (!b.isAvailable()) {
                    throw new PortException(name + ": backend '" + b.prefix() + "' is not available here: " + b.unavailabilityCause());
                }
                return b.openMembers(name, options, members);
            }
        }
        throw new PortException(name + ": ports of this backend do not share a device's traffic between them");
    }

    private static void refuseSteering(PortName name, boolean steers) {
        if (steers) {
            throw new PortException(name + ": flow steering rules are for xdp: ports (on vnic, add them with 'netbypass ntuple')");
        }
    }
}
