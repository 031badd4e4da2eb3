package io.netbypass.backend.vnic;

import io.netbypass.packet.FrameHeaders;
import io.netbypass.port.HostForwarder;
import io.netbypass.port.HostPath;
import io.netbypass.port.KernelRing;
import io.netbypass.port.PortCounters;
import io.netbypass.port.PortException;
import io.netbypass.port.PortName;
import io.netbypass.port.Ring;
import io.netbypass.port.RingPort;

import io.netbypass.backend.WireTraffic;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ObjLongConsumer;

/**
 * A port on a {@link Vnic}: the queues its name selects, each RX queue detached from the host
 * stack while the port is open. {@code vnic:eth3-4/R} takes RX queue 4 only (single RX queue
 * mode); TX queue 4 and every other queue stay with the host. Closing gives the queues back and
 * hands the frames still in the rings to the host, so nothing is lost. Frames the application
 * forwards go to the host stack through a {@link HostPath}, as an {@code xdp:} port's go to the
 * kernel through a TAP.
 */
public final class VnicPort extends RingPort {
    private final Vnic nic;
    private final Arena arena = Arena.ofShared();
    private final List<HwRxRing> rxHw = new ArrayList<>();
    private final List<HostForwarder> forwarders = new ArrayList<>();
    /** Index among the RX/TX rings of the host ring, or -1. */
    private int hostRx = -1;
    private int hostTx = -1;
    private final HostStack.Input hostInput;
    private final MemorySegment scratch;
    /** The wire this port feeds while it receives (null: the NIC's shared one, the application, or nobody). */
    private VnicWire ownWire;
    /** Frames the NIC had steered into its queues' rings (for earlier ports) when this one bound them. */
    private long steeredBefore;
    /** Set once {@link #stopReceiving} took the queues out of the NIC's steering. */
    private boolean stopped;

    private VnicPort(Vnic nic, PortName name) {
        super(name, nic.pool());
        this.nic = nic;
        this.hostInput = nic.host().newInput(name.toString());
        this.scratch = arena.allocate((long) Ring.MAX_FRAGMENTS * nic.pool().bufferSize(), 64);
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
        if (nicRings) {
            for (int q = first; q <= last; q++) {
                if (wantRx) {
                    steeredBefore += nic.bindRx(q, this, addRxRing(Ring.allocate(arena, Ring.Kind.RX, q, rxSlots, nic.pool())));
                }
                if (wantTx) {
                    addTxRing(Ring.allocate(arena, Ring.Kind.TX, q, txSlots, nic.pool()), false);
                    nic.bindTx(q, this);
                }
            }
        }
        if (hostRings) {
            if (wantRx) {
                hostRx = rxRings();
                addRxRing(Ring.allocate(arena, Ring.Kind.RX, 0, rxSlots, nic.pool()));
            }
            if (wantTx) {
                hostTx = txRings();
                addTxRing(Ring.allocate(arena, Ring.Kind.TX, 0, txSlots, nic.pool()), true);
            }
            nic.bindHost(this);
        }
    }

    private HwRxRing addRxRing(Ring ring) {
        HwRxRing hw = new HwRxRing(ring);
        HostForwarder toHost = new HostForwarder(new HostStackPath(ring.id()), nic.pool().bufferSize(), arena);
        rxHw.add(hw);
        forwarders.add(toHost);
        addRx(ring, (k, head) -> rxSync(k, head, hw, toHost));
        return hw;
    }

    private void addTxRing(Ring ring, boolean toHost) {
        addTx(ring, (k, head) -> txSync(k, head, toHost));
    }

    /** The software NIC's host stack as this port's way back in: where a forwarded frame of queue {@code queue} goes. */
    private final class HostStackPath implements HostPath {
        private final int queue;

        HostStackPath(int queue) {
            this.queue = queue;
        }

        @Override
        public boolean forward(MemorySegment segment, long offset, int length, long headers) {
            hostInput.deliver(queue, segment, offset, length);
            return true;
        }

        @Override public void flush() { }
        @Override public String description() { return "host stack of vnic " + nic.name(); }
        @Override public void close() { }
    }

    /** The host RX ring's device side (what the host transmits while a {@code ^} port is open), or null. */
    HwRxRing hostRxRing() {
        return hostRx < 0 ? null : rxHw.get(hostRx);
    }

    /** Whether RX ring {@code i} is the host ring (what the host stack transmits). */
    public boolean isHostRx(int i) { return i == hostRx; }
    public boolean isHostTx(int i) { return i == hostTx; }

    /**
     * Feeds the NIC's wire with {@code traffic} on a daemon thread named "wire", from now until
     * {@link #stopReceiving()}: a vnic has no real wire, so a command receiving on one feeds it.
     */
    void feed(WireTraffic traffic) {
        ownWire = VnicWire.start(nic, traffic, name().toString());
    }

    /** The wire that feeds this port: its own, else the NIC's shared one, else null. */
    private VnicWire wire() {
        return ownWire != null ? ownWire : nic.sharedWire();
    }

    @Override
    public boolean hasEnd() {
        return wire() != null;
    }

    /** The wire's traffic all sent, and every frame the NIC steered to this port's queues received. */
    @Override
    public boolean drained() {
        VnicWire w = wire();
        if (w == null || w.alive()) {
            return false;
        }
        long[] steered = nic.stats().rxRing();
        long sum = 0;
        for (int r = 0; r < rxRings(); r++) {
            if (r != hostRx) {
                sum += steered[rxRing(r).id()];
            }
        }
        return sum - steeredBefore == received();
    }

    /**
     * With a wire of its own: stops its traffic after the batch in flight (what the NIC already has
     * still arrives). Otherwise the NIC stops steering frames to this port's RX queues: from now on
     * they go to the host stack, while what the rings hold stays to be read; the queues stay this
     * port's until it closes.
     */
    @Override
    public void stopReceiving() {
        if (ownWire != null) {
            ownWire.stop();
            return;
        }
        if (!stopped) {
            stopped = true;
            for (int r = 0; r < rxRings(); r++) {
                if (r != hostRx) {
                    nic.stopRx(rxRing(r).id(), this);
                }
            }
        }
    }

    @Override
    public boolean forwardsToHost() {
        return true;
    }

    /** The NIC's side of a run: what the wire carried and where the NIC put it. */
    @Override
    public String deviceSummary() {
        VnicStats s = nic.stats();
        return String.format(Locale.ROOT, "vnic %s: %d frames on the wire, %d into this port's rings, %d to the host,"
                        + " %d dropped (ring full), %d dropped by ntuple rules", nic.name(), s.wirePackets(),
                s.sum(s.rxRing()), s.sum(s.rxHost()), s.sum(s.rxMissed()), s.ntupleDrops());
    }

    /** RX frames handed to the host because the application marked them {@link Ring#SLOT_FORWARD}. */
    public long forwarded() {
        long n = 0;
        for (HostForwarder f : forwarders) {
            n += f.forwarded();
        }
        return n;
    }

    @Override
    protected void deviceStatistics(ObjLongConsumer<String> sink) {
        HostForwarder.report(forwarders, sink);
    }

    private void rxSync(KernelRing k, int head, HwRxRing hw, HostForwarder toHost) {
        Ring ring = k.ring();
        var pool = ring.pool();
        boolean forward = (ring.flags() & Ring.FORWARD) != 0;
        int i = k.hwcur();
        while (i != head) {
            int flags = ring.slotFlags(i);
            if ((flags & Ring.BUF_CHANGED) != 0 && !pool.valid(ring.bufferIndex(i))) {
                ring.setBufferIndex(i, hw.buffer[i]);
                counters().badSlots(1);
                toHost.broken((flags & Ring.MOREFRAG) != 0);
            } else if (forward && (flags & Ring.SLOT_FORWARD) != 0) {
                toHost.slot(ring.buffers(), ring.offset(i), ring.length(i), (flags & Ring.MOREFRAG) != 0, ring.headers(i));
            } else {
                toHost.notForwarded();
            }
            hw.buffer[i] = ring.bufferIndex(i);
            ring.setSlotFlags(i, 0);
            if ((flags & Ring.SLOT_FORWARD) != 0) {
                ring.setHeaders(i, FrameHeaders.UNKNOWN); // whoever forwards this slot's next frame gives its own
            }
            i = ring.next(i);
        }
        k.consumed(head);
        hw.stop(head == 0 ? ring.slots() - 1 : head - 1);

        int produced = hw.produced();
        int j = k.hwtail();
        long frames = 0;
        while (j != produced) {
            ring.setLength(j, hw.length[j]);
            int f = hw.flags[j];
            ring.setSlotFlags(j, f);
            if ((f & Ring.MOREFRAG) == 0) {
                frames++;
            }
            j = ring.next(j);
        }
        counters().received(frames);
        k.publishTail(produced);
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

    private void txSync(KernelRing k, int head, boolean toHost) {
        Ring ring = k.ring();
        var pool = ring.pool();
        PortCounters counters = counters();
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
                    counters.badSlots(chainLength);
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
        counters().transmitted(1);
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
    protected void release() {
        if (ownWire != null) {
            ownWire.stop();
            // Stopped, the feeder ends after its batch: a paused wire goes on once the queues are the host's again.
        }
        txSync();
        rxSync();
        for (int r = 0; r < rxRings(); r++) {
            KernelRing k = rxKernel(r);
            HwRxRing hw = rxHw.get(r);
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
                drain(rxKernel(hostRx), rxHw.get(hostRx), null);
            }
        }
        for (int r = 0; r < txRings(); r++) {
            if (r != hostTx) {
                nic.unbindTx(txRing(r).id(), this);
            }
        }
        if (ownWire != null) {
            ownWire.join(10_000);
        }
        for (int r = 0; r < rxRings(); r++) {
            rxRing(r).releaseBuffers();
        }
        for (int r = 0; r < txRings(); r++) {
            txRing(r).releaseBuffers();
        }
        arena.close();
    }

    /** Hands frames from head to the producer's position to {@code to} (or the wire when null); returns how many. */
    private long drain(KernelRing k, HwRxRing hw, HostStack.Input to) {
        Ring ring = k.ring();
        var pool = ring.pool();
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
}
