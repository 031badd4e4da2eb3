package io.netbypass.backend;

import io.netbypass.gen.FrameSource;

import java.io.IOException;

/**
 * Traffic for a device that has no real wire (the software NIC): what its wire is fed while a
 * port receives on it, {@code burst} frames at a time at {@code rate} frames per second (0: as
 * fast as it takes them), {@code count} frames in all (0: until the port stops receiving).
 * Backends on a real device ignore it.
 */
public record WireTraffic(Source source, int burst, long rate, long count) {
    /** Makes the frames when the port opens (a template file is read then). */
    @FunctionalInterface
    public interface Source {
        FrameSource open() throws IOException;
    }
}
