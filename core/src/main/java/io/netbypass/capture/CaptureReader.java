package io.netbypass.capture;

import java.io.IOException;

/** Reads the packets of a capture file in order. */
public interface CaptureReader extends AutoCloseable {
    /**
     * Fills {@code record} with the next packet. Returns false at the end of the file, and also
     * when the file ends inside a record: {@link #truncation()} then says where.
     *
     * @throws CaptureFormatException when the file is malformed; records read before stay valid
     */
    boolean next(CaptureRecord record) throws CaptureFormatException;

    /** Null, or a one-line description of a record cut short at the end of the file. */
    String truncation();

    /** "pcap" or "pcapng". */
    String format();

    @Override
    void close() throws IOException;
}
