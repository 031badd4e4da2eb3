package io.netbypass.linux.xdp;

import io.netbypass.linux.LinuxException;
import io.netbypass.linux.Native;
import io.netbypass.linux.bpf.Bpf;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * An XDP program that drops one RX queue's packets (or every queue's) in the driver and counts
 * them per CPU: the cheapest thing a receiver can do on this path, so its rate is the ceiling
 * an AF_XDP receiver is measured against, and a last-resort drop for an operator.
 */
public final class DriverDrop implements AutoCloseable {
    private final XdpAttachment attachment;
    private final int countsFd;
    private final MemorySegment values;
    private final int cpus;

    private DriverDrop(XdpAttachment attachment, int countsFd, int cpus) {
        this.attachment = attachment;
        this.countsFd = countsFd;
        this.cpus = cpus;
        this.values = Arena.ofAuto().allocate(8L * cpus, 8);
    }

    /** Attaches to {@code ifName} in the calling thread's namespace; {@code queue -1}: every queue; {@code mode} null: native, else generic. */
    public static DriverDrop attach(String ifName, int queue, XdpAttachment.Mode mode) throws LinuxException {
        int cpus = Bpf.possibleCpus();
        int counts = Bpf.mapCreate(Bpf.MAP_TYPE_PERCPU_ARRAY, 4, 8, 1, "nb_drops");
        try {
            return new DriverDrop(XdpAttachment.attach(ifName, "nb_drop", XdpPrograms.countingDrop(queue, counts), mode), counts, cpus);
        } catch (LinuxException | RuntimeException e) {
            Native.close(counts);
            throw e;
        }
    }

    /** Packets dropped so far, summed over CPUs. */
    public long dropped() throws LinuxException {
        Bpf.mapLookup(countsFd, 0, values, "drop counts");
        long sum = 0;
        for (int c = 0; c < cpus; c++) {
            sum += values.get(ValueLayout.JAVA_LONG, 8L * c);
        }
        return sum;
    }

    public XdpAttachment.Mode mode() {
        return attachment.mode();
    }

    /** Detaches the program and frees the map. */
    @Override
    public void close() {
        attachment.close();
        Native.close(countsFd);
    }
}
