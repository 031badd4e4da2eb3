package io.netbypass.filter.rules;

import io.netbypass.packet.AddressText;
import io.netbypass.util.UserException;

/**
 * An IPv4 or IPv6 prefix. An IPv4 address sits in the low 32 bits of {@code low} (first octet
 * most significant); an IPv6 address is {@code high:low}, big-endian halves. Host bits are zero.
 */
public record Prefix(int version, long high, long low, int length) {
    public Prefix {
        if (version != 4 && version != 6) {
            throw new UserException("IP version " + version);
        }
        int max = version == 4 ? 32 : 128;
        if (length < 0 || length > max) {
            throw new UserException("prefix length " + length);
        }
    }

    public int maxLength() {
        return version == 4 ? 32 : 128;
    }

    /** Parses {@code ADDRESS[/LEN]}; a bare address is a host prefix. Host bits set is an error, with the fix in the message. */
    public static Prefix parse(String text) {
        int slash = text.indexOf('/');
        String address = slash < 0 ? text : text.substring(0, slash);
        byte[] bytes = address.indexOf(':') >= 0 ? AddressText.parseIpv6(address) : AddressText.parseIpv4(address);
        if (bytes == null) {
            throw new UserException("'" + address + "' is not an IPv4 or IPv6 address");
        }
        int version = bytes.length == 4 ? 4 : 6;
        int max = version == 4 ? 32 : 128;
        int length = max;
        if (slash >= 0) {
            String len = text.substring(slash + 1);
            if (len.isEmpty() || len.length() > 3 || !len.chars().allMatch(c -> c >= '0' && c <= '9')) {
                throw new UserException("'" + len + "' is not a prefix length");
            }
            length = Integer.parseInt(len);
            if (length > max) {
                throw new UserException("prefix length " + length + " is longer than " + max);
            }
        }
        long high = 0;
        long low = 0;
        if (version == 4) {
            for (byte b : bytes) {
                low = low << 8 | (b & 0xff);
            }
        } else {
            for (int i = 0; i < 8; i++) {
                high = high << 8 | (bytes[i] & 0xff);
                low = low << 8 | (bytes[8 + i] & 0xff);
            }
        }
        Prefix p = new Prefix(version, high, low, length);
        Prefix network = p.network();
        if (network.high != high || network.low != low) {
            throw new UserException(text + " has host bits set (the network is " + network + ")");
        }
        return p;
    }

    /** This prefix with the host bits cleared. */
    public Prefix network() {
        if (version == 4) {
            long mask = length == 0 ? 0 : (0xffff_ffffL << (32 - length)) & 0xffff_ffffL;
            return new Prefix(4, 0, low & mask, length);
        }
        long highMask = length >= 64 ? -1L : length == 0 ? 0 : -1L << (64 - length);
        long lowMask = length <= 64 ? 0 : length == 128 ? -1L : -1L << (128 - length);
        return new Prefix(6, high & highMask, low & lowMask, length);
    }

    /** The last address in the prefix (the low half for IPv4; see {@link #lastHigh()} for IPv6). */
    public long lastLow() {
        if (version == 4) {
            return length == 0 ? 0xffff_ffffL : low | ((1L << (32 - length)) - 1);
        }
        return length <= 64 ? -1L : length == 128 ? low : low | ((1L << (128 - length)) - 1);
    }

    public long lastHigh() {
        if (version == 4) {
            return 0;
        }
        return length >= 64 ? high : length == 0 ? -1L : high | ((1L << (64 - length)) - 1);
    }

    public boolean containsIpv4(int address) {
        return version == 4 && (address & 0xffff_ffffL) >= low && (address & 0xffff_ffffL) <= lastLow();
    }

    public boolean containsIpv6(long addressHigh, long addressLow) {
        if (version != 6) {
            return false;
        }
        if (length <= 64) {
            long mask = length == 0 ? 0 : -1L << (64 - length);
            return (addressHigh & mask) == high;
        }
        long mask = length == 128 ? -1L : -1L << (128 - length);
        return addressHigh == high && (addressLow & mask) == low;
    }

    @Override
    public String toString() {
        if (version == 4) {
            return AddressText.ipv4((int) low) + "/" + length;
        }
        byte[] b = new byte[16];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (high >>> (56 - 8 * i));
            b[8 + i] = (byte) (low >>> (56 - 8 * i));
        }
        return AddressText.ipv6(b) + "/" + length;
    }
}
