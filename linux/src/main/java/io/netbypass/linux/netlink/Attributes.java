package io.netbypass.linux.netlink;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The attributes of a netlink message, or of a nested attribute: a view over the received
 * bytes, walked on demand. A truncated or lying length ends the walk (the rest is not read).
 */
public final class Attributes {
    private final ByteBuffer buffer;
    private final int start;
    private final int end;

    public Attributes(byte[] data, int start, int end) {
        this.buffer = ByteBuffer.wrap(data).order(ByteOrder.nativeOrder());
        this.start = start;
        this.end = Math.min(end, data.length);
    }

    /** Every attribute of {@code type} (the nested flag ignored), as [value start, value end) pairs. */
    public List<int[]> all(int type) {
        List<int[]> out = new ArrayList<>();
        int p = start;
        while (p + 4 <= end) {
            int length = buffer.getShort(p) & 0xffff;
            int t = buffer.getShort(p + 2) & 0x3fff;
            if (length < 4 || p + length > end) {
                break;
            }
            if (t == type) {
                out.add(new int[] {p + 4, p + length});
            }
            p += (length + 3) & ~3;
        }
        return out;
    }

    private int[] first(int type) {
        List<int[]> a = all(type);
        return a.isEmpty() ? null : a.get(0);
    }

    public boolean has(int type) {
        return first(type) != null;
    }

    /** A u32 attribute, or {@code otherwise} when absent or short. */
    public long u32(int type, long otherwise) {
        int[] a = first(type);
        return a == null || a[1] - a[0] < 4 ? otherwise : Integer.toUnsignedLong(buffer.getInt(a[0]));
    }

    public String string(int type) {
        int[] a = first(type);
        if (a == null) {
            return null;
        }
        int e = a[0];
        while (e < a[1] && buffer.get(e) != 0) {
            e++;
        }
        return new String(buffer.array(), a[0], e - a[0], StandardCharsets.UTF_8);
    }

    public byte[] bytes(int type) {
        int[] a = first(type);
        if (a == null) {
            return null;
        }
        byte[] b = new byte[a[1] - a[0]];
        buffer.get(a[0], b);
        return b;
    }

    /** The attributes nested in the first attribute of {@code type}, or null. */
    public Attributes nested(int type) {
        int[] a = first(type);
        return a == null ? null : new Attributes(buffer.array(), a[0], a[1]);
    }

    /** The attributes nested in every attribute of {@code type}. */
    public List<Attributes> nestedAll(int type) {
        List<Attributes> out = new ArrayList<>();
        for (int[] a : all(type)) {
            out.add(new Attributes(buffer.array(), a[0], a[1]));
        }
        return out;
    }
}
