package io.netbypass.linux.afxdp;

import io.netbypass.backend.PortOptions;
import io.netbypass.linux.KernelVerdicts;
import io.netbypass.linux.LinuxException;
import io.netbypass.linux.PollIdleStrategy;
import io.netbypass.linux.xdp.XdpAttachment;
import io.netbypass.linux.xdp.XdpInterface;
import io.netbypass.port.DriverRules;
import io.netbypass.port.BufferPool;
import io.netbypass.port.HostForwarder;
import io.netbypass.port.HostPath;
import io.netbypass.port.PortException;
import io.netbypass.port.PortName;
import io.netbypass.port.Ring;
import io.netbypass.port.RingPort;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.ObjLongConsumer;

import org.agrona.concurrent.IdleStrategy;

/**
 * An {@code xdp:} port: netmap rings over AF_XDP sockets, one per queue, all on one {@link Umem}
 * so buffers move between rings (RX to TX included) by swapping indices. Each queue's rings are
 * an {@link XskRxQueue} and an {@link XskTxQueue}; what the name asks for is an
 * {@link XdpPortRequest}.
 *
 * <ul>
 *   <li>{@code xdp:IF-N/R} (or {@code xdp:IF~N}): RX queue N only; our XDP program sends that
 *       queue's packets to the socket and every other queue's to the kernel.</li>
 *   <li>{@code xdp:IF-N}: RX and TX of queue N; {@code xdp:IF}: every queue.</li>
 *   <li>{@code /T}, or a port opened only to transmit: TX rings, no XDP program.</li>
 *   <li>With flow steering rules only matching packets of the port's queues come here.</li>
 * </ul>
 *
 * <p>The XDP program is attached with a BPF link, so it goes away with this process. Frames
 * marked {@link Ring#SLOT_FORWARD} go back to the kernel through the {@link HostPath} the backend
 * gives the port (a TAP, coalesced by GRO), or without one are counted as
 * {@code forward_unavailable} and their buffers reused. Frames larger than a chunk (jumbo MTUs)
 * come and go as {@link Ring#MOREFRAG} slot chains: the sockets bind with XDP_USE_SG where the
 * kernel has it (6.6) and the program is fragment-aware.
 */
public final class XdpPort extends RingPort {
    public static final int CHUNK_SIZE = 2048;
    private static final int CHUNK_SHIFT = Integer.numberOfTrailingZeros(CHUNK_SIZE);

    /** Opens the host path of interface {@code ifName} for an {@code xdp:} port that forwards to the kernel. */
    @FunctionalInterface
    public interface HostPaths {
        HostPath open(String portName, String ifName, boolean gro);
    }

    private final String ifName;
    private final Umem umem;
    private final Arena arena = Arena.ofShared();
    private final List<XskSocket> sockets = new ArrayList<>();
    private XskSocket[] rxSockets = new XskSocket[0];
    private XskRxQueue[] rxQueues = new XskRxQueue[0];
    private XskTxQueue[] txQueues = new XskTxQueue[0];
    private XdpInterface program;
    /** The interface's own receive drops (a full NIC ring: before XDP, so no socket counts them). */
    private KernelVerdicts interfaceDrops;
    /** Where frames marked SLOT_FORWARD go back to the kernel, or null. */
    private HostPath hostPath;
    private int steeringRules;

    private XdpPort(PortName name, Umem umem) {
        super(name, umem.pool());
        this.ifName = name.device();
        this.umem = umem;
    }

    /**
     * Opens the port in the calling thread's network namespace; with {@link PortOptions#hostPath()}
     * forwarded frames go to the host path {@code hostPaths} opens. Errors are one-line {@link PortException}s.
     */
    public static XdpPort open(PortName name, PortOptions options, HostPaths hostPaths) {
        XdpPortRequest request = XdpPortRequest.of(name, options);
        Umem umem;
        try {
            umem = Umem.allocate((int) request.chunks(BufferPool.FIRST_BUFFER), CHUNK_SIZE, name.toString());
        } catch (LinuxException e) {
            throw new PortException(name + ": " + e.getMessage());
        }
        XdpPort port = new XdpPort(name, umem);
        try {
            if (options.hostPath() && request.rx()) {
                port.hostPath = hostPaths.open("xdp:" + name.device() + "^", name.device(), options.gro());
            }
            port.bind(request, options);
        } catch (LinuxException e) {
            port.close();
            throw new PortException(name + ": " + XdpPortRequest.explain(e, name.device()));
        } catch (RuntimeException e) {
            port.close();
            throw e instanceof PortException ? e : new PortException(name + ": " + e.getMessage());
        }
        return port;
    }

    private void bind(XdpPortRequest request, PortOptions options) throws LinuxException {
        BufferPool pool = pool();
        int ringSize = Math.max(request.rx() ? request.rxSlots() : 0, request.tx() ? request.txSlots() : 0);
        XskSocket owner = null;
        for (int q = request.first(); q <= request.last(); q++) {
            XskSocket s = XskSocket.open(ifName, q, umem, owner, ringSize, request.rx(), request.tx(), false);
            sockets.add(s);
            if (owner == null) {
                owner = s;
            }
            if (request.rx()) {
                Ring ring = Ring.allocate(arena, Ring.Kind.RX, q, request.rxSlots(), pool);
                XskRxQueue queue = new XskRxQueue(ring, s.fill, s.rx, umem.memory(), CHUNK_SHIFT,
                        new HostForwarder(hostPath, pool.bufferSize(), arena), counters(), s::wakeFillIfAsked);
                rxQueues = append(rxQueues, queue);
                rxSockets = append(rxSockets, s);
                addRx(ring, queue);
            }
            if (request.tx()) {
                Ring ring = Ring.allocate(arena, Ring.Kind.TX, q, request.txSlots(), pool);
                XskTxQueue queue = new XskTxQueue(ring, s.tx, s.completion, CHUNK_SHIFT, s.multiBuffer(), s.zeroCopy(), s::kick,
                        counters());
                txQueues = append(txQueues, queue);
                addTx(ring, queue);
            }
        }
        if (!request.rx()) {
            return;
        }
        // Sockets bound, then the program, then the map entries: no packet meets a half-made path.
        program = XdpInterface.acquire(ifName, request.queues(), options.steering(), request.mode());
        interfaceDrops = KernelVerdicts.interfaceOnly(ifName);
        steeringRules = options.steering().size();
        for (XskSocket s : rxSockets) {
            program.bypass(s.queue(), s.fd());
        }
    }

    /**
     * Takes queue {@code queue} (one of this port's) away from the kernel again, or gives it
     * back: only the XSKMAP entry changes; the program, the socket and its rings stay.
     */
    public void setBypassed(int queue, boolean bypassed) throws LinuxException {
        for (XskSocket s : rxSockets) {
            if (s.queue() == queue) {
                if (bypassed) {
                    program.bypass(queue, s.fd());
                } else {
                    program.release(queue);
                }
                return;
            }
        }
        throw new IllegalArgumentException(name() + " has no RX socket on queue " + queue);
    }

    /** Takes every queue of this port out of the program's socket map: their packets go to the kernel again. */
    @Override
    public void stopReceiving() {
        if (program == null) {
            return;
        }
        for (XskSocket s : rxSockets) {
            try {
                program.release(s.queue());
            } catch (LinuxException e) {
                // not in the map (already released): nothing to stop
            }
        }
    }

    @Override
    public IdleStrategy waitStrategy() {
        int[] fds = pollDescriptors();
        return fds == null ? null : new PollIdleStrategy(fds, 16, PollIdleStrategy.IDLE_TIMEOUT_MILLIS);
    }

    @Override
    public int[] pollDescriptors() {
        if (rxSockets.length == 0) {
            return null;
        }
        int[] fds = new int[rxSockets.length];
        for (int i = 0; i < fds.length; i++) {
            fds[i] = rxSockets[i].fd();
        }
        return fds;
    }

    @Override
    public boolean forwardsToHost() {
        return hostPath != null;
    }

    @Override
    public boolean usesFrameHeaders() {
        return hostPath != null;
    }

    /** How the XDP program is attached (null for a port that only transmits). */
    public XdpAttachment.Mode mode() {
        return program == null ? null : program.mode();
    }

    /** Whether the sockets run zero-copy (false on veth: the kernel copies). */
    public boolean zeroCopy() {
        return !sockets.isEmpty() && sockets.get(0).zeroCopy();
    }

    /** Whether frames larger than a chunk come and go as slot chains (MOREFRAG); without it they are dropped. */
    public boolean multiBuffer() {
        return !sockets.isEmpty() && sockets.get(0).multiBuffer();
    }

    /** The program on the interface, which can take the filter's rules in queue mode. */
    @Override
    public DriverRules driverRules() {
        return program != null && program.steering().isEmpty() ? program : null;
    }

    /** One line for the operator: sockets, copy or zero-copy, how the program is attached, which mode. */
    @Override
    public String description() {
        StringBuilder q = new StringBuilder();
        for (XskSocket s : sockets) {
            q.append(q.isEmpty() ? "" : ",").append(s.queue());
        }
        return "AF_XDP on " + ifName + " queue" + (sockets.size() == 1 ? " " : "s ") + q + " (" + (zeroCopy() ? "zero-copy" : "copy mode")
                + (multiBuffer() ? ", multi-buffer" : "")
                + (program == null ? ", transmit only)" : ", XDP " + program.mode().name().toLowerCase()
                + (steeringRules == 0 ? ", queue mode)" : ", flow mode with " + steeringRules + " rule" + (steeringRules == 1 ? ")" : "s)")))
                + (hostPath == null ? "" : "; forwarded frames go to the kernel through the " + hostPath.description());
    }

    /** Frames handed to the kernel for transmission that it has not completed yet. */
    public int inFlight() {
        int n = 0;
        for (XskTxQueue q : txQueues) {
            n += q.inFlight();
        }
        return n;
    }

    @Override
    protected void deviceStatistics(ObjLongConsumer<String> sink) {
        List<HostForwarder> forwarders = new ArrayList<>();
        long relocated = 0;
        for (XskRxQueue q : rxQueues) {
            forwarders.add(q.forwarder());
            relocated += q.relocated();
        }
        HostForwarder.report(forwarders, sink);
        if (hostPath != null) {
            hostPath.statistics((k, v) -> sink.accept("host_" + k, v));
        }
        long kicks = 0;
        long kickErrors = 0;
        for (XskTxQueue q : txQueues) {
            kicks += q.kicks();
            kickErrors += q.kickErrors();
        }
        sink.accept("relocated", relocated);
        sink.accept("tx_kicks", kicks);
        sink.accept("tx_kick_errors", kickErrors);
        long wakeups = 0;
        long[] kernel = new long[XdpDescriptor.STATISTICS_NAMES.length];
        long[] queue = new long[kernel.length];
        for (XskSocket s : sockets) {
            Arrays.fill(queue, 0);
            s.addStatistics(queue);
            for (int i = 0; i < kernel.length; i++) {
                kernel[i] += queue[i];
            }
            wakeups += s.wakeups();
            if (sockets.size() > 1 && rxQueues.length > 0) {
                // The kernel's losses per queue: a queue that falls behind shows by itself.
                sink.accept("xdp_q" + s.queue() + "_rx_dropped", queue[RX_DROPPED]);
                sink.accept("xdp_q" + s.queue() + "_rx_ring_full", queue[RX_RING_FULL]);
            }
        }
        sink.accept("fill_wakeups", wakeups);
        for (int i = 0; i < kernel.length; i++) {
            sink.accept("xdp_" + XdpDescriptor.STATISTICS_NAMES[i], kernel[i]);
        }
        if (interfaceDrops != null) {
            interfaceDrops.refresh(500_000_000L);
            sink.accept("if_rx_dropped", interfaceDrops.interfaceDrops());
        }
        if (program != null) {
            // Drops made inside XDP by the steering rules: they never reach a ring, so only the program counts them.
            var rules = program.steering();
            for (int i = 0; i < rules.size(); i++) {
                if (rules.get(i).isDrop()) {
                    sink.accept("xdp_rule_" + (i + 1) + "_dropped", program.droppedBy(i));
                }
            }
        }
    }

    /** Indexes into {@link XdpDescriptor#STATISTICS_NAMES}: the kernel's two ways of losing a received frame. */
    private static final int RX_DROPPED = 0;
    private static final int RX_RING_FULL = 3;

    /**
     * Sends what the TX rings hold (waiting up to 100 ms for the kernel to complete it), detaches
     * the program (the queues are the kernel's again), then closes the sockets and frees UMEM.
     */
    @Override
    protected void release() {
        if (txQueues.length > 0) {
            txSync();
            long end = System.nanoTime() + 100_000_000L;
            while (inFlight() > 0 && System.nanoTime() < end) {
                for (XskTxQueue q : txQueues) {
                    q.reapCompletions();
                    q.push();
                }
                Thread.onSpinWait();
            }
        }
        if (program != null) {
            stopReceiving(); // the map goes with the program when this was its last port
            program.close();
        }
        for (int i = sockets.size() - 1; i >= 0; i--) {
            sockets.get(i).close(); // the UMEM's owner, socket 0, last
        }
        if (hostPath != null) {
            hostPath.close();
        }
        umem.close();
        arena.close();
    }
}
