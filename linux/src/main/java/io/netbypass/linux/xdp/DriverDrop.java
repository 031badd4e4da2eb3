package io.netbypass.linux.xdp;

import io.netbypass.linux.LinuxException;
import io.netbypass.linux.Native;
import io.netbypass.linux.bpf.Bpf;
import io.netbypass.linux.bpf.BpfAssembler;

/**
 * An XDP program that drops one RX queue's packets (or every queue's) in the driver and counts
 * them per CPU: the cheapest thing a receiver can do on this path, so its rate is the ceiling
 * an AF_XDP receiver is measured against, and a last-resort drop for an operator.
 */
public final class DriverDrop implements AutoCloseable {
    private final XdpAttachment attachment;
    private final int countsFd;
    /** Frees the list's maps (null: no list, every packet of the queue is dropped). */
    private final Runnable sources;

    private DriverDrop(XdpAttachment attachment, int countsFd, Runnable sources) {
        this.attachment = attachment;
        this.countsFd = countsFd;
        this.sources = sources;
    }

    /** Attaches to {@code ifName} in the calling thread's namespace; {@code queue -1}: every queue; {@code mode} null: native, else generic. */
    public static DriverDrop attach(String ifName, int queue, XdpAttachment.Mode mode) throws LinuxException {
        int counts = Bpf.mapCreate(Bpf.MAP_TYPE_PERCPU_ARRAY, 4, 8, 1, "nb_drops");
        try {
            return new DriverDrop(XdpAttachment.attach(ifName, "nb_drop", XdpPrograms.countingDrop(queue, counts), mode), counts,
                    null);
        } catch (LinuxException | RuntimeException e) {
            Native.close(counts);
            throw e;
        }
    }

    /**
     * Attaches a program that drops, on every queue, the packets whose source is in {@code sources}
     * (loaded into the kernel's LPM tries first: {@link PrefixMap}); the rest go on to the kernel.
     */
    public static DriverDrop attachSourceList(String ifName, PrefixMap sources, XdpAttachment.Mode mode) throws LinuxException {
        int counts = Bpf.mapCreate(Bpf.MAP_TYPE_PERCPU_ARRAY, 4, 8, 1, "nb_drops");
        try {
            BpfAssembler program = XdpPrograms.sourceListDrop(sources.ipv4(), sources.ipv6(), counts);
            return new DriverDrop(XdpAttachment.attach(ifName, "nb_list_drop", program, mode), counts, sources::close);
        } catch (LinuxException | RuntimeException e) {
            Native.close(counts);
            throw e;
        }
    }

    /** The same for a program that only drops: what BPF_PROG_TEST_RUN itself costs a run, to subtract. */
    public static long bareCostNanos(byte[] frame, int runs) throws LinuxException {
        int prog = Bpf.loadXdp("nb_bare_cost", XdpPrograms.dropAll());
        try {
            return Bpf.testRun(prog, frame, runs).nanosPerRun();
        } finally {
            Native.close(prog);
        }
    }

    /**
     * What one run of the source-list program costs in the kernel on {@code frame}, in ns, as
     * BPF_PROG_TEST_RUN measures it over {@code runs} runs (a program loaded apart, with its own counter).
     */
    public static long listCostNanos(PrefixMap sources, byte[] frame, int runs) throws LinuxException {
        return costNanos(counts -> XdpPrograms.sourceListDrop(sources.ipv4(), sources.ipv6(), counts), frame, runs);
    }

    /** The same for the list as hash maps ({@link XdpPrograms#sourceHashDrop}). */
    public static long hashCostNanos(PrefixHash sources, byte[] frame, int runs) throws LinuxException {
        return costNanos(counts -> XdpPrograms.sourceHashDrop(sources, counts), frame, runs);
    }

    /** Drops the sources of a {@link PrefixHash} on {@code ifName}, as {@link #attachSourceList} does for tries. */
    public static DriverDrop attachSourceHash(String ifName, PrefixHash sources, XdpAttachment.Mode mode) throws LinuxException {
        int counts = Bpf.mapCreate(Bpf.MAP_TYPE_PERCPU_ARRAY, 4, 8, 1, "nb_drops");
        try {
            return new DriverDrop(XdpAttachment.attach(ifName, "nb_hash_drop", XdpPrograms.sourceHashDrop(sources, counts), mode),
                    counts, sources::close);
        } catch (LinuxException | RuntimeException e) {
            Native.close(counts);
            throw e;
        }
    }

    private static long costNanos(java.util.function.IntFunction<BpfAssembler> program, byte[] frame, int runs) throws LinuxException {
        int counts = Bpf.mapCreate(Bpf.MAP_TYPE_PERCPU_ARRAY, 4, 8, 1, "nb_cost_drops");
        try {
            int prog = Bpf.loadXdp("nb_list_cost", program.apply(counts));
            try {
                return Bpf.testRun(prog, frame, runs).nanosPerRun();
            } finally {
                Native.close(prog);
            }
        } finally {
            Native.close(counts);
        }
    }

    /** Packets dropped so far, summed over CPUs. */
    public long dropped() throws LinuxException {
        return Bpf.perCpuSum(countsFd, 0, "drop counts");
    }

    public XdpAttachment.Mode mode() {
        return attachment.mode();
    }

    /** Detaches the program and frees the maps. */
    @Override
    public void close() {
        attachment.close();
        Native.close(countsFd);
        if (sources != null) {
            sources.run();
        }
    }
}
