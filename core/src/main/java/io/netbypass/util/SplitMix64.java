package io.netbypass.util;

/**
 * SplitMix64: a sequence ({@link #next}) and its finalizer ({@link #mix}), a bijection on 64-bit
 * values with good avalanche. Tiny, fast, and the same everywhere for a seed: the generator's
 * random modes, hash constants, and key mixing in tables use it.
 */
public final class SplitMix64 {
    public static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;

    private SplitMix64() {
    }

    /** The finalizer: scrambles every bit of {@code z} into every bit of the result. */
    public static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** The value after state {@code state}: advance the state by {@link #GOLDEN_GAMMA} and mix. */
    public static long next(long state) {
        return mix(state + GOLDEN_GAMMA);
    }
}
