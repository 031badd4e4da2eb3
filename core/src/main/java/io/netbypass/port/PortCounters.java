package io.netbypass.port;

import java.util.function.ObjLongConsumer;

/**
 * The counters every port has, kept by the thread that syncs it and read by another for
 * statistics (plain longs: a reader may see a value one sync old, never a torn one on 64-bit).
 */
public final class PortCounters {
    private long received;
    private long transmitted;
    private long badSlots;
    private long syncErrors;

    /** Frames (not slots: a MOREFRAG chain is one) exposed to the application on RX rings. */
    public void received(long frames) { received += frames; }
    /** Frames handed to the device on TX rings. */
    public void transmitted(long frames) { transmitted += frames; }
    /** Slots the application broke (invalid buffer index, NS_INDIRECT, a chain cut short or too long): refused. */
    public void badSlots(long slots) { badSlots += slots; }
    void syncError() { syncErrors++; }

    public long received() { return received; }
    public long transmitted() { return transmitted; }
    public long badSlots() { return badSlots; }
    /** Syncs that found head/cur out of range (the ring was put back to the device's view). */
    public long syncErrors() { return syncErrors; }

    void report(ObjLongConsumer<String> sink) {
        sink.accept("received", received);
        sink.accept("transmitted", transmitted);
        sink.accept("bad_slots", badSlots);
        sink.accept("sync_errors", syncErrors);
    }
}
