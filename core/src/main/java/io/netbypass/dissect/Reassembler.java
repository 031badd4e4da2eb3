package io.netbypass.dissect;

import java.util.HashMap;
import java.util.Map;

/**
 * IP fragment reassembly across a capture, as tshark does it by default: fragments are
 * collected per datagram key, and the datagram is handed up in the frame that completes it.
 */
final class Reassembler {
    /** Datagrams that never complete are dropped after this many other fragments arrived. */
    private static final int MAX_PENDING = 4096;
    private static final int MAX_DATAGRAM = 65535 + 8;

    private final Map<String, Pending> pending = new HashMap<>();

    private static final class Pending {
        final byte[] data = new byte[MAX_DATAGRAM];
        final boolean[] have = new boolean[MAX_DATAGRAM];
        int total = -1;
    }

    /**
     * Adds {@code bytes} at {@code offset}; returns the whole datagram payload when this
     * fragment completes it, else null.
     */
    byte[] add(String key, int offset, byte[] bytes, boolean more) {
        if (offset + bytes.length > MAX_DATAGRAM) {
            return null;
        }
        Pending p = pending.get(key);
        if (p == null) {
            if (pending.size() >= MAX_PENDING) {
                pending.clear();
            }
            p = new Pending();
            pending.put(key, p);
        }
        System.arraycopy(bytes, 0, p.data, offset, bytes.length);
        for (int i = 0; i < bytes.length; i++) {
            p.have[offset + i] = true;
        }
        if (!more) {
            p.total = offset + bytes.length;
        }
        if (p.total < 0) {
            return null;
        }
        for (int i = 0; i < p.total; i++) {
            if (!p.have[i]) {
                return null;
            }
        }
        pending.remove(key);
        byte[] whole = new byte[p.total];
        System.arraycopy(p.data, 0, whole, 0, p.total);
        return whole;
    }
}
