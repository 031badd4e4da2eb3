package io.netbypass.linux.xdp;

import io.netbypass.filter.rules.Prefix;
import io.netbypass.filter.rules.PrefixList;
import io.netbypass.linux.LinuxException;
import io.netbypass.linux.Native;
import io.netbypass.linux.bpf.Bpf;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A prefix list in the kernel, for XDP to look addresses up in: an LPM trie per IP version
 * (key: u32 prefix length, then the address in network order; value: the prefix's index in the
 * list). The kernel's trie answers the longest match, as {@link PrefixList#longestLinear} does.
 * Built entry by entry ({@link #loadNanos} says how long that took); freed on close.
 */
public final class PrefixMap implements ListLookup {
    /** Key of an IPv4 entry: prefix length, 4 address bytes. */
    static final int KEY4 = 8;
    /** Key of an IPv6 entry: prefix length, 16 address bytes. */
    static final int KEY6 = 20;

    private final int v4;
    private final int v6;
    private final int count4;
    private final int count6;
    private final long loadNanos;

    private PrefixMap(int v4, int v6, int count4, int count6, long loadNanos) {
        this.v4 = v4;
        this.v6 = v6;
        this.count4 = count4;
        this.count6 = count6;
        this.loadNanos = loadNanos;
    }

    /** Loads {@code list} into two new tries (one per version; each holds at least one slot). */
    public static PrefixMap load(PrefixList list) throws LinuxException {
        long start = System.nanoTime();
        int n4 = 0;
        int n6 = 0;
        for (int i = 0; i < list.size(); i++) {
            if (list.prefix(i).version() == 4) {
                n4++;
            } else {
                n6++;
            }
        }
        int v4 = Bpf.mapCreate(Bpf.MAP_TYPE_LPM_TRIE, KEY4, 4, Math.max(1, n4), Bpf.MAP_F_NO_PREALLOC, "nb_list4");
        int v6 = -1;
        try {
            v6 = Bpf.mapCreate(Bpf.MAP_TYPE_LPM_TRIE, KEY6, 4, Math.max(1, n6), Bpf.MAP_F_NO_PREALLOC, "nb_list6");
            fill(list, v4, v6, "nb_list");
            return new PrefixMap(v4, v6, n4, n6, System.nanoTime() - start);
        } catch (LinuxException | RuntimeException e) {
            Native.close(v4);
            if (v6 >= 0) {
                Native.close(v6);
            }
            throw e;
        }
    }

    /**
     * Puts every prefix of {@code list} into {@code v4} or {@code v6} with its index as the value,
     * keyed by its length and its address in network order: the key of an LPM trie, and of
     * {@link PrefixHash}'s maps (whose addresses are the prefixes', host bits zero).
     */
    static void fill(PrefixList list, int v4, int v6, String what) throws LinuxException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment key4 = a.allocate(KEY4, 8);
            MemorySegment key6 = a.allocate(KEY6, 8);
            MemorySegment value = a.allocate(ValueLayout.JAVA_INT);
            for (int i = 0; i < list.size(); i++) {
                Prefix p = list.prefix(i);
                value.set(ValueLayout.JAVA_INT, 0, i);
                if (p.version() == 4) {
                    key4.set(ValueLayout.JAVA_INT, 0, p.length());
                    key4.set(BIG_INT, 4, (int) p.low());
                    Bpf.mapUpdate(v4, key4, value, what + "4 " + p);
                } else {
                    key6.set(ValueLayout.JAVA_INT, 0, p.length());
                    key6.set(BIG_LONG, 4, p.high());
                    key6.set(BIG_LONG, 12, p.low());
                    Bpf.mapUpdate(v6, key6, value, what + "6 " + p);
                }
            }
        }
    }

    private static final ValueLayout.OfInt BIG_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfLong BIG_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    /** The IPv4 trie's descriptor (for a program's map reference). */
    public int ipv4() {
        return v4;
    }

    public int ipv6() {
        return v6;
    }

    public int ipv4Entries() {
        return count4;
    }

    public int ipv6Entries() {
        return count6;
    }

    /** How long building the tries took (one update per prefix). */
    public long loadNanos() {
        return loadNanos;
    }

    @Override
    public void close() {
        Native.close(v4);
        Native.close(v6);
    }
}
