package io.netbypass.gen;

import io.netbypass.util.UserException;
import java.util.List;

/**
 * What a {@link Generator} makes, in pkt-gen's terms: UDP/IPv4 frames of {@code -l} bytes
 * (a random size between {@code minSize} and {@code maxSize} when they differ), source and
 * destination ranges walked in order or drawn at random ({@code -z}/{@code -Z}), MACs
 * ({@code -S}/{@code -D}); or, with {@code -P}, the packets of a capture replayed unchanged.
 *
 * @param templates frames to replay in order (from {@code -P}); when not empty the rest is unused
 * @param payload   UDP payload pattern, repeated to fill the frame; empty for pkt-gen's own text
 */
public record GeneratorOptions(AddressRange source, AddressRange destination, boolean randomSource,
                               boolean randomDestination, int minSize, int maxSize, byte[] sourceMac,
                               byte[] destinationMac, long seed, List<byte[]> templates, byte[] payload) {
    /** Ethernet + IPv4 + UDP headers; the smallest frame the generator makes. */
    public static final int HEADERS = 42;
    public static final int MIN_SIZE = 60;
    public static final int MAX_SIZE = 9216;

    public GeneratorOptions {
        templates = List.copyOf(templates);
        if (templates.isEmpty()) {
            if (minSize < MIN_SIZE || maxSize > MAX_SIZE || minSize > maxSize) {
                throw new UserException("packet size must be " + MIN_SIZE + ".." + MAX_SIZE + " bytes, not "
                        + (minSize == maxSize ? String.valueOf(minSize) : minSize + "-" + maxSize));
            }
        }
        if (sourceMac.length != 6 || destinationMac.length != 6) {
            throw new UserException("MAC addresses have 6 bytes");
        }
    }

    /** pkt-gen's defaults: 60-byte frames from 10.0.0.1:1234 to 10.1.0.1:4321. */
    public static GeneratorOptions defaults() {
        return new GeneratorOptions(AddressRange.single("10.0.0.1", 1234), AddressRange.single("10.1.0.1", 4321),
                false, false, MIN_SIZE, MIN_SIZE, new byte[] {0, 0, 0, 0, 0, 0},
                new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff},
                1, List.of(), new byte[0]);
    }

    public GeneratorOptions withSource(AddressRange r, boolean random) {
        return new GeneratorOptions(r, destination, random, randomDestination, minSize, maxSize, sourceMac, destinationMac,
                seed, templates, payload);
    }

    public GeneratorOptions withDestination(AddressRange r, boolean random) {
        return new GeneratorOptions(source, r, randomSource, random, minSize, maxSize, sourceMac, destinationMac,
                seed, templates, payload);
    }

    public GeneratorOptions withSize(int min, int max) {
        return new GeneratorOptions(source, destination, randomSource, randomDestination, min, max, sourceMac,
                destinationMac, seed, templates, payload);
    }

    public GeneratorOptions withMacs(byte[] src, byte[] dst) {
        return new GeneratorOptions(source, destination, randomSource, randomDestination, minSize, maxSize, src, dst,
                seed, templates, payload);
    }

    public GeneratorOptions withSeed(long s) {
        return new GeneratorOptions(source, destination, randomSource, randomDestination, minSize, maxSize, sourceMac,
                destinationMac, s, templates, payload);
    }

    public GeneratorOptions withTemplates(List<byte[]> t) {
        return new GeneratorOptions(source, destination, randomSource, randomDestination, minSize, maxSize, sourceMac,
                destinationMac, seed, t, payload);
    }

    public GeneratorOptions withPayload(byte[] p) {
        return new GeneratorOptions(source, destination, randomSource, randomDestination, minSize, maxSize, sourceMac,
                destinationMac, seed, templates, p);
    }
}
