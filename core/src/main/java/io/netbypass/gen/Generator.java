package io.netbypass.gen;

import io.netbypass.packet.Bytes;
import io.netbypass.packet.Checksums;
import io.netbypass.util.SplitMix64;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * Makes frames into caller-owned memory, one call per frame, without allocating: UDP/IPv4 with
 * correct IP and UDP checksums, addresses and ports walked like pkt-gen (source port fastest,
 * then source address, destination port, destination address) or drawn from a seeded
 * SplitMix64, so the same seed gives the same frames on any machine; or capture templates
 * replayed byte for byte.
 */
public final class Generator implements FrameSource {
    private static final byte[] PKT_GEN_PAYLOAD = "netbypass pkt-gen payload: not a real protocol\n"
            .getBytes(StandardCharsets.US_ASCII);

    private final GeneratorOptions options;
    private final MemorySegment templates;
    private final long[] templateOffsets;
    private final int[] templateLengths;
    private final MemorySegment payload;
    /** Ones'-complement sums of the first {@code k} payload bytes, for the UDP checksum. */
    private final long[] payloadSums;
    private final MemorySegment header;

    private long random;
    private long sequence;
    private int template;
    private long srcIndex;
    private int sportIndex;
    private long dstIndex;
    private int dportIndex;

    public Generator(GeneratorOptions options) {
        this.options = options;
        this.random = options.seed();
        Arena arena = Arena.ofAuto();
        int n = options.templates().size();
        templateOffsets = new long[n];
        templateLengths = new int[n];
        long total = 0;
        for (byte[] t : options.templates()) {
            total += t.length;
        }
        templates = arena.allocate(Math.max(1, total));
        long at = 0;
        for (int i = 0; i < n; i++) {
            byte[] t = options.templates().get(i);
            MemorySegment.copy(MemorySegment.ofArray(t), 0, templates, at, t.length);
            templateOffsets[i] = at;
            templateLengths[i] = t.length;
            at += t.length;
        }
        int maxPayload = options.maxSize() - GeneratorOptions.HEADERS;
        byte[] pattern = options.payload().length > 0 ? options.payload() : PKT_GEN_PAYLOAD;
        payload = arena.allocate(Math.max(1, maxPayload));
        for (int i = 0; i < maxPayload; i++) {
            payload.set(ValueLayout.JAVA_BYTE, i, pattern[i % pattern.length]);
        }
        payloadSums = new long[Math.max(1, maxPayload + 1)];
        for (int k = 1; k <= maxPayload; k++) {
            int b = payload.get(ValueLayout.JAVA_BYTE, k - 1) & 0xff;
            payloadSums[k] = payloadSums[k - 1] + ((k & 1) == 1 ? b << 8 : b);
        }
        header = arena.allocate(14);
        MemorySegment.copy(MemorySegment.ofArray(options.destinationMac()), 0, header, 0, 6);
        MemorySegment.copy(MemorySegment.ofArray(options.sourceMac()), 0, header, 6, 6);
        Bytes.put16(header, 12, 0x0800);
    }

    public GeneratorOptions options() {
        return options;
    }

    /** Frames made so far. */
    public long generated() {
        return sequence;
    }

    @Override
    public int maxLength() {
        int max = options.maxSize();
        for (int l : templateLengths) {
            max = Math.max(max, l);
        }
        return templateLengths.length > 0 ? max : options.maxSize();
    }

    /** Length of the next frame without making it (to check it fits before writing). */
    public int peekLength() {
        if (templateLengths.length > 0) {
            return templateLengths[template];
        }
        return options.maxSize();
    }

    /**
     * Writes the next frame at {@code offset} of {@code dst} (which must have room for
     * {@link #peekLength()} bytes, at most {@code maxSize}) and returns its length.
     */
    @Override
    public int next(MemorySegment dst, long offset) {
        sequence++;
        if (templateLengths.length > 0) {
            int t = template;
            template = t + 1 == templateLengths.length ? 0 : t + 1;
            MemorySegment.copy(templates, templateOffsets[t], dst, offset, templateLengths[t]);
            return templateLengths[t];
        }
        int size = options.minSize() == options.maxSize() ? options.minSize()
                : options.minSize() + (int) Long.remainderUnsigned(nextRandom(), options.maxSize() - options.minSize() + 1);
        AddressRange s = options.source();
        AddressRange d = options.destination();
        int srcAddr;
        int sport;
        int dstAddr;
        int dport;
        if (options.randomSource()) {
            srcAddr = s.firstAddress() + (int) Long.remainderUnsigned(nextRandom(), s.addresses());
            sport = s.firstPort() + (int) Long.remainderUnsigned(nextRandom(), s.ports());
        } else {
            srcAddr = s.firstAddress() + (int) srcIndex;
            sport = s.firstPort() + sportIndex;
        }
        if (options.randomDestination()) {
            dstAddr = d.firstAddress() + (int) Long.remainderUnsigned(nextRandom(), d.addresses());
            dport = d.firstPort() + (int) Long.remainderUnsigned(nextRandom(), d.ports());
        } else {
            dstAddr = d.firstAddress() + (int) dstIndex;
            dport = d.firstPort() + dportIndex;
        }
        step();
        write(dst, offset, size, srcAddr, sport, dstAddr, dport);
        return size;
    }

    /** pkt-gen's odometer over the sequential ranges. */
    private void step() {
        AddressRange s = options.source();
        AddressRange d = options.destination();
        boolean carry = true;
        if (!options.randomSource()) {
            if (++sportIndex == s.ports()) {
                sportIndex = 0;
                if (++srcIndex == s.addresses()) {
                    srcIndex = 0;
                } else {
                    carry = false;
                }
            } else {
                carry = false;
            }
        }
        if (carry && !options.randomDestination()) {
            if (++dportIndex == d.ports()) {
                dportIndex = 0;
                if (++dstIndex == d.addresses()) {
                    dstIndex = 0;
                }
            }
        }
    }

    private void write(MemorySegment dst, long at, int size, int srcAddr, int sport, int dstAddr, int dport) {
        MemorySegment.copy(header, 0, dst, at, 14);
        long ip = at + 14;
        int ipLength = size - 14;
        int udpLength = ipLength - 20;
        dst.set(Bytes.U32_BE, ip, 0x4500_0000 | ipLength);
        dst.set(Bytes.U32_BE, ip + 4, 0);
        dst.set(Bytes.U32_BE, ip + 8, 64 << 24 | 17 << 16);
        dst.set(Bytes.U32_BE, ip + 12, srcAddr);
        dst.set(Bytes.U32_BE, ip + 16, dstAddr);
        Checksums.fillIpv4Header(dst, ip, 20);
        long udp = ip + 20;
        dst.set(Bytes.U32_BE, udp, sport << 16 | dport);
        dst.set(Bytes.U32_BE, udp + 4, udpLength << 16);
        int payloadLength = udpLength - 8;
        MemorySegment.copy(payload, 0, dst, udp + 8, payloadLength);
        long sum = payloadSums[payloadLength]
                + (srcAddr >>> 16) + (srcAddr & 0xffff) + (dstAddr >>> 16) + (dstAddr & 0xffff)
                + 17 + udpLength            // pseudo header
                + sport + dport + udpLength; // UDP header, checksum zero
        int checksum = Checksums.finish(sum);
        dst.set(Bytes.U16_BE, udp + 6, (short) (checksum == 0 ? 0xffff : checksum));
    }

    private long nextRandom() {
        return SplitMix64.mix(random += SplitMix64.GOLDEN_GAMMA);
    }
}
