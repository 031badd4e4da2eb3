package io.netbypass.capture;

import java.io.IOException;

/** A capture file that is not what it claims to be, with the byte offset where it goes wrong. */
public final class CaptureFormatException extends IOException {
    private final long offset;

    public CaptureFormatException(long offset, String message) {
        super(message + " at byte offset " + offset);
        this.offset = offset;
    }

    public long offset() {
        return offset;
    }
}
