package io.netbypass.linux.afxdp;

import io.netbypass.backend.PortOptions;
import io.netbypass.backend.Ports;
import io.netbypass.linux.Errno;
import io.netbypass.linux.LinuxException;
import io.netbypass.linux.ethtool.Ethtool;
import io.netbypass.linux.xdp.XdpAttachment;
import io.netbypass.linux.xdp.XdpHolder;
import io.netbypass.port.PortException;
import io.netbypass.port.PortName;

/**
 * What an {@code xdp:} port name and its options ask for, checked before anything is made: the
 * queues ({@code first..last} of the interface's {@code queues}), the directions, ring sizes and
 * attach mode; and the advice that turns the kernel's refusals into something to do
 * ({@link #explain}). Every error is a one-line {@link PortException} naming the port.
 */
record XdpPortRequest(PortName name, int queues, int first, int last, boolean rx, boolean tx, int rxSlots, int txSlots,
                      XdpAttachment.Mode mode) {
    /** RX: the fill ring is the buffer against the receiving thread being off the CPU; 8 MiB of UMEM per queue. */
    static final int DEFAULT_RX_SLOTS = 4096;
    static final int DEFAULT_TX_SLOTS = 2048;

    static XdpPortRequest of(PortName name, PortOptions options) {
        switch (name.register()) {
            case ALL_NIC, ONE_NIC -> { }
            case ONE_SW, NIC_SW -> throw new PortException(name + ": an xdp: port has one host ring pair (xdp:"
                    + name.device() + "^), opened on its own");
            case SW -> throw new PortException(name + ": the host rings are a TAP port (XdpBackend opens them)");
            default -> throw new PortException(name + ": xdp: ports have no pipes");
        }
        for (PortName.Flag f : name.flags()) {
            if (f == PortName.Flag.ZERO_COPY_MONITOR || f == PortName.Flag.MONITOR_TX || f == PortName.Flag.MONITOR_RX) {
                throw new PortException(name + ": xdp: ports have no monitor mode (capture with afpacket:)");
            }
        }
        boolean wantRx = !name.txOnly() && options.direction() != Ports.Direction.TRANSMIT;
        boolean wantTx = !name.rxOnly() && options.direction() != Ports.Direction.RECEIVE;
        if (!wantRx && !wantTx) {
            throw new PortException(name + ": this port " + (name.rxOnly() ? "only receives" : "only transmits")
                    + ", which is not what it is opened for");
        }
        if (!wantRx && !options.steering().isEmpty()) {
            throw new PortException(name + ": flow steering rules select received packets, and this port does not receive");
        }
        PortName.PortConfig conf = name.config();
        if (conf.hostRings() != 0) {
            throw new PortException(name + ": xdp: ports have no host rings in this build");
        }
        int rxSlots = slots(name, conf.rxSlots(), DEFAULT_RX_SLOTS);
        int txSlots = slots(name, conf.txSlots(), DEFAULT_TX_SLOTS);
        int queues;
        try {
            queues = Ethtool.rxQueues(name.device());
        } catch (LinuxException e) {
            throw new PortException(name + ": " + (e.errno() == Errno.ENODEV ? "no such network interface: " + name.device()
                    : e.getMessage()));
        }
        for (int rings : new int[] {conf.rxRings(), conf.txRings()}) {
            if (rings != 0 && rings != queues) {
                throw new PortException(name + ": @conf rings=" + rings + " but " + name.device() + " has " + queues + " queues");
            }
        }
        int first = 0;
        int last = queues - 1;
        if (name.register() == PortName.Register.ONE_NIC) {
            if (name.ring() >= queues) {
                throw new PortException(name + ": " + name.device() + " has queues 0.." + (queues - 1) + ", no queue " + name.ring());
            }
            first = name.ring();
            last = name.ring();
        }
        String m = conf.xdpMode();
        XdpAttachment.Mode mode = m == null ? null : m.equals("native") ? XdpAttachment.Mode.NATIVE : XdpAttachment.Mode.GENERIC;
        return new XdpPortRequest(name, queues, first, last, wantRx, wantTx, rxSlots, txSlots, mode);
    }

    private static int slots(PortName name, int asked, int otherwise) {
        int s = asked == 0 ? otherwise : asked;
        if (Integer.bitCount(s) != 1 || s < 64) {
            throw new PortException(name + ": AF_XDP rings have a power-of-two number of slots >= 64, not " + s);
        }
        return s;
    }

    /** Queues this port takes. */
    int count() {
        return last - first + 1;
    }

    /** UMEM chunks: the pool's reserved first ones, a chunk per RX slot, two per TX slot (the slot's and its spare). */
    long chunks(int firstBuffer) {
        return firstBuffer + (long) count() * ((rx ? rxSlots : 0) + (tx ? 2L * txSlots : 0));
    }

    /** The kernel's refusal {@code e} as something the operator can act on. */
    static String explain(LinuxException e, String ifName) {
        String m = e.getMessage();
        if (e.errno() == Errno.EBUSY && m.contains("LINK_CREATE")) {
            return "another XDP program is attached to " + ifName + " (" + m + "): " + XdpHolder.describeOrRemedy(ifName);
        }
        if (e.errno() == Errno.ERANGE && m.contains("LINK_CREATE")) {
            return "the interface's MTU is larger than this driver's XDP takes (" + m + "); lower it (ip link set dev IF mtu 3498,"
                    + " or what the driver allows) or attach in generic mode (@conf:mode=generic)";
        }
        if (e.errno() == Errno.EBUSY && m.startsWith("bind")) {
            // Whoever has a socket on the queue has a program on the interface too, as a second netbypass does.
            String holder = XdpHolder.describe(ifName);
            return "the queue is taken by another AF_XDP socket (" + m + ")" + (holder == null ? "" : "; " + holder);
        }
        if (e.errno() == Errno.EPERM || e.errno() == Errno.EACCES) {
            return m + "; AF_XDP and XDP need root (CAP_NET_ADMIN, CAP_NET_RAW, CAP_BPF)";
        }
        return m;
    }
}
