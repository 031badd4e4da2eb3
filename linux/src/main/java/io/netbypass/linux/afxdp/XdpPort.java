package io.netbypass.linux.afxdp;

import io.netbypass.backend.PortOptions;
import io.netbypass.backend.Ports;
import io.netbypass.linux.Errno;
import io.netbypass.linux.LinuxException;
import io.netbypass.linux.Native;
import io.netbypass.linux.ethtool.Ethtool;
import io.netbypass.linux.xdp.XdpAttachment;
import io.netbypass.linux.xdp.XdpInterface;
import io.netbypass.port.BufferPool;
import io.netbypass.port.KernelRing;
import io.netbypass.port.Port;
import io.netbypass.port.PortException;
import io.netbypass.port.PortName;
import io.netbypass.port.Ring;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ObjLongConsumer;

/**
 * An {@code xdp:} port: netmap rings over AF_XDP sockets, one per queue, all on one {@link Umem}
 * so buffers move between rings (RX to TX included) by swapping indices.
 *
 * <ul>
 *   <li>{@code xdp:IF-N/R} (or {@code xdp:IF~N}): RX queue N only; our XDP program sends that
 *       queue's packets to the socket and every other queue's to the kernel.</li>
 *   <li>{@code xdp:IF-N}: RX and TX of queue N; {@code xdp:IF}: every queue.</li>
 *   <li>{@code /T}, or a port opened only to transmit: TX rings, no XDP program.</li>
 *   <li>With flow steering rules only matching packets of the port's queues come here.</li>
 * </ul>
 *
 * <p>RX: a released slot's buffer goes to the socket's fill ring; a sync moves received
 * descriptors into free slots (the chunk becomes the slot's buffer). TX: a submitted slot's
 * buffer goes on the TX ring and the slot takes a spare chunk; completions refill the spares.
 * The XDP program is attached with a BPF link, so it goes away with this process. Frames marked
 * {@link Ring#SLOT_FORWARD} go back to the kernel through the port's host path (a TAP, opened
 * with {@link io.netbypass.backend.PortOptions#hostPath()}, coalesced by GRO), or without one
 * are counted as {@code forward_unavailable} and their buffers reused.
 *
 * <p>Frames larger than a chunk (jumbo MTUs) come and go as {@link Ring#MOREFRAG} slot chains:
 * the sockets bind with XDP_USE_SG where the kernel has it (6.6) and the program is
 * fragment-aware. RX publishes whole chains only; TX posts a chain whole or not yet; the host
 * path gets a chain gathered into one frame.
 */
public final class XdpPort implements Port {
    /** RX: the fill ring is the buffer against the receiving thread being off the CPU; 8 MiB of UMEM per queue. */
    public static final int DEFAULT_RX_SLOTS = 4096;
    public static final int DEFAULT_TX_SLOTS = 2048;
    public static final int CHUNK_SIZE = 2048;
    private static final int CHUNK_SHIFT = Integer.numberOfTrailingZeros(CHUNK_SIZE);
    /** The longest frame the host path takes from a slot chain (a TAP frame's limit). */
    private static final int MAX_CHAIN_BYTES = 65_536;

    private final PortName name;
    private final String ifName;
    private final Umem umem;
    private final BufferPool pool;
    private final MemorySegment memory;
    private final int dataOffset;
    private final Arena arena = Arena.ofShared();
    private final List<XskSocket> sockets = new ArrayList<>();
    private final List<Ring> rx = new ArrayList<>();
    private final List<Ring> tx = new ArrayList<>();
    private KernelRing[] rxKernel = new KernelRing[0];
    private XskSocket[] rxSocket = new XskSocket[0];
    /** Per RX ring and slot: the chunk we put there, for a slot the application broke. */
    private int[][] rxShadow = new int[0][];
    private KernelRing[] txKernel = new KernelRing[0];
    private XskSocket[] txSocket = new XskSocket[0];
    private int[][] spares = new int[0][];
    private int[] spareCount = new int[0];
    /** Per RX ring: bytes of a forwarded slot chain gathered so far, -1 when it is being dropped (too long, broken). */
    private int[] gathered = new int[0];
    /** Where a forwarded slot chain is put together for the host path (one frame at a time). */
    private MemorySegment gather;
    private XdpInterface program;
    /** The interface's own receive drops (a full NIC ring: before XDP, so no socket counts them). */
    private io.netbypass.linux.KernelVerdicts interfaceDrops;
    /** Where frames marked SLOT_FORWARD go back to the kernel (a TAP), or null. */
    private io.netbypass.linux.tap.TapPort hostPath;
    private long forwarded;
    private int steeringRules;
    private volatile boolean closed;

    private long received;
    private long transmitted;
    private long forwardUnavailable;
    private long badSlots;
    private long forwardDropped;
    private long syncErrors;
    private long relocated;
    private long txKicks;
    private long txKickErrors;

    private XdpPort(PortName name, Umem umem) {
        this.name = name;
        this.ifName = name.device();
        this.umem = umem;
        this.pool = umem.pool();
        this.memory = umem.memory();
        this.dataOffset = pool.dataOffset();
    }

    /** Opens the port in the calling thread's network namespace; errors are one-line {@link PortException}s. */
    public static XdpPort open(PortName name, PortOptions options) {
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
        int n = last - first + 1;
        long chunks = BufferPool.FIRST_BUFFER + (long) n * ((wantRx ? rxSlots : 0) + (wantTx ? 2L * txSlots : 0));
        Umem umem;
        try {
            umem = Umem.allocate((int) chunks, CHUNK_SIZE, name.toString());
        } catch (LinuxException e) {
            throw new PortException(name + ": " + e.getMessage());
        }
        XdpPort port = new XdpPort(name, umem);
        try {
            port.bind(first, last, wantRx, wantTx, rxSlots, txSlots, queues, options, conf.xdpMode());
            if (options.hostPath() && wantRx) {
                port.hostPath = io.netbypass.linux.tap.TapPort.hostPathOf(PortName.parse("xdp:" + name.device() + "^", "xdp"),
                        name.device(), options.gro());
                port.gather = port.arena.allocate(MAX_CHAIN_BYTES, 64);
            }
        } catch (LinuxException e) {
            port.close();
            throw new PortException(name + ": " + explain(e, name.device()));
        } catch (RuntimeException e) {
            port.close();
            throw e instanceof PortException ? e : new PortException(name + ": " + e.getMessage());
        }
        return port;
    }

    private static String explain(LinuxException e, String ifName) {
        String m = e.getMessage();
        if (e.errno() == Errno.EBUSY && m.contains("LINK_CREATE")) {
            return "another XDP program is attached to " + ifName + " (" + m + "): "
                    + io.netbypass.linux.xdp.XdpHolder.describeOrRemedy(ifName);
        }
        if (e.errno() == Errno.ERANGE && m.contains("LINK_CREATE")) {
            return "the interface's MTU is larger than this driver's XDP takes (" + m + "); lower it (ip link set dev IF mtu 3498,"
                    + " or what the driver allows) or attach in generic mode (@conf:mode=generic)";
        }
        if (e.errno() == Errno.EBUSY && m.startsWith("bind")) {
            // Whoever has a socket on the queue has a program on the interface too, as a second netbypass does.
            String holder = io.netbypass.linux.xdp.XdpHolder.describe(ifName);
            return "the queue is taken by another AF_XDP socket (" + m + ")" + (holder == null ? "" : "; " + holder);
        }
        if (e.errno() == Errno.EPERM || e.errno() == Errno.EACCES) {
            return m + "; AF_XDP and XDP need root (CAP_NET_ADMIN, CAP_NET_RAW, CAP_BPF)";
        }
        return m;
    }

    private static int slots(PortName name, int asked, int otherwise) {
        int s = asked == 0 ? otherwise : asked;
        if (Integer.bitCount(s) != 1 || s < 64) {
            throw new PortException(name + ": AF_XDP rings have a power-of-two number of slots >= 64, not " + s);
        }
        return s;
    }

    private void bind(int first, int last, boolean wantRx, boolean wantTx, int rxSlots, int txSlots, int queues,
                      PortOptions options, String mode) throws LinuxException {
        int ringSize = Math.max(wantRx ? rxSlots : 0, wantTx ? txSlots : 0);
        List<KernelRing> rk = new ArrayList<>();
        List<XskSocket> rs = new ArrayList<>();
        List<int[]> shadows = new ArrayList<>();
        List<KernelRing> tk = new ArrayList<>();
        List<XskSocket> ts = new ArrayList<>();
        List<int[]> sp = new ArrayList<>();
        XskSocket owner = null;
        for (int q = first; q <= last; q++) {
            XskSocket s = XskSocket.open(ifName, q, umem, owner, ringSize, wantRx, wantTx, false);
            sockets.add(s);
            if (owner == null) {
                owner = s;
            }
            if (wantRx) {
                Ring ring = Ring.allocate(arena, Ring.Kind.RX, q, rxSlots, pool);
                // Every slot's buffer goes to the kernel: the ring starts empty (head = cur = tail = 0).
                for (int i = 0; i < rxSlots; i++) {
                    s.fill.setAddress(s.fill.cached++, (long) ring.bufferIndex(i) << CHUNK_SHIFT);
                }
                s.fill.producerRelease(s.fill.cached);
                KernelRing k = new KernelRing(ring);
                k.reset(0, 0);
                rx.add(ring);
                rk.add(k);
                rs.add(s);
                shadows.add(new int[rxSlots]);
            }
            if (wantTx) {
                Ring ring = Ring.allocate(arena, Ring.Kind.TX, q, txSlots, pool);
                KernelRing k = new KernelRing(ring);
                k.reset(0, txSlots - 1);
                int[] spare = new int[txSlots];
                for (int i = 0; i < txSlots; i++) {
                    spare[i] = pool.take();
                }
                tx.add(ring);
                tk.add(k);
                ts.add(s);
                sp.add(spare);
            }
        }
        rxKernel = rk.toArray(KernelRing[]::new);
        rxSocket = rs.toArray(XskSocket[]::new);
        rxShadow = shadows.toArray(int[][]::new);
        gathered = new int[rxShadow.length];
        txKernel = tk.toArray(KernelRing[]::new);
        txSocket = ts.toArray(XskSocket[]::new);
        spares = sp.toArray(int[][]::new);
        spareCount = new int[spares.length];
        for (int i = 0; i < spares.length; i++) {
            spareCount[i] = spares[i].length;
        }
        if (!wantRx) {
            return;
        }
        // Sockets bound, then the program, then the map entries: no packet meets a half-made path.
        XdpAttachment.Mode m = mode == null ? null : mode.equals("native") ? XdpAttachment.Mode.NATIVE : XdpAttachment.Mode.GENERIC;
        program = XdpInterface.acquire(ifName, queues, options.steering(), m);
        interfaceDrops = io.netbypass.linux.KernelVerdicts.interfaceOnly(ifName);
        steeringRules = options.steering().size();
        for (XskSocket s : rxSocket) {
            program.bypass(s.queue(), s.fd());
        }
    }

    /**
     * Takes queue {@code queue} (one of this port's) away from the kernel again, or gives it
     * back: only the XSKMAP entry changes; the program, the socket and its rings stay.
     */
    public void setBypassed(int queue, boolean bypassed) throws LinuxException {
        for (XskSocket s : rxSocket) {
            if (s.queue() == queue) {
                if (bypassed) {
                    program.bypass(queue, s.fd());
                } else {
                    program.release(queue);
                }
                return;
            }
        }
        throw new IllegalArgumentException(name + " has no RX socket on queue " + queue);
    }

    /** Takes every queue of this port out of the program's socket map: their packets go to the kernel again. */
    @Override
    public void stopReceiving() {
        if (program == null) {
            return;
        }
        for (XskSocket s : rxSocket) {
            try {
                program.release(s.queue());
            } catch (LinuxException e) {
                // not in the map (already released): nothing to stop
            }
        }
    }

    @Override public PortName name() { return name; }
    @Override public BufferPool pool() { return pool; }
    @Override public int rxRings() { return rx.size(); }
    @Override public int txRings() { return tx.size(); }
    @Override public Ring rxRing(int i) { return rx.get(i); }
    @Override public Ring txRing(int i) { return tx.get(i); }
    @Override public boolean isClosed() { return closed; }

    @Override
    public org.agrona.concurrent.IdleStrategy waitStrategy() {
        if (rxSocket.length == 0) {
            return null;
        }
        int[] fds = new int[rxSocket.length];
        for (int i = 0; i < fds.length; i++) {
            fds[i] = rxSocket[i].fd();
        }
        return new io.netbypass.linux.PollIdleStrategy(fds, 16, 10);
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

    /** One line for the operator: sockets, copy or zero-copy, how the program is attached, which mode. */
    @Override
    public String description() {
        StringBuilder q = new StringBuilder();
        for (XskSocket s : sockets) {
            q.append(q.isEmpty() ? "" : ",").append(s.queue());
        }
        return "AF_XDP on " + ifName + " queue" + (sockets.size() == 1 ? " " : "s ") + q + " (" + (zeroCopy() ? "zero-copy" : "copy mode")
                + (multiBuffer() ? ", multi-buffer" : "")
                + (rx.isEmpty() ? ", transmit only)" : ", XDP " + program.mode().name().toLowerCase()
                + (steeringRules == 0 ? ", queue mode)" : ", flow mode with " + steeringRules + " rule" + (steeringRules == 1 ? ")" : "s)")))
                + (hostPath == null ? "" : "; forwarded frames go to the kernel through the " + hostPath.description());
    }

    public long received() { return received; }
    public long transmitted() { return transmitted; }

    @Override
    public int rxSync() {
        int errors = 0;
        for (int r = 0; r < rxKernel.length; r++) {
            if (!rxSync(r)) {
                errors++;
            }
        }
        return errors;
    }

    private boolean rxSync(int r) {
        KernelRing k = rxKernel[r];
        Ring ring = k.ring();
        XskSocket s = rxSocket[r];
        int[] shadow = rxShadow[r];
        int head = k.prologue();
        if (head < 0) {
            syncErrors++;
            return false;
        }
        // Released slots: their buffers (swapped or not) go back to the kernel's fill ring.
        XskRing fill = s.fill;
        boolean forward = (ring.flags() & Ring.FORWARD) != 0;
        int i = k.hwcur();
        int p = fill.cached;
        while (i != head) {
            int b = ring.bufferIndex(i);
            int flags = ring.slotFlags(i);
            if (!pool.valid(b)) {
                b = shadow[i];
                ring.setBufferIndex(i, b);
                badSlots++;
                if ((flags & Ring.MOREFRAG) != 0) {
                    gathered[r] = -1; // the frame it is part of is broken
                } else {
                    forwardDropped += gathered[r] != 0 ? 1 : 0;
                    gathered[r] = 0;
                }
            } else if (forward && (flags & Ring.SLOT_FORWARD) != 0) {
                forward(r, ((long) b << CHUNK_SHIFT) + dataOffset, ring.length(i), (flags & Ring.MOREFRAG) != 0);
            } else {
                gathered[r] = 0;
            }
            fill.setAddress(p++, (long) b << CHUNK_SHIFT);
            ring.setSlotFlags(i, 0);
            i = ring.next(i);
        }
        if (p != fill.cached) {
            fill.cached = p;
            fill.producerRelease(p);
            if (hostPath != null) {
                hostPath.flush(); // the end of this batch for GRO
            }
        }
        k.consumed(head);

        // Received descriptors into the free slots, from hwtail up to the slot before head.
        XskRing in = s.rx;
        int cons = in.cached;
        int available = in.producerAcquire() - cons;
        int room = k.distance(k.hwtail(), head == 0 ? ring.slots() - 1 : head - 1);
        int count = Math.min(available, room);
        // Whole frames only: a chain cut at the tail would look like two packets (the rest waits for room).
        while (count > 0 && (in.descOptions(cons + count - 1) & XdpDescriptor.XDP_PKT_CONTD) != 0) {
            count--;
        }
        int j = k.hwtail();
        for (int x = 0; x < count; x++) {
            long addr = in.descAddress(cons + x);
            int len = in.descLength(cons + x);
            int chunk = (int) (addr >>> CHUNK_SHIFT);
            long start = (long) chunk << CHUNK_SHIFT;
            if (addr - start != dataOffset) {
                // Not where the pool's data starts (a program moved the head): move it there.
                len = Math.min(len, pool.bufferSize());
                MemorySegment.copy(memory, addr, memory, start + dataOffset, len);
                relocated++;
            }
            ring.setBufferIndex(j, chunk);
            shadow[j] = chunk;
            ring.setLength(j, len);
            boolean more = (in.descOptions(cons + x) & XdpDescriptor.XDP_PKT_CONTD) != 0;
            ring.setSlotFlags(j, more ? Ring.MOREFRAG : 0);
            if (!more) {
                received++;
            }
            j = ring.next(j);
        }
        if (count > 0) {
            in.cached = cons + count;
            in.consumerRelease(in.cached);
            k.publishTail(j);
        }
        s.wakeFillIfAsked();
        return true;
    }

    /**
     * One released slot marked SLOT_FORWARD to the host path: a single-slot frame as it lies, a
     * chain's slots gathered into one frame first (its last slot sends it).
     */
    private void forward(int r, long at, int length, boolean more) {
        if (hostPath == null) {
            if (!more) {
                forwardUnavailable++;
            }
            return;
        }
        int g = gathered[r];
        boolean fits = length > 0 && length <= pool.bufferSize();
        if (!more && g == 0) {
            if (fits) {
                hostPath.forward(memory, at, length);
                forwarded++;
            } else {
                forwardDropped++;
            }
            return;
        }
        if (g >= 0 && fits && g + length <= MAX_CHAIN_BYTES) {
            MemorySegment.copy(memory, at, gather, g, length);
            g += length;
        } else {
            g = -1;
        }
        if (more) {
            gathered[r] = g;
            return;
        }
        gathered[r] = 0;
        if (g > 0) {
            hostPath.forward(gather, 0, g);
            forwarded++;
        } else {
            forwardDropped++;
        }
    }

    @Override
    public int txSync() {
        int errors = 0;
        for (int r = 0; r < txKernel.length; r++) {
            if (!txSync(r)) {
                errors++;
            }
        }
        return errors;
    }

    private boolean txSync(int r) {
        KernelRing k = txKernel[r];
        Ring ring = k.ring();
        XskSocket s = txSocket[r];
        int head = k.prologue();
        if (head < 0) {
            syncErrors++;
            return false;
        }
        reapCompletions(r);
        XskRing out = s.tx;
        int[] spare = spares[r];
        int prod = out.cached;
        int budget = Math.min(out.size - (prod - out.consumerAcquire()), spareCount[r]);
        int posted = 0;
        int frames = 0;
        int i = k.hwcur();
        int bufferSize = pool.bufferSize();
        boolean chains = s.multiBuffer();
        while (i != head) {
            // A frame: this slot and, while MOREFRAG is set, the ones after it, posted whole or not yet.
            int last = i;
            int n = 1;
            boolean bad = false;
            int flags;
            while (true) {
                flags = ring.slotFlags(last);
                int b = ring.bufferIndex(last);
                int len = ring.length(last);
                if (!pool.valid(b) || (flags & Ring.INDIRECT) != 0 || len <= 0 || len > bufferSize) {
                    bad = true;
                }
                if ((flags & Ring.MOREFRAG) == 0 || ring.next(last) == head || n == Ring.MAX_FRAGMENTS) {
                    break;
                }
                last = ring.next(last);
                n++;
            }
            // A chain cut at head or too long, or a chain where the socket takes none: refused like any broken slot.
            bad |= (flags & Ring.MOREFRAG) != 0 || (n > 1 && !chains);
            if (!bad && posted + n > budget) {
                break; // no room on the TX ring or no spare buffers: the frame waits for the next sync
            }
            int end = ring.next(last);
            for (int x = i; x != end; x = ring.next(x)) {
                if (bad) {
                    badSlots++;
                } else {
                    out.setDesc(prod++, ((long) ring.bufferIndex(x) << CHUNK_SHIFT) + dataOffset, ring.length(x),
                            x == last ? 0 : XdpDescriptor.XDP_PKT_CONTD);
                    ring.setBufferIndex(x, spare[--spareCount[r]]);
                    posted++;
                }
                ring.setSlotFlags(x, 0);
            }
            if (!bad) {
                frames++;
            }
            i = end;
        }
        if (posted > 0) {
            out.cached = prod;
            out.producerRelease(prod);
            transmitted += frames;
        }
        push(r);
        k.consumed(i);
        k.publishTail(i == 0 ? ring.slots() - 1 : i - 1);
        return true;
    }

    /**
     * Makes the kernel send what is on the TX ring: in copy mode transmission happens inside
     * sendto, in zero-copy mode only when the driver asked for a wakeup.
     */
    private void push(int r) {
        XskSocket s = txSocket[r];
        XskRing out = s.tx;
        boolean copy = !s.zeroCopy();
        for (int tries = 0; tries < 8 && out.cached != out.consumerAcquire(); tries++) {
            if (!copy && !out.needsWakeup()) {
                return;
            }
            int rc = s.kick();
            txKicks++;
            if (rc == -Errno.ENOBUFS || rc == -Errno.EAGAIN || rc == -Errno.EBUSY) {
                reapCompletions(r); // the completion ring was full, or the device busy: make room and retry
            } else if (rc != 0) {
                txKickErrors++;
                return;
            }
            if (!copy) {
                return;
            }
        }
    }

    private void reapCompletions(int r) {
        XskRing c = txSocket[r].completion;
        int cons = c.cached;
        int n = c.producerAcquire() - cons;
        if (n == 0) {
            return;
        }
        int[] spare = spares[r];
        int count = spareCount[r];
        for (int x = 0; x < n; x++) {
            spare[count++] = (int) (c.address(cons + x) >>> CHUNK_SHIFT);
        }
        spareCount[r] = count;
        c.cached = cons + n;
        c.consumerRelease(c.cached);
    }

    /** Frames handed to the kernel for transmission that it has not completed yet. */
    public int inFlight() {
        int n = 0;
        for (int r = 0; r < spares.length; r++) {
            n += spares[r].length - spareCount[r];
        }
        return n;
    }

    @Override
    public void statistics(ObjLongConsumer<String> sink) {
        sink.accept("received", received);
        sink.accept("transmitted", transmitted);
        sink.accept("forward_unavailable", forwardUnavailable);
        sink.accept("forwarded_to_host", forwarded);
        sink.accept("forward_dropped", forwardDropped);
        if (hostPath != null) {
            hostPath.statistics((k, v) -> sink.accept("host_" + k, v));
        }
        sink.accept("bad_slots", badSlots);
        sink.accept("sync_errors", syncErrors);
        sink.accept("relocated", relocated);
        sink.accept("tx_kicks", txKicks);
        sink.accept("tx_kick_errors", txKickErrors);
        long wakeups = 0;
        long[] kernel = new long[XdpDescriptor.STATISTICS_NAMES.length];
        long[] queue = new long[kernel.length];
        for (XskSocket s : sockets) {
            java.util.Arrays.fill(queue, 0);
            s.addStatistics(queue);
            for (int i = 0; i < kernel.length; i++) {
                kernel[i] += queue[i];
            }
            wakeups += s.wakeups();
            if (sockets.size() > 1 && !rx.isEmpty()) {
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
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (txKernel.length > 0) {
            txSync();
            long end = System.nanoTime() + 100_000_000L;
            while (inFlight() > 0 && System.nanoTime() < end) {
                for (int r = 0; r < txKernel.length; r++) {
                    reapCompletions(r);
                    push(r);
                }
                Thread.onSpinWait();
            }
        }
        if (program != null) {
            for (XskSocket s : rxSocket) {
                try {
                    program.release(s.queue());
                } catch (LinuxException e) {
                    // the map goes with the program when this was its last port
                }
            }
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

    @Override
    public String toString() {
        return name.toString();
    }
}
