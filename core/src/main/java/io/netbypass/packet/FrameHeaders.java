package io.netbypass.packet;

/**
 * Where a frame's headers are, as {@link PacketParser} found them, packed in one {@code long} so
 * that it travels with a ring slot (its 8 spare bytes) from the stage that parsed the frame to the
 * host path, which then need not parse it again: the network, transport and payload offsets, the
 * IP protocol and version, whether it is a fragment. {@link #UNKNOWN} (0) says nobody parsed it.
 * The value may come from an application's memory, so a reader trusts it only when
 * {@link #fits} says its offsets lie in order inside the frame.
 */
public final class FrameHeaders {
    private FrameHeaders() {
    }

    /** Not parsed: whoever needs the offsets parses the frame. */
    public static final long UNKNOWN = 0;

    private static final long KNOWN = 1L << 63;
    private static final long FRAGMENT = 1L << 60;
    private static final int NONE = 0xffff;

    /** The offsets {@code p} holds, or {@link #UNKNOWN} when one does not fit 16 bits. */
    public static long of(ParsedPacket p) {
        return of(p.l3Offset(), p.l4Offset(), p.payloadOffset(), p.ipProtocol(), p.ipVersion(), p.isFragment());
    }

    /** Offsets -1 where there is no such header; {@link #UNKNOWN} when one does not fit 16 bits. */
    public static long of(int l3, int l4, int payload, int proto, int version, boolean fragment) {
        if (l3 >= NONE || l4 >= NONE || payload >= NONE) {
            return UNKNOWN;
        }
        return KNOWN | offset(l3) | (long) offset(l4) << 16 | (long) offset(payload) << 32
                | (long) (proto < 0 ? 0 : proto & 0xff) << 48 | (long) (version == 4 || version == 6 ? version : 0) << 56
                | (fragment ? FRAGMENT : 0);
    }

    private static int offset(int o) {
        return o < 0 ? NONE : o;
    }

    /** Whether {@code h} was made by {@link #of} with its offsets in order and inside {@code length} bytes. */
    public static boolean fits(long h, int length) {
        if ((h & KNOWN) == 0) {
            return false;
        }
        int l3 = l3(h);
        int l4 = l4(h);
        int payload = payload(h);
        int version = version(h);
        if (l3 < 0) {
            return l4 < 0 && payload < 0;
        }
        if (version != 4 && version != 6) {
            return l3 < length && l4 < 0 && payload < 0; // not IP (ARP, say): a network header and nothing above
        }
        return l3 < length && (l4 < 0 || (l4 > l3 && l4 <= length))
                && (payload < 0 || (l4 >= 0 && payload >= l4 && payload <= length));
    }

    /** The network header's offset, or -1. */
    public static int l3(long h) { return field(h, 0); }
    /** The transport header's offset, or -1. */
    public static int l4(long h) { return field(h, 16); }
    /** The transport payload's offset, or -1. */
    public static int payload(long h) { return field(h, 32); }
    /** The IP protocol of the transport header (0 when none was found). */
    public static int protocol(long h) { return (int) (h >>> 48) & 0xff; }
    /** 4, 6, or 0 when the frame is not IP. */
    public static int version(long h) { return (int) (h >>> 56) & 0xf; }
    public static boolean fragment(long h) { return (h & FRAGMENT) != 0; }

    private static int field(long h, int shift) {
        int v = (int) (h >>> shift) & 0xffff;
        return v == NONE ? -1 : v;
    }
}
