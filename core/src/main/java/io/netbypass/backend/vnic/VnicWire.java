package io.netbypass.backend.vnic;

import io.netbypass.backend.WireTraffic;
import io.netbypass.port.PortException;

import java.io.IOException;

/**
 * A vnic's wire fed with {@link WireTraffic} on a daemon thread named "wire": a vnic has no real
 * wire, so a command receiving on one feeds it. Either one port's own (it stops when that port
 * stops receiving) or the NIC's, shared by every port opened on it while it runs (a filter with
 * a port per queue: stopped by whoever started it, before the ports stop).
 */
public final class VnicWire {
    private final WireFeeder feeder;
    private final Thread thread;

    private VnicWire(WireFeeder feeder) {
        this.feeder = feeder;
        this.thread = new Thread(feeder, "wire");
        thread.setDaemon(true);
    }

    static VnicWire start(Vnic nic, WireTraffic traffic, String owner) {
        WireFeeder feeder;
        try {
            feeder = new WireFeeder(nic, traffic.source().open(), Math.min(traffic.burst(), 256), traffic.rate(), traffic.count());
        } catch (IOException e) {
            throw new PortException(owner + ": " + e.getMessage());
        }
        VnicWire w = new VnicWire(feeder);
        w.thread.start();
        return w;
    }

    /** Whether it still sends (its traffic not all sent, not stopped). */
    public boolean alive() {
        return thread.isAlive();
    }

    /** Frames handed to the NIC so far. */
    public long sent() {
        return feeder.sent();
    }

    /** Stops after the batch in flight (what the NIC already has still arrives). */
    public void stop() {
        feeder.stop();
    }

    /** Waits up to {@code millis} for the last batch to be handed over; false if it had not ended. */
    public boolean join(long millis) {
        try {
            thread.join(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return !thread.isAlive();
    }
}
