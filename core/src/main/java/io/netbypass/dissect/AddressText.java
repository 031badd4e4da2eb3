package io.netbypass.dissect;

import java.lang.foreign.MemorySegment;

import io.netbypass.packet.Bytes;

/** Text forms of addresses as tshark prints them. */
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
}
