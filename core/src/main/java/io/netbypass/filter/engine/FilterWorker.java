package io.netbypass.filter.engine;

import io.netbypass.packet.FrameHeaders;
import io.netbypass.packet.IpProtocols;
import io.netbypass.packet.LinkType;
import io.netbypass.packet.PacketParser;
import io.netbypass.packet.ParsedPacket;
import io.netbypass.port.Port;
import io.netbypass.port.Ring;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Function;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.IdleStrategy;

/**
 * One worker of a {@link FilterEngine}: the filter's duty cycle over the RX queues it owns (one
 * port per queue, or one port with several), on one thread. Each batch: pick up the engine's
 * latest rule set, sync each port's RX rings, decide every packet, apply the verdicts to the
 * whole batch, hand the slots back. Drop releases the slot; pass marks it {@link
 * Ring#SLOT_FORWARD} so the port hands it to the host stack on the next sync; tx swaps the buffer
 * into the port's TX ring (zero copy). A multi-slot packet (NS_MOREFRAG) is decided by its first
 * slot and its verdict covers every slot.
 *
 * <p>It has its own parser, its own lane through the program (classifier state, per-rule
 * counters) and its own {@link FilterCounters}; the rate limiters are the program's, shared.
 * Queues are added and removed between batches ({@link #add}, {@link #remove}); a removed queue
 * is drained first. The data path allocates nothing. An {@link Agent} for Agrona's {@code
 * AgentRunner}, or driven by the caller's thread through {@link #doWork(long)}.
 */
public final class FilterWorker implements Agent {
    private static final int RUNNING = 0, STOP_ASKED = 1, DRAINING = 2, DONE = 3;
    /** Empty batches in a row after which a drained queue without an end of its own is taken as empty. */
    private static final int IDLE_ROUNDS = 3;
    private static final long DRAIN_NANOS = 200_000_000L;
    /**
     * Duty cycles in a row that threw before the worker gives up (a device gone, a bug that every
     * cycle meets): its queues go back to the kernel rather than black-holed by a spinning worker.
     */
    public static final int GIVE_UP = 1000;

    private final FilterEngine engine;
    private final int index;
    private final ParsedPacket parsed = new ParsedPacket();
    private final FilterCounters counters = new FilterCounters();
    private final long[] c = counters.values;
    private Port[] ports;
    /** Per port: whether its host path reads the parser's offsets from a passed slot (else they are not packed). */
    private boolean[] headers;
    private FilterProgram program;
    /** The program its batches run, for readers (set once the counts of a reload are carried). */
    private volatile FilterProgram running;
    private FilterProgram.Lane lane;
    /** The ports as readers see them (a new array per change). */
    private volatile List<Port> published;
    private final Queue<Change> changes = new ConcurrentLinkedQueue<>();
    private volatile boolean changesPending;
    /** Ports being given back: their queues stopped, their rings still read until empty. */
    private final List<Change> leaving = new ArrayList<>();
    private volatile int state = RUNNING;
    private int idleRounds;
    private long drainDeadline;
    private volatile boolean ended;
    private volatile Throwable lastError;
    /** Duty cycles in a row that threw; at {@link #GIVE_UP} the worker gives its queues back and stops. */
    private int failedCycles;
    private volatile boolean gaveUp;
    private final DelegatingIdle idle = new DelegatingIdle();
    private Function<List<Port>, IdleStrategy> idleFactory;
    private Runnable onStart;

    /** A port to add or to give back, and its progress. */
    private static final class Change {
        final Port port;
        final boolean add;
        final CompletableFuture<Void> done = new CompletableFuture<>();
        long since;
        int emptyRounds;

        Change(Port port, boolean add) {
            this.port = port;
            this.add = add;
        }
    }

    FilterWorker(FilterEngine engine, int index, List<Port> ports) {
        this.engine = engine;
        this.index = index;
        this.ports = new Port[0];
        this.headers = new boolean[0];
        for (Port p : ports) {
            attach(p);
        }
        published = List.copyOf(ports);
    }

    private void attach(Port p) {
        for (int r = 0; r < p.rxRings(); r++) {
            Ring ring = p.rxRing(r);
            ring.flags(ring.flags() | Ring.FORWARD);
        }
        ports = Arrays.copyOf(ports, ports.length + 1);
        ports[ports.length - 1] = p;
        headers = Arrays.copyOf(headers, headers.length + 1);
        headers[headers.length - 1] = p.usesFrameHeaders();
    }

    public int index() {
        return index;
    }

    /** The ports this worker filters now. */
    public List<Port> ports() {
        return published;
    }

    /** This worker's counters (read from any thread with a short delay). */
    public FilterCounters counters() {
        return counters;
    }

    /** The program this worker's batches run (its counts of the rules it keeps carried over), or null before its first. */
    FilterProgram running() {
        return running;
    }

    /** Whether it gave up after {@link #GIVE_UP} failed duty cycles in a row (its queues went back to the kernel). */
    public boolean gaveUp() {
        return gaveUp;
    }

    /** The last exception its duty cycle threw, or null. */
    public Throwable lastError() {
        return lastError;
    }

    /** Whether every port it filters has an end it reached, with every frame decided. */
    public boolean ended() {
        return ended;
    }

    /** Whether it finished draining after {@link #stop()}. */
    public boolean done() {
        return state == DONE;
    }

    @Override
    public String roleName() {
        return "filter-worker-" + index;
    }

    // ------------------------------------------------------------------------------ running

    void threading(Function<List<Port>, IdleStrategy> idleFactory, Runnable onStart) {
        this.idleFactory = idleFactory;
        this.onStart = onStart;
        idle.to(idleFactory.apply(published));
    }

    /** The idle strategy its runner uses: the one for its current ports (rebuilt when they change). */
    IdleStrategy idleStrategy() {
        return idle;
    }

    @Override
    public void onStart() {
        if (onStart != null) {
            onStart.run();
        }
    }

    /**
     * Counts and keeps an exception of the duty cycle (Agrona's runner goes on with the next cycle);
     * after {@link #GIVE_UP} in a row the worker gives up.
     */
    void onError(Throwable t) {
        c[FilterCounters.ERRORS]++;
        lastError = t;
        if (++failedCycles >= GIVE_UP && state != DONE) {
            giveUp();
        }
    }

    /** Its queues back to the kernel, its pending changes refused, and no more cycles. */
    private void giveUp() {
        for (Port p : ports) {
            try {
                p.stopReceiving();
            } catch (RuntimeException e) {
                // giving up: the port is closed with the rest at the end of the run
            }
        }
        gaveUp = true;
        state = DONE;
        for (Change ch : leaving) {
            ch.done.complete(null); // stopped receiving; what its ring held is lost with the worker
        }
        leaving.clear();
        for (Change ch; (ch = changes.poll()) != null; ) {
            ch.done.completeExceptionally(new IllegalStateException("worker " + index + " gave up"));
        }
    }

    @Override
    public int doWork() {
        return doWork(System.nanoTime() - engine.origin());
    }

    /**
     * Asks the worker to finish: its ports stop receiving new frames (the queues go back to the
     * kernel, a software wire stops), what is already in the rings is decided, then {@link #done()}.
     */
    void stop() {
        if (state == RUNNING) {
            state = STOP_ASKED;
        }
    }

    /** Adds {@code port} to this worker from its next batch; the future completes once it is filtered. */
    CompletableFuture<Void> add(Port port) {
        return enqueue(new Change(port, true));
    }

    /**
     * Stops {@code port}'s queues receiving, decides what its rings still hold, and takes it out of
     * this worker; the future completes when it is out (the caller closes it then).
     */
    CompletableFuture<Void> remove(Port port) {
        return enqueue(new Change(port, false));
    }

    private CompletableFuture<Void> enqueue(Change change) {
        if (state == DONE) {
            change.done.completeExceptionally(new IllegalStateException("the filter is stopping"));
            return change.done;
        }
        changes.add(change);
        changesPending = true;
        return change.done;
    }

    // ------------------------------------------------------------------------------ duty cycle

    /** One duty cycle at {@code nowNanos} (the engine's clock); returns the packets decided (0: nothing arrived). */
    public int doWork(long nowNanos) {
        if (state == DONE) {
            return 0; // finished: its ports are closed from now on
        }
        FilterProgram latest = engine.latest();
        if (latest != program) {
            switchTo(latest);
        }
        if (changesPending || !leaving.isEmpty()) {
            applyChanges();
        }
        int work = 0;
        Port[] ps = ports;
        for (int i = 0; i < ps.length; i++) {
            work += batch(ps[i], headers[i], nowNanos);
        }
        if (state != RUNNING) {
            finishing(work);
        } else if (work == 0) {
            ended = allDrained(ps); // a worker left without ports has nothing more to come
        }
        failedCycles = 0;
        return work;
    }

    private static boolean allDrained(Port[] ps) {
        for (Port p : ps) {
            if (!p.hasEnd() || !p.drained()) {
                return false;
            }
        }
        return true;
    }

    /** Swaps in the engine's latest program; the counts of the rules it keeps go with it. */
    private void switchTo(FilterProgram next) {
        FilterProgram.Lane to = next.lane(index);
        if (lane != null) {
            to.carry(lane);
            c[FilterCounters.RELOADS]++;
        }
        program = next;
        lane = to;
        running = next;
    }

    private void finishing(int work) {
        long now = System.nanoTime();
        if (state == STOP_ASKED) {
            for (Port p : ports) {
                p.stopReceiving();
            }
            state = DRAINING;
            drainDeadline = now + DRAIN_NANOS;
            idleRounds = 0;
            return;
        }
        if (state != DRAINING) {
            return;
        }
        for (Port p : ports) {
            if (p.hasEnd() && !p.drained()) {
                return; // a device that knows its end: to the last frame (a paused wire waits for ring space)
            }
        }
        idleRounds = work == 0 ? idleRounds + 1 : 0;
        if (idleRounds >= IDLE_ROUNDS || now - drainDeadline >= 0) {
            Port[] ps = ports;
            for (int i = 0; i < ps.length; i++) {
                batch(ps[i], headers[i], now - engine.origin()); // forwards the slots the last batch released
            }
            state = DONE; // no cycle touches a port from now on: the futures let their callers close them
            for (Change ch : leaving) {
                ch.done.complete(null);
            }
            leaving.clear();
            for (Change ch; (ch = changes.poll()) != null; ) {
                ch.done.completeExceptionally(new IllegalStateException("the filter is stopping"));
            }
        }
    }

    private void applyChanges() {
        changesPending = false;
        boolean changed = false;
        List<Change> done = new ArrayList<>();
        for (Change ch; (ch = changes.poll()) != null; ) {
            if (ch.add) {
                if (ch.done.isDone()) {
                    continue; // given up by its caller (a timeout): not attached
                }
                attach(ch.port);
                changed = true;
                done.add(ch);
            } else if (indexOf(ch.port) < 0) {
                ch.done.completeExceptionally(new IllegalArgumentException(ch.port.name() + " is not filtered by worker " + index));
            } else {
                Change already = leavingChange(ch.port);
                if (already != null) {
                    Change again = ch;
                    already.done.whenComplete((v, t) -> again.done.complete(null)); // asked twice: one drain
                    continue;
                }
                ch.port.stopReceiving();
                ch.since = System.nanoTime();
                leaving.add(ch);
            }
        }
        // A leaving port stays until its rings are empty: what the queue received before it stopped is decided here.
        for (int i = leaving.size() - 1; i >= 0; i--) {
            Change ch = leaving.get(i);
            Port p = ch.port;
            ch.emptyRounds = emptyAfterSync(p) ? ch.emptyRounds + 1 : 0;
            boolean empty = p.hasEnd() && p.drained() || ch.emptyRounds >= IDLE_ROUNDS;
            if (empty || System.nanoTime() - ch.since > 10 * DRAIN_NANOS) {
                int at = indexOf(p);
                batch(p, headers[at], System.nanoTime() - engine.origin()); // forwards what the last batch released
                detach(at);
                leaving.remove(i);
                done.add(ch);
                changed = true;
            }
        }
        if (changed) {
            published = List.of(ports);
            if (idleFactory != null) {
                idle.to(idleFactory.apply(published)); // before the callers hear: a removed port's socket is not polled again
            }
        }
        for (Change ch : done) {
            if (!ch.done.complete(null) && ch.add) {
                // Its caller gave up on it while it was being attached: out again, untouched.
                detach(indexOf(ch.port));
                published = List.of(ports);
                if (idleFactory != null) {
                    idle.to(idleFactory.apply(published));
                }
            }
        }
    }

    private int indexOf(Port p) {
        for (int i = 0; i < ports.length; i++) {
            if (ports[i] == p) {
                return i;
            }
        }
        return -1;
    }

    private Change leavingChange(Port p) {
        for (Change ch : leaving) {
            if (ch.port == p) {
                return ch;
            }
        }
        return null;
    }

    private static boolean emptyAfterSync(Port p) {
        p.rxSync();
        for (int r = 0; r < p.rxRings(); r++) {
            if (!p.rxRing(r).isEmpty()) {
                return false;
            }
        }
        return true;
    }

    private void detach(int at) {
        Port[] ps = new Port[ports.length - 1];
        boolean[] hs = new boolean[ps.length];
        for (int i = 0, j = 0; i < ports.length; i++) {
            if (i != at) {
                ps[j] = ports[i];
                hs[j++] = headers[i];
            }
        }
        ports = ps;
        headers = hs;
    }

    /** One batch of one port; returns the packets decided. */
    private int batch(Port port, boolean packHeaders, long nowNanos) {
        port.rxSync();
        int work = 0;
        boolean transmitted = false;
        for (int r = 0; r < port.rxRings(); r++) {
            Ring ring = port.rxRing(r);
            int i = ring.head();
            int tail = ring.tail();
            while (i != tail) {
                // A packet: this slot and, while MOREFRAG is set, the ones after it.
                int last = i;
                int wireLength = ring.length(i);
                while ((ring.slotFlags(last) & Ring.MOREFRAG) != 0 && ring.next(last) != tail) {
                    last = ring.next(last);
                    wireLength += ring.length(last);
                }
                int verdict;
                try {
                    verdict = decide(ring, i, wireLength, nowNanos);
                } catch (RuntimeException e) {
                    // A packet the filter could not decide is dropped and counted, never decided again.
                    onError(e);
                    failedCycles = 0; // the cycle goes on
                    c[FilterCounters.DROPPED]++;
                    verdict = Verdict.DROP;
                }
                int end = ring.next(last);
                if (verdict == Verdict.TX && !txRoom(port, r, end - i < 0 ? end - i + ring.slots() : end - i)) {
                    c[FilterCounters.TRANSMITTED]--;
                    c[FilterCounters.TX_RING_FULL]++;
                    c[FilterCounters.DROPPED]++;
                    verdict = Verdict.DROP;
                }
                for (int s = i; s != end; s = ring.next(s)) {
                    apply(port, verdict, ring, r, s);
                }
                if (verdict == Verdict.PASS && packHeaders) {
                    ring.setHeaders(i, FrameHeaders.of(parsed)); // the host path need not parse it again
                }
                if (verdict == Verdict.TX) {
                    transmitted = true;
                }
                work++;
                i = end;
            }
            ring.advance(tail);
        }
        if (transmitted) {
            port.txSync();
        }
        return work;
    }

    private int decide(Ring ring, int slot, int wireLength, long nowNanos) {
        ParsedPacket p = parsed;
        long[] v = c;
        v[FilterCounters.RECEIVED]++;
        v[FilterCounters.RECEIVED_BYTES] += wireLength;
        if (PacketParser.parse(ring.buffers(), ring.offset(slot), ring.length(slot), LinkType.ETHERNET, p).malformed()) {
            v[FilterCounters.MALFORMED]++;
        }
        if (p.ipProtocol() == IpProtocols.UDP && p.ipVersion() != 0) {
            v[FilterCounters.UDP]++;
        }
        int verdict = lane.decide(p, wireLength, nowNanos);
        switch (verdict) {
            case Verdict.PASS -> v[FilterCounters.PASSED]++;
            case Verdict.TX -> v[FilterCounters.TRANSMITTED]++;
            case Verdict.LIMITED -> v[FilterCounters.LIMITED]++;
            case Verdict.BLOCKED -> v[FilterCounters.BLOCKED]++;
            default -> v[FilterCounters.DROPPED]++;
        }
        return verdict;
    }

    private static Ring txRingFor(Port port, int r) {
        return port.txRing(r < port.txRings() ? r : 0);
    }

    private static boolean txRoom(Port port, int r, int slots) {
        Ring tx = txRingFor(port, r);
        if (tx.space() < slots) {
            port.txSync();
        }
        return tx.space() >= slots;
    }

    private static void apply(Port port, int verdict, Ring ring, int r, int slot) {
        if (verdict == Verdict.TX) {
            Ring tx = txRingFor(port, r);
            int j = tx.head();
            ring.swapInto(slot, tx, j);
            tx.advance(tx.next(j));
        }
        int flags = ring.slotFlags(slot) & ~Ring.SLOT_FORWARD;
        ring.setSlotFlags(slot, verdict == Verdict.PASS ? flags | Ring.SLOT_FORWARD : flags);
    }

    /** The runner's idle strategy: the one made for the worker's ports, replaced when they change. */
    private static final class DelegatingIdle implements IdleStrategy {
        private volatile IdleStrategy to;

        void to(IdleStrategy next) {
            to = next;
        }

        @Override
        public void idle(int workCount) {
            to.idle(workCount);
        }

        @Override
        public void idle() {
            to.idle();
        }

        @Override
        public void reset() {
            to.reset();
        }

        @Override
        public String alias() {
            return to.alias();
        }
    }
}
