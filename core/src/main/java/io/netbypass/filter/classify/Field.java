package io.netbypass.filter.classify;

import io.netbypass.filter.rules.PrefixList;
import io.netbypass.packet.ParsedPacket;

import java.math.BigInteger;
import java.util.Objects;

/**
 * A packet field the compiled classifier looks up: its width, and how its values are indexed
 * (a direct table for narrow fields, a range index for wide ones). Prefix-list membership is a
 * field too, one per list and side, with the values 0 and 1.
 */
final class Field {
    static final int DIRECT = 0;
    static final int RANGE = 1;
    static final int RANGE128 = 2;

    static final int ETHER_TYPE = 0;
    static final int MAC_SRC = 1;
    static final int MAC_DST = 2;
    static final int VLAN = 3;
    static final int IP_VERSION = 4;
    static final int PROTOCOL = 5;
    static final int SRC4 = 6;
    static final int DST4 = 7;
    static final int SRC6 = 8;
    static final int DST6 = 9;
    static final int SRC_PORT = 10;
    static final int DST_PORT = 11;
    static final int TCP_FLAGS = 12;
    static final int LENGTH = 13;
    static final int TTL = 14;
    static final int FRAGMENT = 15;
    static final int ICMP_TYPE = 16;
    static final int ICMP_CODE = 17;
    static final int MALFORMED = 18;
    static final int LIST = 19;

    /** FRAGMENT values. */
    static final int NOT_FRAGMENT = 0;
    static final int FIRST_FRAGMENT = 1;
    static final int LATER_FRAGMENT = 2;

    final int id;
    final int bits;
    final PrefixList list;
    final boolean listSource;

    private Field(int id, int bits, PrefixList list, boolean listSource) {
        this.id = id;
        this.bits = bits;
        this.list = list;
        this.listSource = listSource;
    }

    private static final int[] BITS = {16, 48, 48, 12, 4, 8, 32, 32, 128, 128, 16, 16, 8, 16, 8, 2, 8, 8, 3, 1};
    private static final String[] NAMES = {"ether type", "ether src", "ether dst", "vlan", "ip version", "protocol",
            "src (IPv4)", "dst (IPv4)", "src (IPv6)", "dst (IPv6)", "src port", "dst port", "tcp flags", "len", "ttl",
            "frag", "icmp type", "icmp code", "malformed"};
    /**
     * How far the parser must have got for the field to be known ({@link ParsedPacket#reached()}):
     * past that, a malformed packet's field is unknown, and holds for fail-closed rules.
     */
    private static final int[] LEVEL = {ParsedPacket.REACHED_NETWORK, ParsedPacket.REACHED_LINK, ParsedPacket.REACHED_LINK,
            ParsedPacket.REACHED_LINK, ParsedPacket.REACHED_NETWORK, ParsedPacket.REACHED_PROTOCOL,
            ParsedPacket.REACHED_NETWORK, ParsedPacket.REACHED_NETWORK, ParsedPacket.REACHED_NETWORK, ParsedPacket.REACHED_NETWORK,
            ParsedPacket.REACHED_ALL, ParsedPacket.REACHED_ALL, ParsedPacket.REACHED_ALL, ParsedPacket.REACHED_NOTHING,
            ParsedPacket.REACHED_NETWORK, ParsedPacket.REACHED_PROTOCOL, ParsedPacket.REACHED_ALL, ParsedPacket.REACHED_ALL,
            ParsedPacket.REACHED_NOTHING, ParsedPacket.REACHED_NETWORK};

    static Field of(int id) {
        return new Field(id, BITS[id], null, false);
    }

    /** See {@link #LEVEL}. */
    int level() {
        return LEVEL[id];
    }

    static Field list(PrefixList list, boolean source) {
        return new Field(LIST, 1, list, source);
    }

    int kind() {
        // Up to 16 bits a direct table (128 KiB at most) beats a search: ports and lengths are random under a flood.
        return bits <= 16 ? DIRECT : bits <= 64 ? RANGE : RANGE128;
    }

    BigInteger max() {
        return BigInteger.ONE.shiftLeft(bits).subtract(BigInteger.ONE);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Field f && f.id == id && f.list == list && f.listSource == listSource;
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, System.identityHashCode(list), listSource);
    }

    @Override
    public String toString() {
        return id == LIST ? (listSource ? "src" : "dst") + " list " + list.path() : NAMES[id];
    }
}
