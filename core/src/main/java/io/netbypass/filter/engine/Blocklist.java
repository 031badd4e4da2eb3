package io.netbypass.filter.engine;

import io.netbypass.packet.AddressText;
import io.netbypass.packet.Bytes;
import io.netbypass.packet.ParsedPacket;
import io.netbypass.util.UserException;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Sources blocked for a while: a {@code ratelimit ... per src ... block DURATION} rule puts a
 * source that goes over its rate here, and every packet from it is dropped before the rules
 * (the verdict {@code blocked}) until the time is up; {@code netbypass blocklist} adds and removes
 * entries by hand. When the rules are also in the driver, the entries go into its map too
 * ({@link Listener}), and the driver drops the source's packets before they come up.
 *
 * <p>Workers offer a block through a bounded lock-free queue (no allocation, no lock) and test sources
 * against a table the control thread publishes ({@link #refresh}, ten times a second): it takes
 * the offers in, forgets the expired entries and publishes a new table when anything changed. A
 * block takes effect within one refresh; until then the rate limit keeps dropping what is over.
 * Times are the engine's clock (nanoseconds since its origin); listeners get CLOCK_MONOTONIC
 * ({@link System#nanoTime()}), as the kernel's bpf_ktime_get_ns.
 */
public final class Blocklist {
    /** Sources held at most; past it the entry that expires first makes room. */
    public static final int CAPACITY = 65_536;

    /** Told of every entry added or extended, and of every entry gone (expired or removed). */
    public interface Listener {
        void blocked(int version, long high, long low, long untilMonotonicNanos);

        void unblocked(int version, long high, long low);
    }

    /** One blocked source: IPv4 ({@code low}: the address) or IPv6, until a time of the engine's clock. */
    public record Entry(int version, long high, long low, long untilNanos) {
        public String address() {
            return version == 4 ? AddressText.ipv4((int) low)
                    : AddressText.ipv6(ByteBuffer.allocate(16).putLong(high).putLong(low).array());
        }
    }

    private record Key(int version, long high, long low) {
    }

    private static final long[] EMPTY = new long[0];
    /** Offers the ring holds between two refreshes (a bounded multi-producer queue: each slot's sequence says whose turn). */
    private static final int RING = 1 << 12;

    private final AtomicLongArray turn = new AtomicLongArray(RING);
    private final long[] offered = new long[4 * RING];
    private final AtomicLong claimed = new AtomicLong();
    /** The next offer to take in (the control thread's, under this). */
    private long taken;
    private final AtomicLong lostOffers = new AtomicLong();
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    /** Guarded by this: the entries and their expiry, and the same ordered by expiry (the next to end first). */
    private final Map<Key, Long> entries = new HashMap<>();
    private final TreeSet<Expiry> byExpiry = new TreeSet<>();

    private record Expiry(long until, int version, long high, long low) implements Comparable<Expiry> {
        Key key() {
            return new Key(version, high, low);
        }

        @Override
        public int compareTo(Expiry o) {
            int c = Long.compare(until, o.until);
            if (c == 0) {
                c = Integer.compare(version, o.version);
            }
            if (c == 0) {
                c = Long.compare(high, o.high);
            }
            return c != 0 ? c : Long.compare(low, o.low);
        }
    }
    /** What workers read: slots of (version, high, low, until); version 0 is empty; length a power of two times 4. */
    private volatile long[] table = EMPTY;
    private volatile long origin;

    public Blocklist() {
        for (int i = 0; i < RING; i++) {
            turn.set(i, i);
        }
    }

    /** The engine's clock: its time 0 in {@link System#nanoTime()} (for listeners, which want the kernel's clock). */
    public void origin(long originNanos) {
        this.origin = originNanos;
    }

    public long origin() {
        return origin;
    }

    // ---------------------------------------------------------------- workers

    /** Whether {@code p}'s source is blocked at {@code nowNanos}. Allocation-free; any thread. */
    public boolean blocked(ParsedPacket p, long nowNanos) {
        long[] t = table;
        if (t.length == 0) {
            return false;
        }
        int version = p.ipVersion();
        long high;
        long low;
        if (version == 4) {
            high = 0;
            low = p.ipv4Source() & 0xffff_ffffL;
        } else if (version == 6) {
            long at = p.base() + p.l3Offset();
            high = Bytes.i64(p.segment(), at + 8);
            low = Bytes.i64(p.segment(), at + 16);
        } else {
            return false;
        }
        int mask = t.length / 4 - 1;
        for (int i = hash(version, high, low) & mask; ; i = (i + 1) & mask) {
            long v = t[4 * i];
            if (v == 0) {
                return false;
            }
            if (v == version && t[4 * i + 1] == high && t[4 * i + 2] == low) {
                return nowNanos < t[4 * i + 3];
            }
        }
    }

    /** Asks for {@code p}'s source to be blocked until {@code untilNanos}; lock-free, allocation-free; false if the ring was full. */
    public boolean offer(ParsedPacket p, long untilNanos) {
        int version = p.ipVersion();
        if (version != 4 && version != 6) {
            return false;
        }
        long pos = claimed.get();
        int i;
        while (true) {
            i = (int) (pos & (RING - 1));
            long t = turn.getAcquire(i);
            if (t == pos) {
                if (claimed.compareAndSet(pos, pos + 1)) {
                    break;
                }
                pos = claimed.get();
            } else if (t < pos) {
                lostOffers.incrementAndGet(); // full until the next refresh
                return false;
            } else {
                pos = claimed.get(); // another producer took this slot
            }
        }
        offered[4 * i] = version;
        if (version == 4) {
            offered[4 * i + 1] = 0;
            offered[4 * i + 2] = p.ipv4Source() & 0xffff_ffffL;
        } else {
            long at = p.base() + p.l3Offset();
            offered[4 * i + 1] = Bytes.i64(p.segment(), at + 8);
            offered[4 * i + 2] = Bytes.i64(p.segment(), at + 16);
        }
        offered[4 * i + 3] = untilNanos;
        turn.setRelease(i, pos + 1); // the slot's words before its turn: the reader sees them whole
        return true;
    }

    private static int hash(int version, long high, long low) {
        long h = (high * 0x9E3779B97F4A7C15L ^ low) * 0xC2B2AE3D27D4EB4FL ^ version;
        return (int) (h ^ h >>> 29 ^ h >>> 47);
    }

    // ---------------------------------------------------------------- control

    /**
     * Takes the workers' offers in, forgets what expired by {@code nowNanos}, publishes the table
     * when anything changed and tells the listeners. Returns how many entries changed.
     */
    public synchronized int refresh(long nowNanos) {
        int changed = 0;
        // At most one ring's worth: workers refill what is taken, and a refresh must end (the control thread has more to do).
        for (int n = 0; n < RING; n++) {
            int i = (int) (taken & (RING - 1));
            if (turn.getAcquire(i) != taken + 1) {
                break; // empty, or the next offer not written yet
            }
            Key k = new Key((int) offered[4 * i], offered[4 * i + 1], offered[4 * i + 2]);
            long until = offered[4 * i + 3];
            turn.setRelease(i, taken + RING);
            taken++;
            changed += put(k, until, nowNanos) ? 1 : 0;
        }
        while (!byExpiry.isEmpty() && byExpiry.first().until() <= nowNanos) {
            Key k = byExpiry.pollFirst().key();
            entries.remove(k);
            changed++;
            for (Listener l : listeners) {
                l.unblocked(k.version(), k.high(), k.low());
            }
        }
        if (changed > 0) {
            publish();
        }
        return changed;
    }

    /** Adds or extends an entry; false when it already lasts that long. */
    private boolean put(Key k, long until, long now) {
        if (until <= now) {
            return false;
        }
        Long had = entries.get(k);
        if (had != null && had >= until) {
            return false;
        }
        if (had == null && entries.size() >= CAPACITY) {
            Key soonest = byExpiry.pollFirst().key();
            entries.remove(soonest);
            for (Listener l : listeners) {
                l.unblocked(soonest.version(), soonest.high(), soonest.low());
            }
        }
        if (had != null) {
            byExpiry.remove(new Expiry(had, k.version(), k.high(), k.low()));
        }
        entries.put(k, until);
        byExpiry.add(new Expiry(until, k.version(), k.high(), k.low()));
        long o = origin;
        for (Listener l : listeners) {
            l.blocked(k.version(), k.high(), k.low(), until + o);
        }
        return true;
    }

    private void publish() {
        int slots = Integer.highestOneBit(Math.max(4, entries.size() * 2 - 1)) << 1;
        long[] t = new long[4 * slots];
        for (var e : entries.entrySet()) {
            Key k = e.getKey();
            int mask = slots - 1;
            int i = hash(k.version(), k.high(), k.low()) & mask;
            while (t[4 * i] != 0) {
                i = (i + 1) & mask;
            }
            t[4 * i] = k.version();
            t[4 * i + 1] = k.high();
            t[4 * i + 2] = k.low();
            t[4 * i + 3] = e.getValue();
        }
        table = entries.isEmpty() ? EMPTY : t;
    }

    /** Blocks {@code address} (IPv4 or IPv6 text) until {@code untilNanos}, by hand; true when that is new or longer. */
    public synchronized boolean add(String address, long untilNanos, long nowNanos) {
        boolean changed = put(key(address), untilNanos, nowNanos);
        if (changed) {
            publish();
        }
        return changed;
    }

    /** Unblocks {@code address}; false when it was not blocked. */
    public synchronized boolean remove(String address) {
        Key k = key(address);
        Long had = entries.remove(k);
        if (had == null) {
            return false;
        }
        byExpiry.remove(new Expiry(had, k.version(), k.high(), k.low()));
        for (Listener l : listeners) {
            l.unblocked(k.version(), k.high(), k.low());
        }
        publish();
        return true;
    }

    /** The entries in force at {@code nowNanos}, soonest to expire first. */
    public synchronized List<Entry> list(long nowNanos) {
        List<Entry> out = new ArrayList<>();
        for (var e : entries.entrySet()) {
            if (e.getValue() > nowNanos) {
                out.add(new Entry(e.getKey().version(), e.getKey().high(), e.getKey().low(), e.getValue()));
            }
        }
        out.sort(Comparator.comparingLong(Entry::untilNanos));
        return out;
    }

    public synchronized int size() {
        return entries.size();
    }

    /** Offers lost because the ring was full (the source is offered again at its next packet over the rate). */
    public long lostOffers() {
        return lostOffers.get();
    }

    /** Adds a listener and tells it every entry in force. */
    public synchronized void addListener(Listener l) {
        listeners.add(l);
        long o = origin;
        for (var e : entries.entrySet()) {
            l.blocked(e.getKey().version(), e.getKey().high(), e.getKey().low(), e.getValue() + o);
        }
    }

    public void removeListener(Listener l) {
        listeners.remove(l);
    }

    private static Key key(String address) {
        String a = address.strip();
        byte[] b = a.indexOf(':') >= 0 ? AddressText.parseIpv6(a) : AddressText.parseIpv4(a); // literals only: no name lookup
        if (b == null) {
            throw new UserException("'" + address + "' is not an IPv4 or IPv6 address");
        }
        ByteBuffer bb = ByteBuffer.wrap(b);
        return b.length == 4 ? new Key(4, 0, bb.getInt() & 0xffff_ffffL) : new Key(6, bb.getLong(), bb.getLong());
    }
}
