package io.netbypass.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import org.agrona.concurrent.IdleStrategy;

/**
 * Idles by sleeping in the kernel until one of a port's sockets is readable (poll(2), POLLIN),
 * after a few spins: netmap's and pkt-gen's way of waiting. Where the receiving process shares a
 * CPU with the kernel's receive work it costs one wakeup per batch the kernel delivers, instead
 * of a thread that keeps yielding or sleeping on a timer. No allocation after construction.
 */
public final class PollIdleStrategy implements IdleStrategy {
    private static final short POLLIN = 0x1;
    private static final int POLLFD_LENGTH = 8;

    private final MemorySegment fds;
    private final int count;
    private final int spins;
    private final int timeoutMillis;
    /**
     * How long an idle thread sleeps in poll(2) before it looks around again (a queue added, the
     * rules swapped, a stop): each wakeup costs the CPU the thread shares with the driver's NAPI
     * work, so an idle filter whose flood is dropped in XDP wakes 20 times a second, not 100.
     */
    public static final int IDLE_TIMEOUT_MILLIS = 50;
    private int idles;

    /** Polls {@code descriptors} for up to {@code timeoutMillis} after {@code spins} idle calls that only spin. */
    public PollIdleStrategy(int[] descriptors, int spins, int timeoutMillis) {
        if (descriptors.length == 0) {
            throw new IllegalArgumentException("nothing to poll");
        }
        this.count = descriptors.length;
        this.spins = spins;
        this.timeoutMillis = timeoutMillis;
        this.fds = Arena.ofAuto().allocate((long) POLLFD_LENGTH * count, 4);
        for (int i = 0; i < count; i++) {
            fds.set(ValueLayout.JAVA_INT, (long) i * POLLFD_LENGTH, descriptors[i]);
            fds.set(ValueLayout.JAVA_SHORT, (long) i * POLLFD_LENGTH + 4, POLLIN);
        }
    }

    @Override
    public void idle(int workCount) {
        if (workCount > 0) {
            idles = 0;
        } else {
            idle();
        }
    }

    @Override
    public void idle() {
        if (idles < spins) {
            idles++;
            Thread.onSpinWait();
        } else {
            Native.poll(fds, count, timeoutMillis); // EINTR and the like: the caller looks at its rings again anyway
        }
    }

    @Override
    public void reset() {
        idles = 0;
    }

    @Override
    public String alias() {
        return "poll";
    }
}
