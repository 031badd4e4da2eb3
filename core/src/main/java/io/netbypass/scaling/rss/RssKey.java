package io.netbypass.scaling.rss;

import io.netbypass.util.UserException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.random.RandomGenerator;

/** A Toeplitz hash key: the secret that spreads flows across RX queues. Immutable. */
public final class RssKey {
    /** Microsoft's RSS sample key length, used by most NIC datasheets. */
    public static final int MICROSOFT_LENGTH = 40;
    /** Linux's NETDEV_RSS_KEY_LEN: drivers fill keys of this length with random bytes. */
    public static final int LINUX_LENGTH = 52;
    /** The shortest key that hashes anything: one 32-bit window plus one input byte. */
    public static final int MIN_LENGTH = 5;

    private static final String MICROSOFT_HEX =
            "6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c6a42b73bbeac01fa";

    private final byte[] bytes;

    private RssKey(byte[] bytes) {
        if (bytes.length < MIN_LENGTH) {
            throw new UserException("RSS key of " + bytes.length + " bytes is too short (at least "
                    + MIN_LENGTH + ")");
        }
        this.bytes = bytes;
    }

    public static RssKey of(byte[] bytes) {
        return new RssKey(bytes.clone());
    }

    public static RssKey microsoftDefault() {
        return new RssKey(HexFormat.of().parseHex(MICROSOFT_HEX));
    }

    /**
     * {@code 6d5a} repeated: every 16-bit window of the key is the same, so swapping source and
     * destination (addresses and ports) gives the same hash. Costs entropy: only 16 bits vary.
     */
    public static RssKey symmetric(int length) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) ((i & 1) == 0 ? 0x6d : 0x5a);
        }
        return new RssKey(b);
    }

    /** A random key, as Linux drivers make with netdev_rss_key_fill(). */
    public static RssKey random(int length, RandomGenerator random) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) random.nextInt(256);
        }
        return new RssKey(b);
    }

    /** Parses {@code 6d:5a:56:...} (ethtool's {@code hkey} form) or plain hex {@code 6d5a56...}. */
    public static RssKey parse(String text) {
        String s = text.trim();
        String hex;
        if (s.indexOf(':') >= 0) {
            String[] parts = s.split(":", -1);
            StringBuilder b = new StringBuilder(parts.length * 2);
            for (String part : parts) {
                if (part.length() != 2) {
                    throw new UserException("bad RSS key '" + text + "': each byte needs two hex digits");
                }
                b.append(part);
            }
            hex = b.toString();
        } else {
            hex = s.startsWith("0x") || s.startsWith("0X") ? s.substring(2) : s;
        }
        if (hex.length() % 2 != 0) {
            throw new UserException("bad RSS key '" + text + "': odd number of hex digits");
        }
        try {
            return new RssKey(HexFormat.of().parseHex(hex));
        } catch (IllegalArgumentException e) {
            throw new UserException("bad RSS key '" + text + "': not hexadecimal");
        }
    }

    public int length() {
        return bytes.length;
    }

    /** Longest input this key can hash: every input bit needs a full 32-bit window of key. */
    public int maxInputLength() {
        return bytes.length - 4;
    }

    public int byteAt(int index) {
        return bytes[index] & 0xff;
    }

    public byte[] toBytes() {
        return bytes.clone();
    }

    /** The 32 key bits starting at bit {@code bit} (MSB first), zero-filled past the key's end. */
    int window(int bit) {
        int first = bit >>> 3;
        long v = 0;
        for (int i = 0; i < 5; i++) {
            int index = first + i;
            v = (v << 8) | (index < bytes.length ? bytes[index] & 0xff : 0);
        }
        return (int) (v >>> (8 - (bit & 7)));
    }

    /** ethtool's form: {@code 6d:5a:...}. */
    @Override
    public String toString() {
        return HexFormat.ofDelimiter(":").formatHex(bytes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RssKey k && Arrays.equals(bytes, k.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }
}
