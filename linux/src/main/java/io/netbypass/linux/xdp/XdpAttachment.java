package io.netbypass.linux.xdp;

import io.netbypass.linux.Errno;
import io.netbypass.linux.LinuxException;
import io.netbypass.linux.Native;
import io.netbypass.linux.bpf.Bpf;
import io.netbypass.linux.bpf.BpfAssembler;

/**
 * An XDP program loaded and linked to one interface (BPF_LINK_CREATE). Closing it, or the
 * process dying, detaches the program: the interface is the kernel's again. Native (driver)
 * mode is tried first; generic (SKB) mode is the fallback when the driver has no XDP, unless a
 * mode was asked for.
 */
public final class XdpAttachment implements AutoCloseable {
    public enum Mode { NATIVE, GENERIC }

    private final String interfaceName;
    private final int ifIndex;
    private final int programFd;
    private final int linkFd;
    private final Mode mode;

    private XdpAttachment(String interfaceName, int ifIndex, int programFd, int linkFd, Mode mode) {
        this.interfaceName = interfaceName;
        this.ifIndex = ifIndex;
        this.programFd = programFd;
        this.linkFd = linkFd;
        this.mode = mode;
    }

    /**
     * Loads {@code program} and attaches it to {@code interfaceName} (in the calling thread's
     * network namespace). {@code mode} null: native, else generic. Another XDP program already on
     * the interface is an EBUSY error naming it.
     */
    public static XdpAttachment attach(String interfaceName, String programName, BpfAssembler program, Mode mode)
            throws LinuxException {
        int ifIndex = Native.ifIndex(interfaceName);
        int prog = Bpf.loadXdp(programName, program);
        try {
            if (mode == Mode.GENERIC) {
                return new XdpAttachment(interfaceName, ifIndex, prog,
                        Bpf.linkXdp(prog, ifIndex, Bpf.XDP_FLAGS_SKB_MODE, interfaceName + " (generic)"), Mode.GENERIC);
            }
            try {
                return new XdpAttachment(interfaceName, ifIndex, prog,
                        Bpf.linkXdp(prog, ifIndex, Bpf.XDP_FLAGS_DRV_MODE, interfaceName + " (native)"), Mode.NATIVE);
            } catch (LinuxException e) {
                if (mode == Mode.NATIVE || e.errno() != Errno.EOPNOTSUPP && e.errno() != Errno.EINVAL) {
                    throw e;
                }
                return new XdpAttachment(interfaceName, ifIndex, prog,
                        Bpf.linkXdp(prog, ifIndex, Bpf.XDP_FLAGS_SKB_MODE, interfaceName + " (generic)"), Mode.GENERIC);
            }
        } catch (LinuxException | RuntimeException e) {
            Native.close(prog);
            throw e;
        }
    }

    public String interfaceName() {
        return interfaceName;
    }

    public int ifIndex() {
        return ifIndex;
    }

    public Mode mode() {
        return mode;
    }

    public int programFd() {
        return programFd;
    }

    /**
     * Runs {@code programFd} in place of the program the link runs now, in one step
     * (BPF_LINK_UPDATE): every packet meets one or the other. The caller keeps that fd open and
     * closes it; {@link #programFd()} stays the first program, to go back to.
     */
    public void run(int programFd) throws LinuxException {
        Bpf.linkUpdate(linkFd, programFd, -1, "XDP program on " + interfaceName);
    }

    /** Detaches the program (the link goes with its last descriptor) and frees it. */
    @Override
    public void close() {
        Native.close(linkFd);
        Native.close(programFd);
    }
}
