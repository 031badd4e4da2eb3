package io.netbypass.scaling.steering;

/** The integer helpers Linux steering is built on. */
public final class ReciprocalScale {
    private ReciprocalScale() {
    }

    /**
     * {@code reciprocal_scale(v, n) = (u32)(((u64) v * n) >> 32)}: maps a 32-bit hash onto
     * {@code [0, n)} by its high bits, not its low bits as a modulo would.
     */
    public static int scale(int value, int n) {
        return (int) (((value & 0xffff_ffffL) * n) >>> 32);
    }

    /** {@code roundup_pow_of_two}: the smallest power of two at least {@code n} (n >= 1). */
    public static int roundUpPowerOfTwo(int n) {
        if (n < 1 || n > 1 << 30) {
            throw new IllegalArgumentException("cannot round " + n + " up to a power of two");
        }
        return n == 1 ? 1 : Integer.highestOneBit(n - 1) << 1;
    }
}
