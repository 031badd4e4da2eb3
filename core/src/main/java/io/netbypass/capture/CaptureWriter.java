package io.netbypass.capture;

import java.io.IOException;

/** Writes packets to a capture file. */
public interface CaptureWriter extends AutoCloseable {
    /** Appends one packet: its captured bytes, original length, timestamp and (pcapng) interface. */
    void write(CaptureRecord record) throws IOException;

    @Override
    void close() throws IOException;
}
