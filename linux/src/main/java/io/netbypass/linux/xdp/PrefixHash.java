package io.netbypass.linux.xdp;

import io.netbypass.filter.rules.Prefix;
import io.netbypass.filter.rules.PrefixList;
import io.netbypass.linux.LinuxException;
import io.netbypass.linux.Native;
import io.netbypass.linux.bpf.Bpf;
import io.netbypass.linux.bpf.BpfAssembler;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

import static io.netbypass.linux.bpf.BpfAssembler.*;

/**
 * A prefix list as exact-match hash maps, the other structure a driver program can look a source
 * up in: one hash per IP version keyed by (prefix length, address masked to it), probed once per
 * prefix length the list holds. A probe costs a fraction of an LPM trie's lookup, so a list with
 * few lengths (addresses, or /24s and /32s) is cheaper here; one with many lengths is cheaper in
 * {@link PrefixMap}'s tries (xdp-drop --src-list measures both on the list it is given).
 */
public final class PrefixHash implements ListLookup {
    /** Key of an IPv4 entry: prefix length, 4 address bytes (network order), as {@link PrefixMap}'s. */
    static final int KEY4 = PrefixMap.KEY4;
    static final int KEY6 = PrefixMap.KEY6;

    private final int v4;
    private final int v6;
    private final int[] lengths4;
    private final int[] lengths6;
    private final long loadNanos;

    private PrefixHash(int v4, int v6, int[] lengths4, int[] lengths6, long loadNanos) {
        this.v4 = v4;
        this.v6 = v6;
        this.lengths4 = lengths4;
        this.lengths6 = lengths6;
        this.loadNanos = loadNanos;
    }

    /** Loads {@code list} into two new hash maps (each holds at least one slot). */
    public static PrefixHash load(PrefixList list) throws LinuxException {
        long start = System.nanoTime();
        Map<Integer, Integer> byLength4 = new TreeMap<>();
        Map<Integer, Integer> byLength6 = new TreeMap<>();
        for (int i = 0; i < list.size(); i++) {
            Prefix p = list.prefix(i);
            (p.version() == 4 ? byLength4 : byLength6).merge(p.length(), 1, Integer::sum);
        }
        int n4 = byLength4.values().stream().mapToInt(Integer::intValue).sum();
        int n6 = byLength6.values().stream().mapToInt(Integer::intValue).sum();
        int v4 = Bpf.mapCreate(Bpf.MAP_TYPE_HASH, KEY4, 4, Math.max(1, n4), Bpf.MAP_F_NO_PREALLOC, "nb_hash4");
        int v6 = -1;
        try {
            v6 = Bpf.mapCreate(Bpf.MAP_TYPE_HASH, KEY6, 4, Math.max(1, n6), Bpf.MAP_F_NO_PREALLOC, "nb_hash6");
            PrefixMap.fill(list, v4, v6, "nb_hash");
            return new PrefixHash(v4, v6, mostFirst(byLength4), mostFirst(byLength6), System.nanoTime() - start);
        } catch (LinuxException | RuntimeException e) {
            Native.close(v4);
            if (v6 >= 0) {
                Native.close(v6);
            }
            throw e;
        }
    }

    /** The lengths, the one with the most prefixes first (a listed source is found in fewer probes). */
    private static int[] mostFirst(Map<Integer, Integer> byLength) {
        return byLength.entrySet().stream().sorted((x, y) -> y.getValue() - x.getValue()).mapToInt(Map.Entry::getKey).toArray();
    }

    public int ipv4() {
        return v4;
    }

    public int ipv6() {
        return v6;
    }

    /** The IPv4 prefix lengths the list holds, probed in this order. */
    public int[] ipv4Lengths() {
        return Arrays.copyOf(lengths4, lengths4.length);
    }

    public int[] ipv6Lengths() {
        return Arrays.copyOf(lengths6, lengths6.length);
    }

    public long loadNanos() {
        return loadNanos;
    }

    /**
     * Probes the IPv4 hash {@code mapFd} once per length for the address in the u64 stack slot at
     * {@code addressAt} (host order), masked to the length, with the key built at {@code keyAt};
     * jumps to {@code hit} at the first found, falls through when none is. Uses R0-R5 only (the
     * address is read again after each call), so R6-R9 keep the caller's values.
     */
    static void probe4(BpfAssembler a, int mapFd, int[] lengths, int addressAt, int keyAt, BpfAssembler.Label hit) {
        for (int length : lengths) {
            a.storeImm(W, R10, keyAt, length);
            a.load(DW, R0, R10, addressAt);
            if (length < 32) {
                a.alu(AND, R0, length == 0 ? 0 : (int) (0xffff_ffffL << (32 - length))); // sign-extended: the low 32 bits are the mask
            }
            a.toBigEndian(R0, 32);
            a.store(W, R10, keyAt + 4, R0);
            lookup(a, mapFd, keyAt, hit);
        }
    }

    /** As {@link #probe4} for IPv6: the address's halves in the u64 slots at {@code highAt} and {@code lowAt}. */
    static void probe6(BpfAssembler a, int mapFd, int[] lengths, int highAt, int lowAt, int keyAt, BpfAssembler.Label hit) {
        for (int length : lengths) {
            a.storeImm(W, R10, keyAt, length);
            for (int half = 0; half < 2; half++) {
                int bits = Math.max(0, Math.min(64, length - 64 * half)); // of this half kept
                if (bits == 0) {
                    a.storeImm(W, R10, keyAt + 4 + 8 * half, 0);
                    a.storeImm(W, R10, keyAt + 8 + 8 * half, 0);
                    continue;
                }
                a.load(DW, R0, R10, half == 0 ? highAt : lowAt);
                if (bits < 64) {
                    a.load64(R1, -1L << (64 - bits));
                    a.aluReg(AND, R0, R1);
                }
                a.movReg(R3, R0).alu(RSH, R3, 32);
                a.toBigEndian(R3, 32);
                a.store(W, R10, keyAt + 4 + 8 * half, R3);
                a.toBigEndian(R0, 32);
                a.store(W, R10, keyAt + 8 + 8 * half, R0);
            }
            lookup(a, mapFd, keyAt, hit);
        }
    }

    private static void lookup(BpfAssembler a, int mapFd, int keyAt, BpfAssembler.Label hit) {
        a.loadMap(R1, mapFd);
        a.movReg(R2, R10).alu(ADD, R2, keyAt);
        a.call(Bpf.HELPER_MAP_LOOKUP_ELEM);
        a.jump(JNE, R0, 0, hit);
    }

    @Override
    public void close() {
        Native.close(v4);
        Native.close(v6);
    }
}
