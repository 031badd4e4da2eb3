package io.netbypass.backend.vnic;

import io.netbypass.gen.FrameSource;
import io.netbypass.gen.Pacer;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

/**
 * Drives a vnic's wire from a {@link FrameSource}: batches of frames at a rate, for a count or
 * until stopped, on the calling thread. When the NIC pauses the wire (flow control) the rest of
 * the batch is sent again, so every frame made is delivered or counted by the NIC.
 */
public final class WireFeeder implements Runnable {
    private final Vnic nic;
    private final FrameSource source;
    private final int burst;
    private final long rate;
    private final long count;
    private final int stride;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment memory;
    private final WireBatch batch;
    private volatile boolean stop;
    private volatile long sent;

    public WireFeeder(Vnic nic, FrameSource source, int burst, long rate, long count) {
        this.nic = nic;
        this.source = source;
        this.burst = burst;
        this.rate = rate;
        this.count = count;
        this.stride = (source.maxLength() + 63) & ~63;
        this.memory = arena.allocate((long) stride * burst, 64);
        this.batch = new WireBatch(memory, burst);
    }

    /** Frames handed to the NIC so far. */
    public long sent() {
        return sent;
    }

    /** Stops after the batch in flight. */
    public void stop() {
        stop = true;
    }

    @Override
    public void run() {
        IdleStrategy idle = new BackoffIdleStrategy();
        Pacer limiter = new Pacer(rate, System.nanoTime());
        long total = 0;
        try {
            while (!stop && (count <= 0 || total < count)) {
                int n = limiter.allowance(System.nanoTime(), burst);
                if (count > 0) {
                    n = (int) Math.min(n, count - total);
                }
                if (n == 0) {
                    idle.idle(0);
                    continue;
                }
                idle.reset();
                batch.clear();
                for (int i = 0; i < n; i++) {
                    long at = (long) i * stride;
                    batch.add(at, source.next(memory, at));
                }
                int done = 0;
                while ((done = nic.receive(batch, done)) < n) {
                    idle.idle(0); // paused: the ring is full, try again
                }
                limiter.sent(n);
                total += n;
                sent = total;
            }
        } finally {
            arena.close();
        }
    }
}
