package io.netbypass.scaling.ntuple;

import java.lang.foreign.MemorySegment;

import io.netbypass.packet.Bytes;
import io.netbypass.packet.Ipv6Descriptor;
import io.netbypass.packet.IpsecDescriptor;
import io.netbypass.packet.LinkType;
import io.netbypass.packet.ParsedPacket;

/**
 * The fields of one packet that ntuple rules can look at, as fixed 64-bit words so a rule is
 * a (value, mask) pair per word. One instance per thread, refilled for every packet without
 * allocating.
 */
public final class NtupleKey {
    public static final int META = 0;
    public static final int SRC_HI = 1;
    public static final int SRC_LO = 2;
    public static final int DST_HI = 3;
    public static final int DST_LO = 4;
    /** The first four bytes of the L4 header: ports, an ESP SPI, or ip4/ip6 "l4data". */
    public static final int L4 = 5;
    public static final int AH_SPI = 6;
    /** IPv4 TOS or IPv6 traffic class. */
    public static final int TOS = 7;
    public static final int MAC_DST = 8;
    public static final int MAC_SRC = 9;
    /** EtherType of the network layer | outer VLAN TPID << 16 | outer VLAN TCI << 32. */
    public static final int ETHERTYPE = 10;
    public static final int WORDS = 11;

    // META bits
    public static final long IP_VERSION_MASK = 0xfL;
    public static final int PROTOCOL_SHIFT = 8;
    public static final long PROTOCOL_MASK = 0xffL << PROTOCOL_SHIFT;
    public static final long PROTOCOL_KNOWN = 1L << 16;
    public static final long L4_KNOWN = 1L << 17;
    public static final long NOT_FRAGMENT = 1L << 18;
    public static final long HAS_AH = 1L << 19;
    public static final long HAS_ETHERNET = 1L << 20;

    final long[] words = new long[WORDS];

    /** Word {@code i} as last extracted. */
    public long word(int i) {
        return words[i];
    }

    /** Fills the key from a parsed frame; fields the packet lacks stay zero and unflagged. */
    public NtupleKey extract(ParsedPacket p) {
        return extract(p, ALL_WORDS);
    }

    /** Every key word: what {@link #extract(ParsedPacket, int)} fills for the linear reference. */
    public static final int ALL_WORDS = (1 << WORDS) - 1;

    /**
     * Reads only the words in {@code used} (see {@link NtupleClassifier#usedWords()}) from the
     * frame; the others stay zero, and no rule's mask looks at them.
     */
    public NtupleKey extract(ParsedPacket p, int used) {
        long[] w = words;
        MemorySegment s = p.segment();
        long base = p.base();
        long meta = 0;
        long macDst = 0;
        long macSrc = 0;
        if (p.linkType() == LinkType.ETHERNET && p.capturedLength() >= 14) {
            meta |= HAS_ETHERNET;
            if ((used & (1 << MAC_DST | 1 << MAC_SRC)) != 0) {
                macDst = (Bytes.i64(s, base) >>> 16) & 0xffff_ffff_ffffL;
                macSrc = ((long) Bytes.u16(s, base + 6) << 32) | Bytes.u32(s, base + 8);
            }
        }
        w[MAC_DST] = macDst;
        w[MAC_SRC] = macSrc;
        long ethType = p.etherType() == ParsedPacket.NONE ? 0 : p.etherType();
        if (p.vlanCount() > 0) {
            ethType |= (long) p.vlanTpid(0) << 16 | (long) p.vlanTci(0) << 32;
        }
        w[ETHERTYPE] = ethType;
        long ip = base + p.l3Offset();
        long srcHi = 0;
        long srcLo = 0;
        long dstHi = 0;
        long dstLo = 0;
        long tos = 0;
        boolean wantTos = (used & 1 << TOS) != 0;
        if (p.ipVersion() == 4) {
            meta |= 4;
            srcLo = p.ipv4Source() & 0xffff_ffffL;
            dstLo = p.ipv4Destination() & 0xffff_ffffL;
            tos = wantTos ? Bytes.u8(s, ip + 1) : 0;
        } else if (p.ipVersion() == 6) {
            meta |= 6;
            srcHi = Bytes.i64(s, ip + Ipv6Descriptor.SOURCE_OFFSET);
            srcLo = Bytes.i64(s, ip + Ipv6Descriptor.SOURCE_OFFSET + 8);
            dstHi = Bytes.i64(s, ip + Ipv6Descriptor.DESTINATION_OFFSET);
            dstLo = Bytes.i64(s, ip + Ipv6Descriptor.DESTINATION_OFFSET + 8);
            tos = wantTos ? (Bytes.u16(s, ip) >>> 4) & 0xff : 0;
        }
        w[SRC_HI] = srcHi;
        w[SRC_LO] = srcLo;
        w[DST_HI] = dstHi;
        w[DST_LO] = dstLo;
        w[TOS] = tos;
        long l4Word = 0;
        long ahSpi = 0;
        if (p.ipVersion() != 0) {
            if (p.ipProtocol() != ParsedPacket.NONE) {
                meta |= PROTOCOL_KNOWN | (long) p.ipProtocol() << PROTOCOL_SHIFT;
            }
            if (!p.isFragment()) {
                meta |= NOT_FRAGMENT;
            }
            int l4 = p.l4Offset();
            if (l4 != ParsedPacket.NONE && p.fragmentOffset() == 0 && l4 + 4 <= p.l3End()) {
                meta |= L4_KNOWN;
                // The parser already read the ports of TCP, UDP and SCTP: the same four bytes.
                l4Word = p.sourcePort() != ParsedPacket.NONE
                        ? (long) p.sourcePort() << 16 | p.destinationPort()
                        : Bytes.u32(s, base + l4);
            }
            int ah = p.authHeaderOffset();
            if (ah != ParsedPacket.NONE && ah + IpsecDescriptor.AH_SPI_OFFSET + 4 <= p.l3End()) {
                meta |= HAS_AH;
                ahSpi = Bytes.u32(s, base + ah + IpsecDescriptor.AH_SPI_OFFSET);
            }
        }
        w[L4] = l4Word;
        w[AH_SPI] = ahSpi;
        w[META] = meta;
        return this;
    }
}
