package io.netbypass.backend.vnic;

import io.netbypass.backend.WireTraffic;
import io.netbypass.port.BufferPool;
import io.netbypass.port.PortException;
import io.netbypass.port.PortName;
import io.netbypass.scaling.ntuple.NtupleClassifier;
import io.netbypass.scaling.ntuple.NtupleScript;
import io.netbypass.scaling.ntuple.NtupleTable;
import io.netbypass.scaling.rss.IndirectionTable;
import io.netbypass.scaling.rss.RssHasher;
import io.netbypass.scaling.rss.RssKey;
import io.netbypass.scaling.rss.RssTransform;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A software multi-queue NIC, in process, that behaves like an ixgbe-class device: frames
 * arriving on its wire are matched against ntuple rules (Flow Director), else hashed with
 * Toeplitz over the RSS key and spread by the indirection table; each RX queue either belongs to
 * the {@link HostStack} or is bound to a port, whose ring it fills. Queues, rules and tables are
 * the real {@code io.netbypass.scaling} code.
 *
 * <p>Threads: one thread at a time drives the wire ({@link #receive}); it holds the device's
 * hardware context for one batch, and control operations (bind, unbind, new rules or tables)
 * take the same context between batches, so a change never lands half-way through a batch and
 * a packet is never lost in a switch. Ports' syncs run on their own threads, lock-free.
 */
public final class Vnic implements AutoCloseable {
    public static final int DEFAULT_QUEUES = 10;
    public static final int DEFAULT_SLOTS = 1024;
    public static final int NTUPLE_TABLE_SIZE = 8192;
    /** Largest frame the wire accepts (a jumbo frame, spread over several slots). */
    public static final int MAX_FRAME = 9216;

    private final String name;
    private final int queues;
    private final BufferPool pool;
    private final boolean ownsPool;
    private final int defaultSlots;
    private final HostStack host;
    private final HostStack.Input wireInput;
    private final AtomicInteger hardware = new AtomicInteger();

    /** Written under the hardware context. */
    private final VnicSteering steering;
    private boolean pause;

    // Per queue, written by the hardware context holder.
    final long[] rxPackets;
    final long[] rxBytes;
    final long[] rxHost;
    final long[] rxRing;
    final long[] rxMissed;
    // Per queue, written by the port owning the TX ring.
    final long[] txPackets;
    final long[] txBytes;
    private long wirePackets;
    private long wireBytes;
    private long ntupleDrops;
    private long oversize;
    private long pauseEvents;
    private long hostTx;
    private long hostToPort;
    private long hostDrops;

    private final HwRxRing[] boundRx;
    private final VnicPort[] rxOwner;
    private final VnicPort[] txOwner;
    private VnicPort hostOwner;
    private volatile WireListener wireOut;
    private volatile VnicWire sharedWire;

    /** Receives what the NIC transmits on its wire. Called on the transmitting port's thread. */
    public interface WireListener {
        void transmit(int queue, MemorySegment segment, long offset, int length);
    }

    public Vnic(String name, int queues, int slots, BufferPool pool, HostStack host) {
        if (queues < 1 || queues > 1024) {
            throw new PortException("vnic " + name + ": queue count must be 1..1024, not " + queues);
        }
        this.name = name;
        this.queues = queues;
        this.defaultSlots = slots;
        this.ownsPool = pool == null;
        this.pool = pool != null ? pool : new BufferPool((queues * 2 + 4) * slots + 1024, BufferPool.DEFAULT_BUFFER_SIZE);
        this.host = host != null ? host : new HostStack(queues);
        this.wireInput = this.host.newInput(name + " wire");
        this.steering = new VnicSteering(queues, NTUPLE_TABLE_SIZE);
        rxPackets = new long[queues];
        rxBytes = new long[queues];
        rxHost = new long[queues];
        rxRing = new long[queues];
        rxMissed = new long[queues];
        txPackets = new long[queues];
        txBytes = new long[queues];
        boundRx = new HwRxRing[queues];
        rxOwner = new VnicPort[queues];
        txOwner = new VnicPort[queues];
    }

    /** A vnic with its own buffer pool and a counting host stack. */
    public Vnic(String name, int queues) {
        this(name, queues, DEFAULT_SLOTS, null, null);
    }

    public String name() { return name; }
    public int queues() { return queues; }
    public BufferPool pool() { return pool; }
    public HostStack host() { return host; }
    int defaultSlots() { return defaultSlots; }

    // ---------------------------------------------------------------- hardware context

    private void acquire() {
        while (!hardware.compareAndSet(0, 1)) {
            Thread.onSpinWait();
        }
    }

    private void release() {
        hardware.set(0);
    }

    // ---------------------------------------------------------------- control

    /** {@code ethtool -X}: refused (nothing changes) when an entry names a missing queue. */
    public void indirection(IndirectionTable table) {
        table.checkRings(queues);
        acquire();
        try {
            steering.indirection = table;
        } finally {
            release();
        }
    }

    public IndirectionTable indirection() {
        return steering.indirection;
    }

    public void rssKey(RssKey key, RssTransform transform) {
        RssHasher h = new RssHasher(key, transform);
        acquire();
        try {
            steering.rssKey = key;
            steering.rssTransform = transform;
            steering.hasher = h;
        } finally {
            release();
        }
    }

    public RssKey rssKey() { return steering.rssKey; }

    /**
     * {@code ethtool -N} commands (inserts and deletes), all or nothing.
     *
     * @return the location of each insert (-1 for a delete)
     * @throws io.netbypass.scaling.ntuple.NtupleRuleException naming the line that failed
     */
    public int[] ntuple(List<NtupleScript.Command> commands) {
        acquire();
        try {
            NtupleTable ntuple = steering.ntuple;
            NtupleTable trial = new NtupleTable(ntuple.size(), ntuple.rings());
            trial.copyFrom(ntuple);
            int[] locations = NtupleScript.apply(commands, trial);
            NtupleClassifier compiled = NtupleClassifier.compile(trial);
            ntuple.copyFrom(trial);
            steering.classifier = compiled;
            return locations;
        } finally {
            release();
        }
    }

    /** A copy of the rule table ({@code ethtool -n}). */
    public NtupleTable ntupleTable() {
        NtupleTable copy = new NtupleTable(steering.ntuple.size(), steering.ntuple.rings());
        acquire();
        try {
            copy.copyFrom(steering.ntuple);
        } finally {
            release();
        }
        return copy;
    }

    /**
     * Features as {@code ethtool -K}: {@code rxhash} off sends every frame to queue 0 unparsed
     * (RSS disabled), {@code ntuple} off ignores the rules.
     */
    public void features(boolean rxhash, boolean ntupleFilters) {
        acquire();
        try {
            steering.rss = rxhash;
            steering.ntupleFilter = ntupleFilters;
        } finally {
            release();
        }
    }

    /**
     * {@code ethtool -A rx on}: when a bound queue's ring is full the wire is paused (the sender
     * is told to retry) instead of the frame being dropped as {@code rx_missed_errors}.
     */
    public void pause(boolean rx) {
        acquire();
        try {
            pause = rx;
        } finally {
            release();
        }
    }

    public void wireOut(WireListener listener) {
        wireOut = listener;
    }

    WireListener wireOut() {
        return wireOut;
    }

    // ---------------------------------------------------------------- wire (data path)

    /**
     * Receives one frame from the wire. Returns false only when the wire is paused (flow
     * control on, target ring full): the frame was not taken and should be sent again.
     */
    public boolean receive(MemorySegment segment, long offset, int length) {
        acquire();
        try {
            return arrive(segment, offset, length);
        } finally {
            publish();
            release();
        }
    }

    /**
     * Receives frames {@code from..count} of a batch in order; returns the index of the first
     * frame not taken (paused), {@code batch.count()} when all were.
     */
    public int receive(WireBatch batch, int from) {
        MemorySegment segment = batch.segment();
        int n = batch.count;
        acquire();
        try {
            for (int i = from; i < n; i++) {
                if (!arrive(segment, batch.offsets[i], batch.lengths[i])) {
                    return i;
                }
            }
            return n;
        } finally {
            publish();
            release();
        }
    }

    /** Publishes each bound ring's new frames once per batch. */
    private void publish() {
        for (HwRxRing ring : boundRx) {
            if (ring != null) {
                ring.publish();
            }
        }
    }

    private boolean arrive(MemorySegment segment, long offset, int length) {
        if (length > MAX_FRAME || length < 14) {
            wirePackets++;
            wireBytes += length;
            oversize++;
            return true;
        }
        int queue = steering.queueOf(segment, offset, length);
        if (queue < 0) {
            wirePackets++;
            wireBytes += length;
            ntupleDrops++;
            return true;
        }
        HwRxRing ring = boundRx[queue];
        if (ring != null && !ring.put(segment, offset, length)) {
            if (pause) {
                pauseEvents++;
                return false;
            }
            rxMissed[queue]++;
        } else if (ring != null) {
            rxRing[queue]++;
        } else {
            rxHost[queue]++;
            wireInput.deliver(queue, segment, offset, length);
        }
        wirePackets++;
        wireBytes += length;
        rxPackets[queue]++;
        rxBytes[queue] += length;
        return true;
    }

    /**
     * The host stack transmits a frame: into the host RX ring of an open {@code ^} port, else out
     * of the NIC. One thread at a time transmits for the host.
     */
    public void hostTransmit(MemorySegment segment, long offset, int length) {
        acquire();
        try {
            HwRxRing ring = hostOwner == null ? null : hostOwner.hostRxRing();
            if (ring != null) {
                if (ring.put(segment, offset, length)) {
                    ring.publish();
                    hostToPort++;
                } else {
                    hostDrops++;
                }
                return;
            }
            hostTx++;
            WireListener out = wireOut;
            if (out != null) {
                out.transmit(HostStack.HOST_RING, segment, offset, length);
            }
        } finally {
            release();
        }
    }

    /**
     * Feeds this NIC's wire with {@code traffic} for every port open on it (a port per queue) until
     * the returned wire is stopped; one at a time.
     */
    public synchronized VnicWire feed(WireTraffic traffic) {
        VnicWire w = sharedWire;
        if (w != null && w.alive()) {
            throw new PortException("vnic " + name + ": its wire is already fed");
        }
        sharedWire = VnicWire.start(this, traffic, "vnic:" + name);
        return sharedWire;
    }

    /** The wire {@link #feed} started (running or ended), or null. */
    VnicWire sharedWire() {
        return sharedWire;
    }

    /** Forgets {@code wire} once its run is over: ports opened later are not fed, and have no end. */
    public synchronized void unfeed(VnicWire wire) {
        if (sharedWire == wire) {
            sharedWire = null;
        }
    }

    // ---------------------------------------------------------------- ports

    /** Opens a port on this NIC by name ({@code vnic:eth3-4/R}); throws {@link PortException}. */
    public VnicPort open(PortName portName) {
        if (!portName.device().equals(name)) {
            throw new PortException(portName + ": this vnic is " + name);
        }
        return VnicPort.open(this, portName);
    }

    /**
     * Binds RX queue {@code q} to {@code ring}: from now on its frames fill the ring, not the host.
     * Returns the frames steered into the queue's rings before (for earlier ports).
     */
    long bindRx(int q, VnicPort owner, HwRxRing ring) {
        acquire();
        try {
            checkFree(q, rxOwner[q], "RX");
            rxOwner[q] = owner;
            boundRx[q] = ring;
            return rxRing[q];
        } finally {
            release();
        }
    }

    void bindTx(int q, VnicPort owner) {
        acquire();
        try {
            checkFree(q, txOwner[q], "TX");
            txOwner[q] = owner;
        } finally {
            release();
        }
    }

    void bindHost(VnicPort owner) {
        acquire();
        try {
            if (hostOwner != null) {
                throw new PortException(name + "^: host rings already bound to " + hostOwner.name());
            }
            hostOwner = owner;
        } finally {
            release();
        }
    }

    private void checkFree(int q, VnicPort current, String what) {
        if (current != null) {
            throw new PortException(name + ": " + what + " queue " + q + " is already bound to " + current.name());
        }
    }

    /**
     * RX queue {@code q} stops filling its port's ring (its frames go to the host from the next
     * one), while the queue stays the port's: what the ring holds is read, then {@link #unbindRx}.
     */
    void stopRx(int q, VnicPort owner) {
        acquire();
        try {
            if (rxOwner[q] == owner) {
                boundRx[q] = null;
            }
        } finally {
            release();
        }
    }

    /**
     * Gives RX queue {@code q} back to the host. {@code drain} runs inside the hardware context,
     * after the queue stopped filling the ring and before the next frame: it hands the frames
     * still in the ring to the host, through the wire's input.
     */
    void unbindRx(int q, VnicPort owner, Consumer<HostStack.Input> drain) {
        acquire();
        try {
            if (rxOwner[q] == owner) {
                boundRx[q] = null;
                rxOwner[q] = null;
                drain.accept(wireInput);
            }
        } finally {
            release();
        }
    }

    void unbindTx(int q, VnicPort owner) {
        acquire();
        try {
            if (txOwner[q] == owner) {
                txOwner[q] = null;
            }
        } finally {
            release();
        }
    }

    void unbindHost(VnicPort owner) {
        acquire();
        try {
            if (hostOwner == owner) {
                hostOwner = null;
            }
        } finally {
            release();
        }
    }

    /** Counts frames a drain handed from a ring to the host. */
    void drained(int q, long frames) {
        rxRing[q] -= frames;
        rxHost[q] += frames;
    }

    public boolean rxBound(int q) {
        return rxOwner[q] != null;
    }

    public boolean txBound(int q) {
        return txOwner[q] != null;
    }

    // ---------------------------------------------------------------- counters

    /** A consistent snapshot, taken in the hardware context. */
    public VnicStats stats() {
        acquire();
        try {
            return new VnicStats(wirePackets, wireBytes, ntupleDrops, oversize, pauseEvents, steering.fdirMatch, steering.fdirMiss,
                    hostTx, hostToPort, hostDrops,
                    rxPackets.clone(), rxBytes.clone(), rxRing.clone(), rxHost.clone(), rxMissed.clone(),
                    txPackets.clone(), txBytes.clone());
        } finally {
            release();
        }
    }

    @Override
    public void close() {
        if (ownsPool) {
            pool.close();
        }
    }
}
