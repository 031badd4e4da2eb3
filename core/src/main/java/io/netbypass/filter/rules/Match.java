package io.netbypass.filter.rules;

import io.netbypass.packet.ParseStatus;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * One test on a packet, as written in a rule. A rule matches when all its tests hold. The
 * meaning of each (and what a packet without the field does) is in docs/FILTER.md; the
 * reference evaluator spells it out in code.
 */
public sealed interface Match {
    /** Which address or port: {@code src}, {@code dst}, or either ({@code host}, {@code net}, {@code port}). */
    enum Side { SRC, DST, EITHER }

    /** The negation of one test ({@code not ...}). */
    record Not(Match match) implements Match {
        @Override
        public String toString() {
            return "not " + match;
        }
    }

    /** The network-layer EtherType (after VLAN tags). */
    record EtherType(int type) implements Match {
        @Override
        public String toString() {
            return String.format("ether type 0x%04x", type);
        }
    }

    /** Ethernet source or destination address (48 bits in a long). */
    record EtherAddress(Side side, long mac) implements Match {
        @Override
        public String toString() {
            return "ether " + side.name().toLowerCase() + " " + String.format("%012x", mac).replaceAll("(..)(?!$)", "$1:");
        }
    }

    /** An outer VLAN tag, with an ID in {@code ids} ({@code null}: any ID). */
    record Vlan(NumberSet ids) implements Match {
        @Override
        public String toString() {
            return ids == null ? "vlan" : "vlan " + ids;
        }
    }

    /** IPv4 ({@code ip}) or IPv6 ({@code ip6}). */
    record IpVersion(int version) implements Match {
        @Override
        public String toString() {
            return version == 4 ? "ip" : "ip6";
        }
    }

    /** IP protocol (IPv6: the header after the extension headers). */
    record Protocol(int protocol) implements Match {
        @Override
        public String toString() {
            return "proto " + protocol;
        }
    }

    record Address(Side side, Prefix prefix) implements Match {
        @Override
        public String toString() {
            return (side == Side.EITHER ? "net" : side.name().toLowerCase() + " net") + " " + prefix;
        }
    }

    record AddressList(Side side, PrefixList list) implements Match {
        @Override
        public String toString() {
            return (side == Side.EITHER ? "host" : side.name().toLowerCase()) + " list " + list.path();
        }
    }

    /** TCP, UDP, UDP-Lite or SCTP ports of a first (or only) fragment. */
    record Port(Side side, NumberSet ports) implements Match {
        @Override
        public String toString() {
            return (side == Side.EITHER ? "" : side.name().toLowerCase() + " ") + "port " + ports;
        }
    }

    /** TCP flags: {@code (flags & mask) == value}, over the 8 bits F S R P A U E C. */
    record TcpFlags(int value, int mask) implements Match {
        @Override
        public String toString() {
            return "flags " + RuleParser.flagLetters(value) + "/" + RuleParser.flagLetters(mask);
        }
    }

    /** Frame length on the wire, in bytes. */
    record Length(NumberSet lengths) implements Match {
        @Override
        public String toString() {
            return "len " + lengths;
        }
    }

    /** IPv4 TTL or IPv6 hop limit. */
    record Ttl(NumberSet values) implements Match {
        @Override
        public String toString() {
            return "ttl " + values;
        }
    }

    /** An IP fragment: any, the first (offset 0, more fragments), or a later one (offset > 0). */
    record Fragment(Kind kind) implements Match {
        public enum Kind { ANY, FIRST, LATER }

        @Override
        public String toString() {
            return kind == Kind.ANY ? "frag" : "frag " + kind.name().toLowerCase();
        }
    }

    /** ICMP ({@code protocol} 1) or ICMPv6 (58) type, and code when {@code codes} is not null. */
    record Icmp(int protocol, NumberSet types, NumberSet codes) implements Match {
        @Override
        public String toString() {
            return (protocol == 1 ? "icmp" : "icmp6") + " type " + types + (codes == null ? "" : " code " + codes);
        }
    }

    /** Bytes at {@code offset} into the transport payload: {@code (payload & mask) == value}. */
    record Payload(int offset, byte[] value, byte[] mask) implements Match {
        @Override
        public boolean equals(Object o) {
            return o instanceof Payload p && offset == p.offset && Arrays.equals(value, p.value) && Arrays.equals(mask, p.mask);
        }

        @Override
        public int hashCode() {
            return offset * 31 + Arrays.hashCode(value) * 7 + Arrays.hashCode(mask);
        }

        @Override
        public String toString() {
            return "payload " + offset + " 0x" + HexFormat.of().formatHex(value) + " mask 0x" + HexFormat.of().formatHex(mask);
        }
    }

    /**
     * A DNS query over UDP to port 53: any well-formed one ({@code name} null), or one whose
     * question name equals {@code name} or, with {@code suffix}, ends with it at a label boundary.
     * Names compare case-insensitively; {@code name} is lower case, without the final dot.
     */
    record Dns(String name, boolean suffix) implements Match {
        @Override
        public String toString() {
            return name == null ? "dns" : "dns " + (suffix ? "suffix " : "qname ") + name;
        }
    }

    /**
     * A malformed packet ({@link io.netbypass.packet.ParseStatus#malformed()}): one the parser
     * could not take through its own headers. {@code reasons} is a bit set over
     * {@link io.netbypass.packet.ParseStatus} ordinals: which reasons count.
     */
    record Malformed(int reasons) implements Match {
        /** Every malformed reason: {@code malformed} alone. */
        public static final int ANY = any();

        private static int any() {
            int bits = 0;
            for (ParseStatus s : ParseStatus.values()) {
                if (s.malformed()) {
                    bits |= 1 << s.ordinal();
                }
            }
            return bits;
        }

        public boolean covers(ParseStatus status) {
            return (reasons >>> status.ordinal() & 1) != 0;
        }

        @Override
        public String toString() {
            if (reasons == ANY) {
                return "malformed";
            }
            StringBuilder b = new StringBuilder("malformed ");
            for (ParseStatus s : ParseStatus.values()) {
                if (covers(s)) {
                    b.append(b.charAt(b.length() - 1) == ' ' ? "" : ",").append(s.word());
                }
            }
            return b.toString();
        }
    }
}
