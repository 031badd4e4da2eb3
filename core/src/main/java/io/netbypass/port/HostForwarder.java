package io.netbypass.port;

import io.netbypass.packet.FrameHeaders;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.function.ObjLongConsumer;

/**
 * One RX ring's released slots marked {@link Ring#SLOT_FORWARD} on their way to a
 * {@link HostPath}: a one-slot frame as it lies, a {@link Ring#MOREFRAG} chain gathered into one
 * frame first (its last slot sends it). Without a host path the frames are counted as
 * {@code forward_unavailable}; a chain that is broken or longer than {@link #MAX_CHAIN_BYTES} is
 * counted as {@code forward_dropped}. The chain's state lives here because a chain may be
 * released over two syncs.
 */
public final class HostForwarder {
    /** The longest frame taken from a slot chain (a TAP frame's limit). */
    public static final int MAX_CHAIN_BYTES = 65_536;

    private final HostPath host;
    private final int bufferSize;
    private final MemorySegment gather;
    /** Bytes of a chain gathered so far; -1 while the rest of a broken chain goes by. */
    private int gathered;
    /** The headers the chain's first slot was given: they describe the gathered frame. */
    private long chainHeaders;
    private long forwarded;
    private long dropped;
    private long unavailable;

    /** {@code host} null: nothing to forward to. */
    public HostForwarder(HostPath host, int bufferSize, Arena arena) {
        this.host = host;
        this.bufferSize = bufferSize;
        this.gather = host == null ? null : arena.allocate(MAX_CHAIN_BYTES, 64);
    }

    /** One released slot marked SLOT_FORWARD; {@code more}: its MOREFRAG flag. */
    public void slot(MemorySegment memory, long at, int length, boolean more, long headers) {
        if (host == null) {
            if (!more) {
                unavailable++;
            }
            return;
        }
        int g = gathered;
        boolean fits = length > 0 && length <= bufferSize;
        if (!more && g == 0) {
            if (fits && host.forward(memory, at, length, headers)) {
                forwarded++;
            } else if (!fits) {
                dropped++;
            }
            return;
        }
        if (g == 0) {
            chainHeaders = headers;
        }
        if (g >= 0 && fits && g + length <= MAX_CHAIN_BYTES) {
            MemorySegment.copy(memory, at, gather, g, length);
            g += length;
        } else {
            g = -1;
        }
        if (more) {
            gathered = g;
            return;
        }
        gathered = 0;
        if (g > 0) {
            if (host.forward(gather, 0, g, FrameHeaders.fits(chainHeaders, g) ? chainHeaders : FrameHeaders.UNKNOWN)) {
                forwarded++;
            }
        } else {
            dropped++;
        }
    }

    /** A released slot not forwarded: a chain being gathered ends without its last slot, and is lost. */
    public void notForwarded() {
        if (gathered != 0) {
            dropped++;
            gathered = 0;
        }
    }

    /** A released slot the application broke: the frame it belongs to is dropped. */
    public void broken(boolean more) {
        if (more) {
            gathered = -1;
        } else {
            dropped += gathered != 0 ? 1 : 0;
            gathered = 0;
        }
    }

    /** The end of a batch: the host path delivers what it holds. */
    public void flush() {
        if (host != null) {
            host.flush();
        }
    }

    public long forwarded() { return forwarded; }

    /** Adds this ring's counts to {@code into} (forwarded, dropped, unavailable). */
    private void addTo(long[] into) {
        into[0] += forwarded;
        into[1] += dropped;
        into[2] += unavailable;
    }

    /** The three counts of every ring's forwarder, as a port reports them. */
    public static void report(Iterable<HostForwarder> rings, ObjLongConsumer<String> sink) {
        long[] sum = new long[3];
        for (HostForwarder f : rings) {
            f.addTo(sum);
        }
        sink.accept("forwarded_to_host", sum[0]);
        sink.accept("forward_dropped", sum[1]);
        sink.accept("forward_unavailable", sum[2]);
    }
}
