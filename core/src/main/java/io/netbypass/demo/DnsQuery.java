package io.netbypass.demo;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * Is a UDP payload a well-formed DNS query (RFC 1035)? Header: QR 0, opcode QUERY, TC 0, Z 0,
 * RCODE 0, one question, no answers or authority, at most one additional record (EDNS OPT);
 * the name: labels of 1..63 bytes, 255 bytes in all, no compression pointer; then QTYPE and
 * QCLASS; nothing after unless the additional record is there. Allocation-free.
 */
public final class DnsQuery {
    public static final int HEADER_LENGTH = 12;

    private DnsQuery() {
    }

    public static boolean isValidQuery(MemorySegment s, long offset, int length) {
        if (length < HEADER_LENGTH + 5) {
            return false;
        }
        int flags = u16(s, offset + 2);
        if ((flags & 0x8000) != 0 || (flags & 0x7800) != 0 || (flags & 0x0200) != 0 || (flags & 0x0040) != 0
                || (flags & 0x000f) != 0) {
            return false;
        }
        if (u16(s, offset + 4) != 1 || u16(s, offset + 6) != 0 || u16(s, offset + 8) != 0) {
            return false;
        }
        int additional = u16(s, offset + 10);
        if (additional > 1) {
            return false;
        }
        long at = offset + HEADER_LENGTH;
        long end = offset + length;
        int nameLength = 0;
        while (true) {
            if (at >= end) {
                return false;
            }
            int label = s.get(ValueLayout.JAVA_BYTE, at) & 0xff;
            at++;
            if (label == 0) {
                break;
            }
            if (label > 63) {
                return false; // compression pointers and extended labels have no place in a query name
            }
            nameLength += label + 1;
            if (nameLength > 255 || at + label > end) {
                return false;
            }
            at += label;
        }
        if (at + 4 > end) {
            return false;
        }
        int qtype = u16(s, at);
        int qclass = u16(s, at + 2);
        at += 4;
        if (qtype == 0 || qclass == 0) {
            return false;
        }
        return additional == 1 ? at + 11 <= end : at == end;
    }

    private static int u16(MemorySegment s, long at) {
        return (s.get(ValueLayout.JAVA_BYTE, at) & 0xff) << 8 | (s.get(ValueLayout.JAVA_BYTE, at + 1) & 0xff);
    }

    /** A query for {@code name} (dotted), type A, class IN, recursion desired. */
    public static byte[] query(int id, String name, int qtype) {
        byte[] ascii = name.getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[HEADER_LENGTH + ascii.length + 2 + 4];
        out[0] = (byte) (id >>> 8);
        out[1] = (byte) id;
        out[2] = 0x01; // RD
        out[5] = 1;    // QDCOUNT
        int at = HEADER_LENGTH;
        for (String label : name.split("\\.")) {
            out[at++] = (byte) label.length();
            for (int i = 0; i < label.length(); i++) {
                out[at++] = (byte) label.charAt(i);
            }
        }
        out[at++] = 0;
        out[at++] = (byte) (qtype >>> 8);
        out[at++] = (byte) qtype;
        out[at++] = 0;
        out[at] = 1; // IN
        return out;
    }
}
