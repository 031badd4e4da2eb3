package io.netbypass.backend;

import io.netbypass.scaling.ntuple.RxFlowSpec;

import java.util.List;

/**
 * What a port is opened for, beyond its name: the direction (for backends whose name does not
 * say it) and flow steering rules, in ntuple syntax, for backends that steer in software (an
 * {@code xdp:} port takes only matching packets from its queues and leaves the rest to the kernel).
 */
public record PortOptions(Ports.Direction direction, List<RxFlowSpec> steering) {
    public PortOptions {
        steering = List.copyOf(steering);
    }

    public static PortOptions of(Ports.Direction direction) {
        return new PortOptions(direction, List.of());
    }
}
