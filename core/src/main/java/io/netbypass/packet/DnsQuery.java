package io.netbypass.packet;

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

    /**
     * Does the question name of a query that {@link #isValidQuery} accepted equal {@code name}, or
     * with {@code suffix} end with it at a label boundary? {@code name} is lower-case ASCII, dotted,
     * without the root dot; the packet's name compares ASCII-case-insensitively. A label holding a
     * '.' byte never matches (no rule name can mean it). Allocation-free.
     */
    public static boolean questionNameMatches(MemorySegment s, long offset, int length, byte[] name, boolean suffix) {
        long end = offset + length;
        int dotted = -1; // length of the dotted name
        for (long at = offset + HEADER_LENGTH; at < end; ) {
            int label = s.get(ValueLayout.JAVA_BYTE, at) & 0xff;
            if (label == 0) {
                break;
            }
            dotted += label + 1;
            at += label + 1;
        }
        if (dotted < 0) {
            return false; // the root name
        }
        int n = name.length;
        int start = suffix ? dotted - n : 0;
        if (start < 0 || (!suffix && dotted != n)) {
            return false;
        }
        int pos = 0;
        long at = offset + HEADER_LENGTH;
        while (true) {
            int label = s.get(ValueLayout.JAVA_BYTE, at) & 0xff;
            for (int j = 1; j <= label; j++) {
                int c = s.get(ValueLayout.JAVA_BYTE, at + j) & 0xff;
                if (c == '.') {
                    return false;
                }
                if (c >= 'A' && c <= 'Z') {
                    c += 'a' - 'A';
                }
                if (pos == start - 1 || (pos >= start && c != name[pos - start])) {
                    return false; // inside a label just before the suffix, or a different byte
                }
                pos++;
            }
            at += label + 1;
            if ((s.get(ValueLayout.JAVA_BYTE, at) & 0xff) == 0) {
                return pos == dotted;
            }
            if (pos >= start && name[pos - start] != '.') {
                return false;
            }
            pos++;
        }
    }

    /** The question name, dotted (for reference checks and display); null if absent or a label holds a '.' byte. */
    public static String questionName(MemorySegment s, long offset, int length) {
        StringBuilder b = new StringBuilder();
        long end = offset + length;
        long at = offset + HEADER_LENGTH;
        while (at < end) {
            int label = s.get(ValueLayout.JAVA_BYTE, at) & 0xff;
            if (label == 0) {
                return b.isEmpty() ? null : b.toString();
            }
            if (!b.isEmpty()) {
                b.append('.');
            }
            for (int j = 1; j <= label && at + j < end; j++) {
                char c = (char) (s.get(ValueLayout.JAVA_BYTE, at + j) & 0xff);
                if (c == '.') {
                    return null;
                }
                b.append(c);
            }
            at += label + 1;
        }
        return null;
    }

    private static int u16(MemorySegment s, long at) {
        return Bytes.u16(s, at);
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
