package io.netbypass.packet;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Internet checksums (RFC 1071): IPv4 header, TCP/UDP/ICMPv6 with their pseudo-headers, ICMP,
 * and incremental update (RFC 1624). Sums are carried in a long and folded at the end, so
 * 32-bit big-endian words can be added directly: the ones'-complement sum does not depend on
 * the word size as long as every carry is folded back in.
 */
public final class Checksums {
    private Checksums() {
    }

    private static final ValueLayout.OfLong NATIVE_LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final boolean LITTLE_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

    /**
     * Adds {@code length} bytes at {@code offset} to {@code sum}; an odd last byte is padded with
     * zero. The bulk is read in native byte order, 16 bytes a step: on a little-endian machine
     * that sums byte-swapped words, whose folded sum is the swap of the right one (RFC 1071's
     * byte-order independence), so it is swapped back once at the end.
     */
    public static long add(MemorySegment s, long offset, int length, long sum) {
        long end = offset + length;
        long p = offset;
        long low = 0;
        long high = 0;
        for (; p + 16 <= end; p += 16) {
            long w0 = s.get(NATIVE_LONG, p);
            long w1 = s.get(NATIVE_LONG, p + 8);
            low += (w0 & 0xffff_ffffL) + (w1 & 0xffff_ffffL);
            high += (w0 >>> 32) + (w1 >>> 32);
        }
        if (p + 8 <= end) {
            long w0 = s.get(NATIVE_LONG, p);
            low += w0 & 0xffff_ffffL;
            high += w0 >>> 32;
            p += 8;
        }
        if (p != offset) {
            int bulk = fold(low + high);
            sum += LITTLE_ENDIAN ? ((bulk & 0xff) << 8) | (bulk >>> 8) : bulk;
        }
        for (; p + 2 <= end; p += 2) {
            sum += Bytes.u16(s, p);
        }
        if (p < end) {
            sum += Bytes.u8(s, p) << 8;
        }
        return sum;
    }

    /** Folds a running sum to 16 bits (not complemented). */
    public static int fold(long sum) {
        sum = (sum & 0xffff_ffffL) + (sum >>> 32);
        sum = (sum & 0xffff_ffffL) + (sum >>> 32);
        sum = (sum & 0xffff) + (sum >>> 16);
        sum = (sum & 0xffff) + (sum >>> 16);
        return (int) sum;
    }

    /** The checksum to store: the complement of the folded sum. */
    public static int finish(long sum) {
        return ~fold(sum) & 0xffff;
    }

    /** IPv4 pseudo-header sum (RFC 793/768): addresses of the IPv4 header at {@code ipOffset}, protocol, length. */
    public static long pseudoHeaderV4(MemorySegment s, long ipOffset, int protocol, int length) {
        long sum = Bytes.u32(s, ipOffset + Ipv4Descriptor.SOURCE_OFFSET)
                + Bytes.u32(s, ipOffset + Ipv4Descriptor.DESTINATION_OFFSET);
        return sum + protocol + length;
    }

    /** IPv6 pseudo-header sum (RFC 8200 8.1) for the IPv6 header at {@code ipOffset}. */
    public static long pseudoHeaderV6(MemorySegment s, long ipOffset, int nextHeader, long length) {
        long sum = add(s, ipOffset + Ipv6Descriptor.SOURCE_OFFSET, 2 * Ipv6Descriptor.ADDRESS_LENGTH, 0);
        return sum + (length >>> 16) + (length & 0xffff) + nextHeader;
    }

    /** True when the IPv4 header's checksum field is right. */
    public static boolean verifyIpv4Header(MemorySegment s, long ipOffset, int headerLength) {
        return fold(add(s, ipOffset, headerLength, 0)) == 0xffff;
    }

    /** The value the IPv4 header's checksum field should hold (the field's current value is ignored). */
    public static int computeIpv4Header(MemorySegment s, long ipOffset, int headerLength) {
        long sum = add(s, ipOffset, headerLength, 0) + (~Bytes.u16(s, ipOffset + Ipv4Descriptor.CHECKSUM_OFFSET) & 0xffff);
        return finish(sum);
    }

    /** Writes the right IPv4 header checksum. */
    public static void fillIpv4Header(MemorySegment s, long ipOffset, int headerLength) {
        Bytes.put16(s, ipOffset + Ipv4Descriptor.CHECKSUM_OFFSET, 0);
        Bytes.put16(s, ipOffset + Ipv4Descriptor.CHECKSUM_OFFSET, finish(add(s, ipOffset, headerLength, 0)));
    }

    /**
     * Sum of a transport segment (TCP, UDP, UDP-Lite coverage, ICMPv6) with its pseudo-header,
     * including whatever the checksum field holds: a correct segment folds to 0xffff.
     *
     * @param ipOffset   the IP header the addresses come from (version from its first nibble)
     * @param l4Offset   first byte of the transport header
     * @param l4Length   length used in the pseudo-header
     * @param covered    bytes summed from {@code l4Offset} (equals l4Length except for UDP-Lite)
     */
    public static long transportSum(MemorySegment s, long ipOffset, int protocol, long l4Offset, int l4Length, int covered) {
        int version = Bytes.u8(s, ipOffset) >>> 4;
        long sum = version == 4 ? pseudoHeaderV4(s, ipOffset, protocol, l4Length)
                : pseudoHeaderV6(s, ipOffset, protocol, l4Length);
        return add(s, l4Offset, covered, sum);
    }

    /** True when the transport segment's checksum (field included in the data) is right. */
    public static boolean verifyTransport(MemorySegment s, long ipOffset, int protocol, long l4Offset, int l4Length) {
        return fold(transportSum(s, ipOffset, protocol, l4Offset, l4Length, l4Length)) == 0xffff;
    }

    /**
     * Computes and stores the transport checksum at {@code l4Offset + checksumOffset}. UDP's
     * computed zero is sent as 0xffff (RFC 768: zero means "no checksum").
     */
    public static void fillTransport(MemorySegment s, long ipOffset, int protocol, long l4Offset, int l4Length, int checksumOffset) {
        Bytes.put16(s, l4Offset + checksumOffset, 0);
        int c = finish(transportSum(s, ipOffset, protocol, l4Offset, l4Length, l4Length));
        if (c == 0 && (protocol == IpProtocols.UDP || protocol == IpProtocols.UDPLITE)) {
            c = 0xffff;
        }
        Bytes.put16(s, l4Offset + checksumOffset, c);
    }

    /** ICMPv4 has no pseudo-header: true when the message sums to 0xffff. */
    public static boolean verifyIcmpV4(MemorySegment s, long offset, int length) {
        return fold(add(s, offset, length, 0)) == 0xffff;
    }

    public static void fillIcmpV4(MemorySegment s, long offset, int length) {
        Bytes.put16(s, offset + IcmpDescriptor.CHECKSUM_OFFSET, 0);
        Bytes.put16(s, offset + IcmpDescriptor.CHECKSUM_OFFSET, finish(add(s, offset, length, 0)));
    }

    /**
     * RFC 1624 equation 3: the new checksum after one 16-bit word of the covered data changes
     * from {@code oldWord} to {@code newWord}: HC' = ~(~HC + ~m + m').
     */
    public static int update16(int checksum, int oldWord, int newWord) {
        long sum = (~checksum & 0xffff) + (~oldWord & 0xffff) + (newWord & 0xffff);
        return finish(sum);
    }

    /** RFC 1624 for a 32-bit field (an IPv4 address, a sequence number): two 16-bit updates at once. */
    public static int update32(int checksum, int oldValue, int newValue) {
        long sum = (~checksum & 0xffff)
                + (~(oldValue >>> 16) & 0xffff) + (~oldValue & 0xffff)
                + ((newValue >>> 16) & 0xffff) + (newValue & 0xffff);
        return finish(sum);
    }
}
