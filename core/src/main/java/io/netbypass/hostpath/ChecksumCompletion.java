package io.netbypass.hostpath;

import io.netbypass.packet.Bytes;
import io.netbypass.packet.Checksums;
import io.netbypass.packet.FrameHeaders;
import io.netbypass.packet.IpProtocols;
import io.netbypass.packet.LinkType;
import io.netbypass.packet.PacketParser;
import io.netbypass.packet.ParsedPacket;

import java.lang.foreign.MemorySegment;

/**
 * Checks a frame's TCP or UDP checksum before it goes into the kernel, and completes it when the
 * sender left it partial. A sender whose device offers checksum offload (veth, virtio, a local
 * socket's skb) hands over frames with CHECKSUM_PARTIAL: the checksum field holds only the
 * pseudo-header sum, folded and not complemented, and the device is to finish it. AF_XDP loses
 * that metadata, so such a frame, written into a TAP as it is, would be refused by the kernel as
 * a checksum error. Recognised here by its field equalling the pseudo-header sum while the full
 * sum does not verify, it is completed in place in the same single pass over the segment. A frame
 * whose checksum is really wrong is left as it is (the kernel refuses it, as from a wire) and
 * reported as {@link #BAD}.
 *
 * <p>No allocation; one instance per thread (it keeps a parsed packet).
 */
public final class ChecksumCompletion {
    /** Not a whole TCP or UDP segment (another protocol, a fragment, cut short): left alone. */
    public static final int NOT_CHECKED = 0;
    /** The checksum is right. */
    public static final int VALID = 1;
    /** UDP over IPv4 without a checksum (0): nothing to check. */
    public static final int ABSENT = 2;
    /** The field held the pseudo-header sum only: now it holds the right checksum. */
    public static final int COMPLETED = 3;
    /** Wrong, and not a partial checksum: left as it is. */
    public static final int BAD = 4;
    /** Not partial (the field is not the pseudo-header sum), and not summed: the kernel checks it. */
    public static final int NOT_PARTIAL = 5;

    private final ParsedPacket parsed = new ParsedPacket();
    private long headers;

    /** Parses the Ethernet frame and {@link #check(MemorySegment, long, int, long, boolean) checks} it in full. */
    public int check(MemorySegment s, long offset, int length) {
        return check(s, offset, length, true);
    }

    /** Parses the Ethernet frame and {@link #check(MemorySegment, long, int, long, boolean) checks} it. */
    public int check(MemorySegment s, long offset, int length, boolean full) {
        return check(s, offset, length, FrameHeaders.UNKNOWN, full);
    }

    /**
     * Checks the frame with the headers its parser found ({@link FrameHeaders}); it is parsed here
     * only when they are unknown or do not fit the frame.
     */
    public int check(MemorySegment s, long offset, int length, long frameHeaders, boolean full) {
        if (!FrameHeaders.fits(frameHeaders, length)) {
            PacketParser.parse(s, offset, length, LinkType.ETHERNET, parsed);
            frameHeaders = FrameHeaders.of(parsed);
        }
        headers = frameHeaders;
        return checkHeaders(s, offset, length, frameHeaders, full);
    }

    /** The headers of the frame of the last check (as given, or as parsed). */
    public long headers() {
        return headers;
    }

    /**
     * Checks (and completes, when partial) the transport checksum of the frame at {@code offset},
     * which {@code p} describes; returns one of the constants above. {@code full}: every segment
     * is summed (VALID, COMPLETED or BAD; worth it where the sum is needed anyway, as GRO needs
     * it); else only one whose field holds the pseudo-header sum is (a partial one, with near
     * certainty), and any other is {@link #NOT_PARTIAL} at the cost of the pseudo-header alone.
     */
    private static int checkHeaders(MemorySegment s, long offset, int length, long h, boolean full) {
        int proto = FrameHeaders.protocol(h);
        int l3 = FrameHeaders.l3(h);
        int l4 = FrameHeaders.l4(h);
        int version = FrameHeaders.version(h);
        if ((proto != IpProtocols.TCP && proto != IpProtocols.UDP) || l3 < 0 || l4 < 0 || FrameHeaders.fragment(h)) {
            return NOT_CHECKED;
        }
        long ip = offset + l3;
        int end;
        if (version == 4) {
            end = l3 + Bytes.u16(s, ip + 2);
        } else if (version == 6) {
            int payload = Bytes.u16(s, ip + 4);
            if (payload == 0) {
                return NOT_CHECKED; // a jumbogram
            }
            end = l3 + 40 + payload;
        } else {
            return NOT_CHECKED;
        }
        if (end > length || end <= l4) {
            return NOT_CHECKED; // cut short: the kernel drops it for its length
        }
        int l4Length = end - l4;
        long at = offset + l4;
        int field;
        if (proto == IpProtocols.UDP) {
            int udpLength = l4Length >= 8 ? Bytes.u16(s, at + 4) : 0;
            if (udpLength < 8 || udpLength > l4Length) {
                return NOT_CHECKED;
            }
            l4Length = udpLength; // the kernel trims the datagram to UDP's length, and sums that
            field = 6;
            if (Bytes.u16(s, at + field) == 0 && version == 4) {
                return ABSENT;
            }
        } else {
            if (l4Length < 20) {
                return NOT_CHECKED;
            }
            field = 16;
        }
        long pseudo = version == 4 ? Checksums.pseudoHeaderV4(s, ip, proto, l4Length)
                : Checksums.pseudoHeaderV6(s, ip, proto, l4Length);
        int value = Bytes.u16(s, at + field);
        boolean looksPartial = value == Checksums.fold(pseudo);
        if (!full && !looksPartial) {
            return NOT_PARTIAL;
        }
        long sum = Checksums.add(s, at, l4Length, pseudo);
        if (Checksums.fold(sum) == 0xffff) {
            return VALID; // (a right checksum may equal the pseudo-header sum: one in 65,536)
        }
        if (!looksPartial) {
            return BAD;
        }
        // sum - field (ones' complement: add its complement) is the sum over a zero field.
        int c = Checksums.finish(sum + (~value & 0xffff));
        if (c == 0 && proto == IpProtocols.UDP) {
            c = 0xffff; // RFC 768: a computed zero is sent as all ones
        }
        Bytes.put16(s, at + field, c);
        return COMPLETED;
    }
}
