package io.netbypass.scaling.rss;

import io.netbypass.util.UserException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Table-driven Toeplitz hash for one key. Toeplitz is linear over XOR, so the contribution of
 * each input byte at each position can be precomputed: {@code table[pos * 256 + value]} is the
 * XOR of the key windows selected by the 1 bits of {@code value} at byte position {@code pos}.
 * A hash is then one lookup per input byte. Thread-safe after construction; never allocates.
 *
 * <p>Addresses and ports are passed as they sit on the wire, big-endian: an IPv4 address is the
 * int whose most significant byte is the first octet; an IPv6 address is two longs (high, low).
 */
public final class Toeplitz {
    /** Bytes hashed for IPv4 addresses, IPv4 4-tuple, IPv6 addresses, IPv6 4-tuple. */
    public static final int IPV4_LENGTH = 8;
    public static final int IPV4_L4_LENGTH = 12;
    public static final int IPV6_LENGTH = 32;
    public static final int IPV6_L4_LENGTH = 36;

    private final RssKey key;
    private final int maxInput;
    private final int[] table;

    public Toeplitz(RssKey key) {
        this.key = key;
        this.maxInput = key.maxInputLength();
        this.table = new int[maxInput * 256];
        for (int pos = 0; pos < maxInput; pos++) {
            int[] windows = new int[8];
            for (int bit = 0; bit < 8; bit++) {
                windows[bit] = key.window(pos * 8 + bit);
            }
            int base = pos * 256;
            for (int v = 1; v < 256; v++) {
                int lowest = Integer.numberOfTrailingZeros(v);
                // bit 0 of the value is the byte's last (8th) input bit
                table[base + v] = table[base + (v & (v - 1))] ^ windows[7 - lowest];
            }
        }
    }

    public RssKey key() {
        return key;
    }

    /** The longest input this key can hash (key length - 4). */
    public int maxInputLength() {
        return maxInput;
    }

    public int hash(byte[] input, int offset, int length) {
        checkLength(length);
        int h = 0;
        for (int i = 0; i < length; i++) {
            h ^= table[(i << 8) | (input[offset + i] & 0xff)];
        }
        return h;
    }

    public int hash(MemorySegment segment, long offset, int length) {
        checkLength(length);
        int h = 0;
        for (int i = 0; i < length; i++) {
            h ^= table[(i << 8) | (segment.get(ValueLayout.JAVA_BYTE, offset + i) & 0xff)];
        }
        return h;
    }

    /** Toeplitz over src | dst (8 bytes). */
    public int hashIpv4(int source, int destination) {
        return word(0, source) ^ word(4, destination);
    }

    /** Toeplitz over src | dst | sport | dport (12 bytes). */
    public int hashIpv4(int source, int destination, int sourcePort, int destinationPort) {
        return word(0, source) ^ word(4, destination) ^ word(8, (sourcePort << 16) | (destinationPort & 0xffff));
    }

    /** Toeplitz over src | dst (32 bytes). */
    public int hashIpv6(long sourceHigh, long sourceLow, long destinationHigh, long destinationLow) {
        return dword(0, sourceHigh) ^ dword(8, sourceLow) ^ dword(16, destinationHigh) ^ dword(24, destinationLow);
    }

    /** Toeplitz over src | dst | sport | dport (36 bytes). */
    public int hashIpv6(long sourceHigh, long sourceLow, long destinationHigh, long destinationLow,
            int sourcePort, int destinationPort) {
        return hashIpv6(sourceHigh, sourceLow, destinationHigh, destinationLow)
                ^ word(32, (sourcePort << 16) | (destinationPort & 0xffff));
    }

    /** Contribution of a big-endian 32-bit word at byte position {@code pos}. */
    private int word(int pos, int w) {
        int[] t = table;
        int b = pos << 8;
        return t[b | (w >>> 24)] ^ t[b + 256 | (w >>> 16 & 0xff)] ^ t[b + 512 | (w >>> 8 & 0xff)] ^ t[b + 768 | (w & 0xff)];
    }

    private int dword(int pos, long w) {
        return word(pos, (int) (w >>> 32)) ^ word(pos + 4, (int) w);
    }

    private void checkLength(int length) {
        if (length > maxInput) {
            throw new UserException("a " + key.length() + "-byte key hashes at most "
                    + maxInput + " bytes, not " + length);
        }
    }
}
