package io.netbypass.filter.engine;

import io.netbypass.packet.FrameHeaders;
import io.netbypass.packet.IpProtocols;
import io.netbypass.packet.LinkType;
import io.netbypass.packet.PacketParser;
import io.netbypass.packet.ParsedPacket;
import io.netbypass.port.Port;
import io.netbypass.port.Ring;
import io.netbypass.util.UserException;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The filter's duty cycle over one port: sync the RX rings, decide every packet, apply the
 * verdicts to the whole batch, hand the slots back. Drop releases the slot; pass marks it
 * {@link Ring#SLOT_FORWARD} so the port hands it to the host stack on the next sync; tx swaps
 * the buffer into the port's TX ring (zero copy). A multi-slot packet (NS_MOREFRAG) is decided
 * by its first slot and its verdict covers every slot.
 *
 * <p>A new program ({@link #reload}) is picked up between batches, so each batch runs under
 * exactly one rule set. One thread runs {@link #doWork}; any thread may call {@link #reload}.
 * The data path allocates nothing.
 */
public final class FilterEngine {
    private final Port port;
    /** Whether the port's host path reads the parser's offsets from a passed slot (else they are not packed). */
    private final boolean headers;
    private final ParsedPacket parsed = new ParsedPacket();
    private final FilterCounters counters = new FilterCounters();
    private FilterProgram program;
    private volatile FilterProgram pending;
    private static final VarHandle PENDING;

    static {
        try {
            PENDING = MethodHandles.lookup().findVarHandle(FilterEngine.class, "pending", FilterProgram.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    public FilterEngine(Port port, FilterProgram program) {
        if (program.transmits() && port.txRings() == 0) {
            throw new UserException("the rules send packets back out (tx) but " + port.name()
                    + " has no TX ring: open the queue for both directions (without /R)");
        }
        if (port.rxRings() == 0) {
            throw new UserException(port.name() + " has no RX ring to filter (a /T port transmits only)");
        }
        this.port = port;
        this.headers = port.usesFrameHeaders();
        this.program = program;
        for (int r = 0; r < port.rxRings(); r++) {
            Ring ring = port.rxRing(r);
            ring.flags(ring.flags() | Ring.FORWARD);
        }
    }

    /** Runs {@code next} from the next batch on. A program that needs TX on a port without it is refused. */
    public void reload(FilterProgram next) {
        if (next.transmits() && port.txRings() == 0) {
            throw new UserException("the new rules send packets back out (tx) but " + port.name()
                    + " has no TX ring; the old rules keep running");
        }
        pending = next;
    }

    public FilterProgram program() {
        return program;
    }

    public FilterCounters counters() {
        return counters;
    }

    public Port port() {
        return port;
    }

    /** One duty cycle; returns the packets decided (0: nothing arrived). */
    public int doWork(long nowNanos) {
        if (pending != null) {
            // Take it atomically: a reload stored between a read and a clear would be lost.
            program = (FilterProgram) PENDING.getAndSet(this, (FilterProgram) null);
            counters.reloads++;
        }
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
                int verdict = decide(ring, i, wireLength, nowNanos);
                int end = ring.next(last);
                if (verdict == Verdict.TX && !txRoom(r, end - i < 0 ? end - i + ring.slots() : end - i)) {
                    counters.transmitted--;
                    counters.txRingFull++;
                    counters.dropped++;
                    verdict = Verdict.DROP;
                }
                for (int s = i; s != end; s = ring.next(s)) {
                    apply(verdict, ring, r, s);
                }
                if (verdict == Verdict.PASS && headers) {
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
        if (PacketParser.parse(ring.buffers(), ring.offset(slot), ring.length(slot), LinkType.ETHERNET, p).malformed()) {
            counters.malformed++;
        }
        FilterCounters c = counters;
        c.received++;
        c.receivedBytes += wireLength;
        if (p.ipProtocol() == IpProtocols.UDP && p.ipVersion() != 0) {
            c.udp++;
        }
        int verdict = program.decide(p, wireLength, nowNanos);
        switch (verdict) {
            case Verdict.PASS -> c.passed++;
            case Verdict.TX -> c.transmitted++;
            case Verdict.LIMITED -> c.limited++;
            default -> c.dropped++;
        }
        return verdict;
    }

    private Ring txRingFor(int r) {
        return port.txRing(r < port.txRings() ? r : 0);
    }

    private boolean txRoom(int r, int slots) {
        Ring tx = txRingFor(r);
        if (tx.space() < slots) {
            port.txSync();
        }
        return tx.space() >= slots;
    }

    private void apply(int verdict, Ring ring, int r, int slot) {
        if (verdict == Verdict.TX) {
            Ring tx = txRingFor(r);
            int j = tx.head();
            ring.swapInto(slot, tx, j);
            tx.advance(tx.next(j));
        }
        int flags = ring.slotFlags(slot) & ~Ring.SLOT_FORWARD;
        ring.setSlotFlags(slot, verdict == Verdict.PASS ? flags | Ring.SLOT_FORWARD : flags);
    }
}
