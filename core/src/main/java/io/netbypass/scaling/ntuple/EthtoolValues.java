package io.netbypass.scaling.ntuple;

import java.math.BigInteger;

import io.netbypass.packet.AddressText;

/** Value syntax of ethtool's options: C {@code strtoull} numbers, inet_pton addresses, MACs. */
public final class EthtoolValues {
    private static final BigInteger TWO_64 = BigInteger.ONE.shiftLeft(64);

    private EthtoolValues() {
    }

    /**
     * {@code strtoull(text, &end, 0)} with no trailing characters, then a range check against
     * {@code bits}: {@code 0x} hex, leading {@code 0} octal, else decimal; a sign negates modulo
     * 2^64 (so {@code -1} fits only a 64-bit field); the empty string reads as 0. Returns the
     * value or throws {@link NumberFormatException}.
     */
    public static long unsigned(String text, int bits) {
        int i = 0;
        int n = text.length();
        while (i < n && Character.isWhitespace(text.charAt(i))) {
            i++;
        }
        boolean negative = false;
        if (i < n && (text.charAt(i) == '+' || text.charAt(i) == '-')) {
            negative = text.charAt(i) == '-';
            i++;
        }
        int radix = 10;
        if (i + 1 < n && text.charAt(i) == '0' && (text.charAt(i + 1) == 'x' || text.charAt(i + 1) == 'X')
                && i + 2 < n && Character.digit(text.charAt(i + 2), 16) >= 0) {
            radix = 16;
            i += 2;
        } else if (i < n && text.charAt(i) == '0') {
            radix = 8;
        }
        String digits = text.substring(i);
        if (digits.isEmpty()) {
            if (text.isEmpty()) {
                return 0; // strtoull("") is 0 with nothing left over
            }
            throw new NumberFormatException(text);
        }
        BigInteger v;
        for (int k = 0; k < digits.length(); k++) {
            if (Character.digit(digits.charAt(k), radix) < 0) {
                throw new NumberFormatException(text);
            }
        }
        v = new BigInteger(digits, radix);
        if (v.compareTo(TWO_64) >= 0) {
            throw new NumberFormatException(text); // ERANGE
        }
        long value = v.longValue();
        if (negative) {
            value = -value;
        }
        if (bits < 64 && Long.compareUnsigned(value, (1L << bits) - 1) > 0) {
            throw new NumberFormatException(text);
        }
        return value;
    }

    static byte[] ipv4(String text) {
        byte[] a = AddressText.parseIpv4(text);
        if (a == null) {
            throw new NumberFormatException(text);
        }
        return a;
    }

    static byte[] ipv6(String text) {
        byte[] a = AddressText.parseIpv6(text);
        if (a == null) {
            throw new NumberFormatException(text);
        }
        return a;
    }

    /**
     * ethtool's MAC syntax: six colon-separated groups of 1-2 hex digits
     * ({@code sscanf("%2x:%2x:...")}); anything after the sixth group is ignored, as ethtool does.
     */
    public static byte[] mac(String text) {
        if (text.indexOf(':') < 0) {
            throw new NumberFormatException(text);
        }
        byte[] out = new byte[6];
        int at = 0;
        for (int g = 0; g < 6; g++) {
            if (g > 0) {
                if (at >= text.length() || text.charAt(at) != ':') {
                    throw new NumberFormatException(text);
                }
                at++;
            }
            int start = at;
            int v = 0;
            while (at < text.length() && at - start < 2 && Character.digit(text.charAt(at), 16) >= 0) {
                v = v << 4 | Character.digit(text.charAt(at), 16);
                at++;
            }
            if (at == start) {
                throw new NumberFormatException(text);
            }
            out[g] = (byte) v;
        }
        return out;
    }
}
