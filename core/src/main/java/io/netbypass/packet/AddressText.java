package io.netbypass.packet;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;


/** Addresses as text: inet_ntop forms (as tshark and ethtool print them) and strict inet_pton parsing. */
public final class AddressText {
    private AddressText() {
    }

    public static String ipv4(MemorySegment s, long offset) {
        return Bytes.u8(s, offset) + "." + Bytes.u8(s, offset + 1) + "." + Bytes.u8(s, offset + 2) + "." + Bytes.u8(s, offset + 3);
    }

    public static String ipv4(int address) {
        return (address >>> 24) + "." + ((address >>> 16) & 0xff) + "." + ((address >>> 8) & 0xff) + "." + (address & 0xff);
    }

    /**
     * RFC 5952 text as inet_ntop writes it: lower-case hex, the longest run of two or more zero
     * words (the first of equal runs) as "::", and a dotted quad for IPv4-mapped (::ffff:a.b.c.d)
     * and IPv4-compatible (::a.b.c.d) addresses.
     */
    public static String ipv6(MemorySegment s, long offset) {
        int[] w = new int[8];
        for (int i = 0; i < 8; i++) {
            w[i] = Bytes.u16(s, offset + 2L * i);
        }
        int bestStart = -1, bestLength = 0;
        for (int i = 0; i < 8; ) {
            if (w[i] == 0) {
                int j = i;
                while (j < 8 && w[j] == 0) {
                    j++;
                }
                if (j - i > bestLength) {
                    bestStart = i;
                    bestLength = j - i;
                }
                i = j;
            } else {
                i++;
            }
        }
        if (bestLength < 2) {
            bestStart = -1;
        }
        StringBuilder b = new StringBuilder(40);
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                b.append(':');
                i += bestLength - 1;
                if (i == 7) {
                    b.append(':');
                }
                continue;
            }
            if (i > 0) {
                b.append(':');
            }
            boolean embeddedV4 = i == 6 && bestStart == 0
                    && (bestLength == 6 || (bestLength == 5 && w[5] == 0xffff));
            if (embeddedV4) {
                b.append(ipv4(s, offset + 12));
                break;
            }
            b.append(Integer.toHexString(w[i]));
        }
        return b.toString();
    }

    /** {@code ipv6} over a 16-byte array. */
    public static String ipv6(byte[] address) {
        return ipv6(MemorySegment.ofArray(address), 0);
    }

    /**
     * inet_pton(AF_INET): exactly four dotted decimal octets, each 0-255 without leading zeros.
     * Returns null for anything else (no name lookups, ever).
     */
    public static byte[] parseIpv4(String text) {
        byte[] out = new byte[4];
        int octet = 0;
        int value = -1;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c >= '0' && c <= '9') {
                if (value == 0) {
                    return null; // leading zero
                }
                value = (value < 0 ? 0 : value * 10) + (c - '0');
                if (value > 255) {
                    return null;
                }
            } else if (c == '.' && value >= 0 && octet < 3) {
                out[octet++] = (byte) value;
                value = -1;
            } else {
                return null;
            }
        }
        if (octet != 3 || value < 0) {
            return null;
        }
        out[3] = (byte) value;
        return out;
    }

    /**
     * inet_pton(AF_INET6): eight groups of 1-4 hex digits, one "::" for a run of zero groups, and
     * an optional dotted-quad tail. Returns null for anything else.
     */
    public static byte[] parseIpv6(String text) {
        byte[] out = new byte[16];
        int n = text.length();
        if (n == 0) {
            return null;
        }
        int at = 0;
        int written = 0;
        int gap = -1;
        if (text.startsWith("::")) {
            gap = 0;
            at = 2;
            if (at == n) {
                return out;
            }
        } else if (text.charAt(0) == ':') {
            return null;
        }
        while (at < n) {
            int end = at;
            while (end < n && text.charAt(end) != ':') {
                end++;
            }
            String group = text.substring(at, end);
            if (group.indexOf('.') >= 0) {
                if (end != n || written > 12) {
                    return null;
                }
                byte[] v4 = parseIpv4(group);
                if (v4 == null) {
                    return null;
                }
                System.arraycopy(v4, 0, out, written, 4);
                written += 4;
                at = n;
                break;
            }
            if (group.isEmpty() || group.length() > 4 || written > 14) {
                return null;
            }
            int v = 0;
            for (int i = 0; i < group.length(); i++) {
                int d = Character.digit(group.charAt(i), 16);
                if (d < 0) {
                    return null;
                }
                v = v << 4 | d;
            }
            out[written++] = (byte) (v >>> 8);
            out[written++] = (byte) v;
            if (end == n) {
                at = n;
                break;
            }
            // end is a ':'
            if (end + 1 < n && text.charAt(end + 1) == ':') {
                if (gap >= 0) {
                    return null; // a second "::"
                }
                gap = written;
                at = end + 2;
            } else if (end + 1 == n) {
                return null; // trailing single ':'
            } else {
                at = end + 1;
            }
        }
        if (gap >= 0) {
            if (written == 16) {
                return null; // "::" must stand for at least one group
            }
            int tail = written - gap;
            System.arraycopy(out, gap, out, 16 - tail, tail);
            Arrays.fill(out, gap, 16 - tail, (byte) 0);
        } else if (written != 16) {
            return null;
        }
        return out;
    }
}
