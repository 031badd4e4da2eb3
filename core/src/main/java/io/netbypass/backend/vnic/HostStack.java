package io.netbypass.backend.vnic;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/**
 * The "kernel" behind a software NIC: where every RX queue not bound to a port delivers, and
 * where ports hand packets up (forwarded RX slots, the host TX ring of a {@code ^} port). It
 * counts what arrives per NIC queue and passes each packet to a host application, such as a
 * local socket would receive it.
 *
 * <p>Packets arrive from several threads (the wire, each port's thread); each of them delivers
 * through its own {@link Input}, written by that thread alone, so nothing here locks.
 * Totals add the inputs up; read them once the writers are quiet for exact figures.
 */
public final class HostStack {
    /** Queue number recorded for packets that did not come from a NIC RX queue (a {@code ^} port's TX ring). */
    public static final int HOST_RING = -1;

    /** What receives the packets the host stack gets: one instance per input thread. */
    public interface Application {
        /** A frame handed to the host; {@code queue} is the NIC queue it came through, or {@link #HOST_RING}. */
        void receive(int queue, MemorySegment segment, long offset, int length);
    }

    private final int queues;
    private final Supplier<? extends Application> applications;
    private final List<Input> inputs = new CopyOnWriteArrayList<>();

    public HostStack(int queues, Supplier<? extends Application> applications) {
        this.queues = queues;
        this.applications = applications;
    }

    /** A host stack that only counts. */
    public HostStack(int queues) {
        this(queues, () -> (q, s, o, l) -> { });
    }

    /** A delivery path for one thread. */
    public Input newInput(String name) {
        Input input = new Input(name, queues, applications.get());
        inputs.add(input);
        return input;
    }

    public List<Input> inputs() {
        return List.copyOf(inputs);
    }

    /** Packets delivered through NIC queue {@code queue} (or {@link #HOST_RING}) over all inputs. */
    public long packets(int queue) {
        long n = 0;
        for (Input in : inputs) {
            n += in.packets[queue + 1];
        }
        return n;
    }

    public long packets() {
        long n = 0;
        for (Input in : inputs) {
            n += in.totalPackets();
        }
        return n;
    }

    public long bytes() {
        long n = 0;
        for (Input in : inputs) {
            n += in.bytes;
        }
        return n;
    }

    /** One thread's way into the host stack; its counters have that single writer. */
    public static final class Input {
        private final String name;
        private final Application application;
        final long[] packets;
        long bytes;

        Input(String name, int queues, Application application) {
            this.name = name;
            this.application = application;
            this.packets = new long[queues + 1];
        }

        public String name() { return name; }

        public Application application() { return application; }

        public void deliver(int queue, MemorySegment segment, long offset, int length) {
            packets[queue + 1]++;
            bytes += length;
            application.receive(queue, segment, offset, length);
        }

        public long totalPackets() {
            long n = 0;
            for (long p : packets) {
                n += p;
            }
            return n;
        }
    }
}
