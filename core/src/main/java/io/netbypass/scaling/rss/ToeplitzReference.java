package io.netbypass.scaling.rss;

import io.netbypass.util.UserException;

/**
 * Toeplitz exactly as the datasheets describe it, one input bit at a time: for each 1 bit
 * (MSB first) XOR the key's current left-most 32 bits into the result, then shift the key left
 * by one. Slow on purpose; it is the oracle the table-driven {@link Toeplitz} is checked against.
 */
public final class ToeplitzReference {
    private ToeplitzReference() {
    }

    public static int hash(RssKey key, byte[] input) {
        return hash(key, input, 0, input.length);
    }

    public static int hash(RssKey key, byte[] input, int offset, int length) {
        if (length > key.maxInputLength()) {
            throw new UserException("a " + key.length() + "-byte key hashes at most "
                    + key.maxInputLength() + " bytes, not " + length);
        }
        int result = 0;
        int window = (key.byteAt(0) << 24) | (key.byteAt(1) << 16) | (key.byteAt(2) << 8) | key.byteAt(3);
        int nextKeyBit = 32;
        for (int i = 0; i < length; i++) {
            int b = input[offset + i] & 0xff;
            for (int bit = 7; bit >= 0; bit--) {
                if ((b >>> bit & 1) != 0) {
                    result ^= window;
                }
                int keyByte = nextKeyBit >>> 3;
                int incoming = keyByte < key.length() ? key.byteAt(keyByte) >>> (7 - (nextKeyBit & 7)) & 1 : 0;
                window = (window << 1) | incoming;
                nextKeyBit++;
            }
        }
        return result;
    }
}
