package io.netbypass.backend;

import io.netbypass.backend.pcap.PcapPort;
import io.netbypass.backend.vnic.Vnics;
import io.netbypass.port.Port;
import io.netbypass.port.PortException;
import io.netbypass.port.PortName;

/**
 * Opens a port by name on the backend its prefix names ({@code vnic} when none). Each backend is
 * probed with {@code isAvailable()}; one that is missing here says so in one line.
 */
public final class Ports {
    /** The backend for names without a prefix: the in-process software NIC. */
    public static final String DEFAULT_BACKEND = "vnic";

    /** What the caller will do with the port; backends whose direction is not in the name use it. */
    public enum Direction { RECEIVE, TRANSMIT, BOTH }

    private Ports() {
    }

    public static Port open(String text, Direction direction) {
        return open(PortName.parse(text, DEFAULT_BACKEND), direction);
    }

    public static Port open(PortName name, Direction direction) {
        return switch (name.backend()) {
            case "vnic" -> Vnics.open(name);
            case "pcap" -> switch (direction) {
                case RECEIVE -> PcapPort.openReceive(name);
                case TRANSMIT -> PcapPort.openTransmit(name);
                case BOTH -> throw new PortException(name + ": a capture file is opened either to read or to write");
            };
            default -> throw new PortException(name + ": backend '" + name.backend() + "' is not available in this build yet"
                    + " (available: vnic, pcap)");
        };
    }
}
