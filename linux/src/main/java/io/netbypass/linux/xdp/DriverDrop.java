package io.netbypass.linux.xdp;

import io.netbypass.linux.LinuxException;
import io.netbypass.linux.Native;
import io.netbypass.linux.bpf.Bpf;

/**
 * An XDP program that drops one RX queue's packets (or every queue's) in the driver and counts
 * them per CPU: the cheapest thing a receiver can do on this path, so its rate is the ceiling
 * an AF_XDP receiver is measured against, and a last-resort drop for an operator.
 */
public final class DriverDrop implements AutoCloseable {
    private final XdpAttachment attachment;
    private final int countsFd;

    private DriverDrop(XdpAttachment attachment, int countsFd) {
        this.attachment = attachment;
        this.countsFd = countsFd;
    }

    /** Attaches to {@code ifName} in the calling thread's namespace; {@code queue -1}: every queue; {@code mode} null: native, else generic. */
    public static DriverDrop attach(String ifName, int queue, XdpAttachment.Mode mode) throws LinuxException {
        int counts = Bpf.mapCreate(Bpf.MAP_TYPE_PERCPU_ARRAY, 4, 8, 1, "nb_drops");
        try {
            return new DriverDrop(XdpAttachment.attach(ifName, "nb_drop", XdpPrograms.countingDrop(queue, counts), mode), counts);
        } catch (LinuxException | RuntimeException e) {
            Native.close(counts);
            throw e;
        }
    }

    /** Packets dropped so far, summed over CPUs. */
    public long dropped() throws LinuxException {
        return Bpf.perCpuSum(countsFd, 0, "drop counts");
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
