package io.netbypass.backend.vnic;

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

/**
 * A port on a {@link Vnic}: the queues its name selects, each RX queue detached from the host
 * stack while the port is open. {@code vnic:eth3-4/R} takes RX queue 4 only (single RX queue
 * mode); TX queue 4 and every other queue stay with the host. Closing gives the queues back and
 * hands the frames still in the rings to the host, so nothing is lost.
 */
public final class VnicPort implements Port {
    private final Vnic nic;
    private final PortName name;
    private final Arena arena = Arena.ofShared();
    private final BufferPool pool;
    private final List<Ring> rx = new ArrayList<>();
    private final List<Ring> tx = new ArrayList<>();
    private KernelRing[] rxKernel = new KernelRing[0];
    private HwRxRing[] rxHw = new HwRxRing[0];
    private KernelRing[] txKernel = new KernelRing[0];
    /** Index in {@code rx}/{@code tx} of the host ring, or -1. */
    private int hostRx = -1;
    private int hostTx = -1;
    private final HostStack.Input hostInput;
    private final MemorySegment scratch;
    private volatile boolean closed;

    private long received;
    private long forwarded;
    private long transmitted;
    private long syncErrors;
    private long badSlots;

    private VnicPort(Vnic nic, PortName name) {
        this.nic = nic;
        this.name = name;
        this.pool = nic.pool();
        this.hostInput = nic.host().newInput(name.toString());
        this.scratch = arena.allocate((long) Ring.MAX_FRAGMENTS * pool.bufferSize(), 64);
    }

    static VnicPort open(Vnic nic, PortName name) {
        if (name.register() == PortName.Register.PIPE_MASTER || name.register() == PortName.Register.PIPE_SLAVE) {
            throw new PortException(name + ": vnic has no pipes");
        }
        for (PortName.Flag f : name.flags()) {
            if (f == PortName.Flag.ZERO_COPY_MONITOR || f == PortName.Flag.MONITOR_TX || f == PortName.Flag.MONITOR_RX) {
                throw new PortException(name + ": vnic has no monitor ports");
            }
        }
        PortName.PortConfig conf = name.config();
        if (conf.xdpMode() != null) {
            throw new PortException(name + ": @conf:mode is for xdp: ports (how the XDP program attaches)");
        }
        for (int rings : new int[] {conf.rxRings(), conf.txRings()}) {
            if (rings != 0 && rings != nic.queues()) {
                throw new PortException(name + ": @conf rings=" + rings + " but vnic " + nic.name() + " has "
                        + nic.queues() + " queues");
            }
        }
        if (conf.hostRings() > 1) {
            throw new PortException(name + ": vnic has one host ring pair, not " + conf.hostRings());
        }
        int rxSlots = conf.rxSlots() != 0 ? conf.rxSlots() : nic.defaultSlots();
        int txSlots = conf.txSlots() != 0 ? conf.txSlots() : nic.defaultSlots();
        int first;
        int last;
        boolean nicRings;
        boolean hostRings;
        switch (name.register()) {
            case ALL_NIC -> { first = 0; last = nic.queues() - 1; nicRings = true; hostRings = false; }
            case ONE_NIC -> {
                if (name.ring() >= nic.queues()) {
                    throw new PortException(name + ": vnic " + nic.name() + " has queues 0.." + (nic.queues() - 1)
                            + ", no queue " + name.ring());
                }
                first = name.ring(); last = name.ring(); nicRings = true; hostRings = false;
            }
            case SW, ONE_SW -> {
                if (name.register() == PortName.Register.ONE_SW && name.ring() != 0) {
                    throw new PortException(name + ": vnic has one host ring pair (^0), no ^" + name.ring());
                }
                first = 0; last = -1; nicRings = false; hostRings = true;
            }
            case NIC_SW -> { first = 0; last = nic.queues() - 1; nicRings = true; hostRings = true; }
            default -> throw new PortException(name + ": unsupported register mode");
        }
        boolean wantRx = !name.txOnly();
        boolean wantTx = !name.rxOnly();
        VnicPort port = new VnicPort(nic, name);
        try {
            port.bind(first, last, nicRings, hostRings, wantRx, wantTx, rxSlots, txSlots);
        } catch (RuntimeException e) {
            port.close();
            throw e instanceof PortException ? e : new PortException(name + ": " + e.getMessage());
        }
        return port;
    }

    private void bind(int first, int last, boolean nicRings, boolean hostRings, boolean wantRx, boolean wantTx,
                      int rxSlots, int txSlots) {
        List<KernelRing> rk = new ArrayList<>();
        List<HwRxRing> rh = new ArrayList<>();
        List<KernelRing> tk = new ArrayList<>();
        if (nicRings) {
            for (int q = first; q <= last; q++) {
                if (wantRx) {
                    Ring ring = Ring.allocate(arena, Ring.Kind.RX, q, rxSlots, pool);
                    HwRxRing hw = new HwRxRing(ring);
                    rx.add(ring);
                    rk.add(new KernelRing(ring));
                    rh.add(hw);
                    commit(rk, rh, tk);
                    nic.bindRx(q, this, hw);
                }
                if (wantTx) {
                    Ring ring = Ring.allocate(arena, Ring.Kind.TX, q, txSlots, pool);
                    tx.add(ring);
                    KernelRing k = new KernelRing(ring);
                    k.reset(0, txSlots - 1);
                    tk.add(k);
                    commit(rk, rh, tk);
                    nic.bindTx(q, this);
                }
            }
        }
        if (hostRings) {
            Ring rring = wantRx ? Ring.allocate(arena, Ring.Kind.RX, 0, rxSlots, pool) : null;
            Ring tring = wantTx ? Ring.allocate(arena, Ring.Kind.TX, 0, txSlots, pool) : null;
            if (rring != null) {
                hostRx = rx.size();
                rx.add(rring);
                rk.add(new KernelRing(rring));
                rh.add(new HwRxRing(rring));
            }
            if (tring != null) {
                hostTx = tx.size();
                tx.add(tring);
                KernelRing k = new KernelRing(tring);
                k.reset(0, txSlots - 1);
                tk.add(k);
            }
            commit(rk, rh, tk);
            nic.bindHost(this);
        }
    }

    private void commit(List<KernelRing> rk, List<HwRxRing> rh, List<KernelRing> tk) {
        rxKernel = rk.toArray(KernelRing[]::new);
        rxHw = rh.toArray(HwRxRing[]::new);
        txKernel = tk.toArray(KernelRing[]::new);
    }

    /** The host RX ring's device side (what the host transmits while a {@code ^} port is open), or null. */
    HwRxRing hostRxRing() {
        return hostRx < 0 ? null : rxHw[hostRx];
    }

    @Override public PortName name() { return name; }
    @Override public BufferPool pool() { return pool; }
    @Override public int rxRings() { return rx.size(); }
    @Override public int txRings() { return tx.size(); }
    @Override public Ring rxRing(int i) { return rx.get(i); }
    @Override public Ring txRing(int i) { return tx.get(i); }
    @Override public boolean isClosed() { return closed; }

    /** Whether RX ring {@code i} is the host ring (what the host stack transmits). */
    public boolean isHostRx(int i) { return i == hostRx; }
    public boolean isHostTx(int i) { return i == hostTx; }

    /** Frames exposed to the application by RX syncs. */
    public long received() { return received; }
    /** RX frames handed to the host because the application marked them {@link Ring#SLOT_FORWARD}. */
    public long forwarded() { return forwarded; }
    /** Frames sent from the TX rings (to the wire, or up to the host from the host TX ring). */
    public long transmitted() { return transmitted; }
    /** Syncs that found head/cur out of range (the ring was reset to the device's view). */
    public long syncErrors() { return syncErrors; }
    /** Slots refused: invalid buffer index, {@code NS_INDIRECT}, chains over 64 slots. */
    public long badSlots() { return badSlots; }

    @Override
    public int rxSync() {
        int errors = 0;
        for (int r = 0; r < rxKernel.length; r++) {
            if (!rxSync(rxKernel[r], rxHw[r])) {
                errors++;
            }
        }
        return errors;
    }

    private boolean rxSync(KernelRing k, HwRxRing hw) {
        Ring ring = k.ring();
        int head = k.prologue();
        if (head < 0) {
            syncErrors++;
            return false;
        }
        boolean forward = (ring.flags() & Ring.FORWARD) != 0;
        int i = k.hwcur();
        int chainStart = -1;
        int chainLength = 0;
        while (i != head) {
            int flags = ring.slotFlags(i);
            if ((flags & Ring.BUF_CHANGED) != 0 && !pool.valid(ring.bufferIndex(i))) {
                ring.setBufferIndex(i, hw.buffer[i]);
                badSlots++;
                flags &= ~Ring.SLOT_FORWARD;
            }
            if (forward && (flags & Ring.SLOT_FORWARD) != 0) {
                if (chainStart < 0) {
                    chainStart = i;
                    chainLength = 0;
                }
                chainLength++;
                if ((flags & Ring.MOREFRAG) == 0) {
                    deliver(ring, chainStart, chainLength, ring.id());
                    forwarded++;
                    chainStart = -1;
                }
            } else {
                chainStart = -1;
            }
            hw.buffer[i] = ring.bufferIndex(i);
            ring.setSlotFlags(i, 0);
            i = ring.next(i);
        }
        k.consumed(head);
        hw.stop(head == 0 ? ring.slots() - 1 : head - 1);

        int produced = hw.produced();
        int j = k.hwtail();
        while (j != produced) {
            ring.setLength(j, hw.length[j]);
            int f = hw.flags[j];
            ring.setSlotFlags(j, f);
            if ((f & Ring.MOREFRAG) == 0) {
                received++;
            }
            j = ring.next(j);
        }
        k.publishTail(produced);
        if ((ring.flags() & Ring.TIMESTAMP) != 0) {
            ring.timestampNanos(System.currentTimeMillis() * 1_000_000L);
        }
        return true;
    }

    /** Hands a frame of {@code slots} slots starting at {@code first} to the host stack. */
    private void deliver(Ring ring, int first, int slots, int queue) {
        if (slots == 1) {
            hostInput.deliver(queue, ring.buffers(), ring.offset(first), ring.length(first));
            return;
        }
        int length = gather(ring, first, slots);
        hostInput.deliver(queue, scratch, 0, length);
    }

    private int gather(Ring ring, int first, int slots) {
        long at = 0;
        int s = first;
        for (int n = 0; n < slots; n++) {
            int len = ring.length(s);
            MemorySegment.copy(ring.buffers(), ring.offset(s), scratch, at, len);
            at += len;
            s = ring.next(s);
        }
        return (int) at;
    }

    @Override
    public int txSync() {
        int errors = 0;
        for (int r = 0; r < txKernel.length; r++) {
            if (!txSync(txKernel[r], r == hostTx)) {
                errors++;
            }
        }
        return errors;
    }

    private boolean txSync(KernelRing k, boolean toHost) {
        Ring ring = k.ring();
        int head = k.prologue();
        if (head < 0) {
            syncErrors++;
            return false;
        }
        int queue = ring.id();
        Vnic.WireListener out = toHost ? null : nic.wireOut();
        int i = k.hwcur();
        int done = i;
        int chainStart = i;
        int chainLength = 0;
        boolean chainBad = false;
        while (i != head) {
            int flags = ring.slotFlags(i);
            int len = ring.length(i);
            if (!pool.valid(ring.bufferIndex(i)) || (flags & Ring.INDIRECT) != 0 || len > pool.bufferSize()) {
                chainBad = true;
            }
            chainLength++;
            int next = ring.next(i);
            if ((flags & Ring.MOREFRAG) == 0 || chainLength == Ring.MAX_FRAGMENTS) {
                if (chainBad || (flags & Ring.MOREFRAG) != 0) {
                    badSlots += chainLength;
                } else {
                    send(ring, chainStart, chainLength, queue, toHost, out);
                }
                chainLength = 0;
                chainBad = false;
                chainStart = next;
                done = next;
            }
            ring.setSlotFlags(i, flags & ~(Ring.BUF_CHANGED | Ring.REPORT));
            i = next;
        }
        // An unfinished chain waits at hwcur for its last slot.
        k.consumed(done);
        k.publishTail(done == 0 ? ring.slots() - 1 : done - 1);
        if ((ring.flags() & Ring.TIMESTAMP) != 0) {
            ring.timestampNanos(System.currentTimeMillis() * 1_000_000L);
        }
        return true;
    }

    private void send(Ring ring, int first, int slots, int queue, boolean toHost, Vnic.WireListener out) {
        MemorySegment segment;
        long offset;
        int length;
        if (slots == 1) {
            segment = ring.buffers();
            offset = ring.offset(first);
            length = ring.length(first);
        } else {
            segment = scratch;
            offset = 0;
            length = gather(ring, first, slots);
        }
        transmitted++;
        if (toHost) {
            hostInput.deliver(HostStack.HOST_RING, segment, offset, length);
        } else {
            nic.txPackets[queue]++;
            nic.txBytes[queue] += length;
            if (out != null) {
                out.transmit(queue, segment, offset, length);
            }
        }
    }

    /**
     * Closes the port: sends what the TX rings hold, forwards what the application released
     * with {@link Ring#SLOT_FORWARD}, gives every queue back to the host and hands the frames
     * still in the RX rings (read or not) to the host stack.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        txSync();
        rxSync();
        for (int r = 0; r < rxKernel.length; r++) {
            KernelRing k = rxKernel[r];
            HwRxRing hw = rxHw[r];
            Ring ring = k.ring();
            if (r == hostRx) {
                continue;
            }
            nic.unbindRx(ring.id(), this, wire -> nic.drained(ring.id(), drain(k, hw, wire)));
        }
        if (hostRx >= 0 || hostTx >= 0) {
            nic.unbindHost(this);
            if (hostRx >= 0) {
                // What the host transmitted towards this port goes out of the NIC after all.
                drain(rxKernel[hostRx], rxHw[hostRx], null);
            }
        }
        for (Ring ring : tx) {
            if (ring != (hostTx >= 0 ? tx.get(hostTx) : null)) {
                nic.unbindTx(ring.id(), this);
            }
        }
        for (Ring ring : rx) {
            ring.releaseBuffers();
        }
        for (Ring ring : tx) {
            ring.releaseBuffers();
        }
        arena.close();
    }

    /** Hands frames from head to the producer's position to {@code to} (or the wire when null); returns how many. */
    private long drain(KernelRing k, HwRxRing hw, HostStack.Input to) {
        Ring ring = k.ring();
        int produced = hw.produced();
        int hwtail = k.hwtail();
        long frames = 0;
        int s = ring.head();
        int slots = 0;
        long at = 0;
        while (s != produced) {
            boolean synced = k.distance(ring.head(), s) < k.distance(ring.head(), hwtail);
            int len = synced ? ring.length(s) : hw.length[s];
            int flags = synced ? ring.slotFlags(s) : hw.flags[s];
            int buffer = synced && pool.valid(ring.bufferIndex(s)) ? ring.bufferIndex(s) : hw.buffer[s];
            MemorySegment.copy(pool.memory(), pool.offset(buffer), scratch, at, Math.min(len, pool.bufferSize()));
            at += Math.min(len, pool.bufferSize());
            slots++;
            s = ring.next(s);
            if ((flags & Ring.MOREFRAG) == 0 || slots == Ring.MAX_FRAGMENTS) {
                if (to != null) {
                    to.deliver(ring.id(), scratch, 0, (int) at);
                } else {
                    Vnic.WireListener out = nic.wireOut();
                    if (out != null) {
                        out.transmit(HostStack.HOST_RING, scratch, 0, (int) at);
                    }
                }
                frames++;
                at = 0;
                slots = 0;
            }
        }
        return frames;
    }

    @Override
    public String toString() {
        return name.toString();
    }
}
