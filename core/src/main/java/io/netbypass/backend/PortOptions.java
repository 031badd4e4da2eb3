package io.netbypass.backend;

import io.netbypass.scaling.ntuple.RxFlowSpec;

import java.util.List;

/**
 * What a port is opened for, beyond its name: the direction (for backends whose name does not
 * say it), flow steering rules, in ntuple syntax, for backends that steer in software (an
 * {@code xdp:} port takes only matching packets from its queues and leaves the rest to the
 * kernel), and whether frames the application forwards ({@link io.netbypass.port.Ring#SLOT_FORWARD})
 * go back to the kernel through a host path (an {@code xdp:} port's TAP), with GRO or not, and
 * the traffic a software NIC's wire is fed ({@link WireTraffic}, null for none).
 */
public record PortOptions(Ports.Direction direction, List<RxFlowSpec> steering, boolean hostPath, boolean gro, WireTraffic wire) {
    public PortOptions {
        steering = List.copyOf(steering);
    }

    public PortOptions(Ports.Direction direction, List<RxFlowSpec> steering) {
        this(direction, steering, false, false, null);
    }

    public static PortOptions of(Ports.Direction direction) {
        return new PortOptions(direction, List.of());
    }

    /** The same, with frames forwarded to the kernel through the host path (coalesced when {@code gro}). */
    public PortOptions withHostPath(boolean gro) {
        return new PortOptions(direction, steering, true, gro, wire);
    }

    /** The same, with a software NIC's wire fed {@code traffic}. */
    public PortOptions withWire(WireTraffic traffic) {
        return new PortOptions(direction, steering, hostPath, gro, traffic);
    }
}
