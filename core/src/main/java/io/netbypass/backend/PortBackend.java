package io.netbypass.backend;

import io.netbypass.port.Port;
import io.netbypass.port.PortException;
import io.netbypass.port.PortName;

import java.util.List;

/**
 * A transport that opens ports of one name prefix, found with {@link java.util.ServiceLoader}:
 * backends that need the operating system live outside core (the {@code linux} module's
 * {@code xdp:}) and are probed with {@link #isAvailable()} before use, as Netty probes its
 * native transports.
 */
public interface PortBackend {
    /** The prefix of the port names it opens, e.g. {@code xdp}. */
    String prefix();

    /**
     * Null when this machine and process can open its ports at all (kernel features,
     * privileges), else one line saying why not.
     */
    String unavailable();

    default boolean isAvailable() {
        return unavailable() == null;
    }

    /** One line saying why {@link #isAvailable()} is false ("available" when it is not). */
    default String unavailabilityCause() {
        String cause = unavailable();
        return cause == null ? "available" : cause;
    }

    /**
     * The RX queues of {@code device}, for a filter that spreads them over workers (one port per
     * queue); a {@link PortException} when the backend has no such notion or the device none.
     */
    default int rxQueues(String device) {
        throw new PortException(prefix() + ": ports are not opened queue by queue");
    }

    /**
     * Opens {@code members} ports on the device {@code name} covers that share its traffic between
     * them (AF_PACKET's fanout), for a filter with a worker each; a {@link PortException} when the
     * backend splits by queue instead ({@link #rxQueues}) or not at all.
     */
    default List<Port> openMembers(PortName name, PortOptions options, int members) {
        throw new PortException(name + ": this backend's ports do not share a device's traffic between them");
    }

    /** Whether several workers take this backend's traffic as {@link #openMembers members}, not queue by queue. */
    default boolean sharesTraffic() {
        return false;
    }

    /** Opens a port; failures are {@link PortException}s with one line naming the port and the cause. */
    Port open(PortName name, PortOptions options);
}
