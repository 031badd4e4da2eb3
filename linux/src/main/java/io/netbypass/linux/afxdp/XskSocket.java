package io.netbypass.linux.afxdp;

import io.netbypass.linux.Errno;
import io.netbypass.linux.LinuxException;
import io.netbypass.linux.Native;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static io.netbypass.linux.afxdp.XdpDescriptor.*;

/**
 * One AF_XDP socket bound to one queue of an interface, on a {@link Umem}: the first socket on a
 * UMEM registers it, later ones share it (XDP_SHARED_UMEM) with their own fill and completion
 * rings. The kernel writes received frames into UMEM and posts {@code (addr, len)} on the RX
 * ring; frames go back through the fill ring; TX descriptors go out through the TX ring and come
 * back on the completion ring.
 *
 * <p>Bind order follows the kernel's needs (UMEM, rings, mmap, bind); the XSKMAP entry that makes
 * the XDP program redirect to this socket is the caller's last step. Copy mode is used when the
 * driver has no zero-copy (veth). Single-threaded.
 */
public final class XskSocket implements AutoCloseable {
    public static final int MSG_DONTWAIT = 0x40;

    /** Sees one received frame: its bytes are {@code umem[offset, offset + length)}, valid during the call. */
    public interface FrameHandler {
        void frame(MemorySegment umem, long offset, int length);
    }

    private final String name;
    private final int fd;
    private final int queue;
    private final Umem umem;
    /** The UMEM this socket made for itself (closed with it), or null when it is shared. */
    private final Umem ownUmem;
    final XskRing fill;
    final XskRing completion;
    final XskRing rx;
    final XskRing tx;
    private final boolean zeroCopy;
    private final boolean multiBuffer;
    private final MemorySegment statistics;
    private long received;
    private long wakeups;

    private XskSocket(String name, int fd, int queue, Umem umem, Umem ownUmem, XskRing fill, XskRing completion,
                      XskRing rx, XskRing tx, boolean zeroCopy, boolean multiBuffer) {
        this.name = name;
        this.fd = fd;
        this.queue = queue;
        this.umem = umem;
        this.ownUmem = ownUmem;
        this.fill = fill;
        this.completion = completion;
        this.rx = rx;
        this.tx = tx;
        this.zeroCopy = zeroCopy;
        this.multiBuffer = multiBuffer;
        this.statistics = Arena.ofAuto().allocate(STATISTICS_LENGTH, 8);
    }

    /**
     * A socket with a UMEM of its own: {@code frames} frames of {@code frameSize} bytes, half of
     * them lent to the kernel at once; read it with {@link #receive}.
     */
    public static XskSocket open(String ifName, int queue, int frames, int frameSize, int ringSize) throws LinuxException {
        if (Integer.bitCount(frames) != 1) {
            throw new IllegalArgumentException("frames must be a power of two");
        }
        Umem umem = Umem.allocate(frames, frameSize, ifName + " queue " + queue);
        try {
            XskSocket s = open(ifName, queue, umem, null, ringSize, true, true, false, umem);
            s.lend(Math.min(frames / 2, ringSize));
            return s;
        } catch (LinuxException | RuntimeException e) {
            umem.close();
            throw e;
        }
    }

    /**
     * Opens a socket on {@code ifName} queue {@code queue} (in the calling thread's network
     * namespace) over {@code umem}: registered here when {@code shareWith} is null, else shared
     * with that socket, which must stay open as long as this one. {@code ringSize} (a power of
     * two) sizes all four rings; {@code rx}/{@code tx} say which of the RX and TX rings to create.
     * {@code copy} asks for copy mode; otherwise zero-copy is tried first.
     */
    public static XskSocket open(String ifName, int queue, Umem umem, XskSocket shareWith, int ringSize, boolean rx,
                                 boolean tx, boolean copy) throws LinuxException {
        return open(ifName, queue, umem, shareWith, ringSize, rx, tx, copy, null);
    }

    private static XskSocket open(String ifName, int queue, Umem umem, XskSocket shareWith, int ringSize, boolean rx,
                                  boolean tx, boolean copy, Umem own) throws LinuxException {
        if (Integer.bitCount(ringSize) != 1 || (!rx && !tx)) {
            throw new IllegalArgumentException("ring size must be a power of two, and a socket needs an RX or a TX ring");
        }
        String what = ifName + " queue " + queue;
        int ifIndex = Native.ifIndex(ifName);
        int fd = Native.socket(AF_XDP, SOCK_RAW, 0, "AF_XDP, " + what);
        MemorySegment[] maps = new MemorySegment[4];
        try (Arena a = Arena.ofConfined()) {
            if (shareWith == null) {
                umem.register(fd, what);
            }
            MemorySegment entries = a.allocate(ValueLayout.JAVA_INT);
            entries.set(ValueLayout.JAVA_INT, 0, ringSize);
            Native.setsockopt(fd, SOL_XDP, XDP_UMEM_FILL_RING, entries, "XDP_UMEM_FILL_RING, " + what);
            Native.setsockopt(fd, SOL_XDP, XDP_UMEM_COMPLETION_RING, entries, "XDP_UMEM_COMPLETION_RING, " + what);
            if (rx) {
                Native.setsockopt(fd, SOL_XDP, XDP_RX_RING, entries, "XDP_RX_RING, " + what);
            }
            if (tx) {
                Native.setsockopt(fd, SOL_XDP, XDP_TX_RING, entries, "XDP_TX_RING, " + what);
                try {
                    Native.setsockopt(fd, SOL_XDP, XDP_MAX_TX_SKB_BUDGET, entries, "XDP_MAX_TX_SKB_BUDGET, " + what);
                } catch (LinuxException e) {
                    // older kernels: 32 frames per sendto in copy mode
                }
            }
            MemorySegment off = a.allocate(MMAP_OFFSETS_LENGTH, 8);
            Native.getsockopt(fd, SOL_XDP, XDP_MMAP_OFFSETS, off, "XDP_MMAP_OFFSETS, " + what);
            int shared = Native.MAP_SHARED | Native.MAP_POPULATE;
            int rw = Native.PROT_READ | Native.PROT_WRITE;
            maps[0] = Native.mmap(off.get(ValueLayout.JAVA_LONG, OFFSETS_FILL + RING_DESC) + ringSize * 8L, rw, shared, fd,
                    PGOFF_FILL_RING, "fill ring of " + what);
            maps[1] = Native.mmap(off.get(ValueLayout.JAVA_LONG, OFFSETS_COMPLETION + RING_DESC) + ringSize * 8L, rw, shared, fd,
                    PGOFF_COMPLETION_RING, "completion ring of " + what);
            if (rx) {
                maps[2] = Native.mmap(off.get(ValueLayout.JAVA_LONG, OFFSETS_RX + RING_DESC) + (long) ringSize * DESC_LENGTH, rw,
                        shared, fd, PGOFF_RX_RING, "RX ring of " + what);
            }
            if (tx) {
                maps[3] = Native.mmap(off.get(ValueLayout.JAVA_LONG, OFFSETS_TX + RING_DESC) + (long) ringSize * DESC_LENGTH, rw,
                        shared, fd, PGOFF_TX_RING, "TX ring of " + what);
            }
            XskRing fillRing = new XskRing(maps[0], off, OFFSETS_FILL, ringSize);
            XskRing completionRing = new XskRing(maps[1], off, OFFSETS_COMPLETION, ringSize).asConsumer();
            XskRing rxRing = rx ? new XskRing(maps[2], off, OFFSETS_RX, ringSize).asConsumer() : null;
            XskRing txRing = tx ? new XskRing(maps[3], off, OFFSETS_TX, ringSize) : null;
            MemorySegment sa = a.allocate(SOCKADDR_LENGTH, 8);
            sa.set(ValueLayout.JAVA_SHORT, SOCKADDR_FAMILY, (short) AF_XDP);
            sa.set(ValueLayout.JAVA_INT, SOCKADDR_IFINDEX, ifIndex);
            sa.set(ValueLayout.JAVA_INT, SOCKADDR_QUEUE_ID, queue);
            boolean multiBuffer;
            if (shareWith != null) {
                // A sharing socket inherits the owner's copy/zero-copy, need_wakeup and multi-buffer: no mode flags allowed.
                sa.set(ValueLayout.JAVA_SHORT, SOCKADDR_FLAGS, (short) XDP_SHARED_UMEM);
                sa.set(ValueLayout.JAVA_INT, SOCKADDR_SHARED_UMEM_FD, shareWith.fd);
                bind(fd, sa, "AF_XDP, " + what + ", sharing the UMEM of queue " + shareWith.queue);
                multiBuffer = shareWith.multiBuffer;
            } else {
                // Multi-buffer first (frames larger than a chunk arrive whole, as descriptor chains), then without
                // it where the kernel (before 6.6) or a zero-copy driver has none; zero-copy first unless told.
                int copyMode = XDP_COPY | XDP_USE_NEED_WAKEUP;
                int zeroCopy = XDP_ZEROCOPY | XDP_USE_NEED_WAKEUP;
                int sg = bindFirstOf(fd, sa, what, copy ? new int[] {copyMode | XDP_USE_SG, copyMode}
                        : new int[] {zeroCopy | XDP_USE_SG, zeroCopy, copyMode | XDP_USE_SG, copyMode});
                multiBuffer = (sg & XDP_USE_SG) != 0;
            }
            MemorySegment opts = a.allocate(ValueLayout.JAVA_INT);
            Native.getsockopt(fd, SOL_XDP, XDP_OPTIONS, opts, "XDP_OPTIONS, " + what);
            boolean zeroCopy = (opts.get(ValueLayout.JAVA_INT, 0) & XDP_OPTIONS_ZEROCOPY) != 0;
            return new XskSocket(what, fd, queue, umem, own, fillRing, completionRing, rxRing, txRing, zeroCopy, multiBuffer);
        } catch (LinuxException | RuntimeException e) {
            for (MemorySegment m : maps) {
                if (m != null) {
                    Native.munmap(m);
                }
            }
            Native.close(fd);
            throw e;
        }
    }

    /**
     * Binds with the first of {@code choices} (flag sets, best first) the kernel takes: a set the
     * kernel or driver does not support (EOPNOTSUPP, EINVAL) moves on to the next; any other error,
     * or the last set's, is thrown. Returns the flags bound with.
     */
    private static int bindFirstOf(int fd, MemorySegment sa, String what, int[] choices) throws LinuxException {
        for (int i = 0; ; i++) {
            int flags = choices[i];
            sa.set(ValueLayout.JAVA_SHORT, SOCKADDR_FLAGS, (short) flags);
            try {
                bind(fd, sa, "AF_XDP, " + what + ((flags & XDP_ZEROCOPY) != 0 ? ", zero-copy" : "")
                        + ((flags & XDP_USE_SG) != 0 ? ", multi-buffer" : ""));
                return flags;
            } catch (LinuxException e) {
                if (i == choices.length - 1 || (e.errno() != Errno.EOPNOTSUPP && e.errno() != Errno.EINVAL)) {
                    throw e;
                }
            }
        }
    }

    /**
     * bind(2), retried for up to half a second on EBUSY: a socket closed a moment ago (by us or
     * by a process that just exited) holds its queue until the kernel's deferred release runs.
     */
    private static void bind(int fd, MemorySegment sa, String what) throws LinuxException {
        long end = System.nanoTime() + 500_000_000L;
        while (true) {
            try {
                Native.bind(fd, sa, what);
                return;
            } catch (LinuxException e) {
                if (e.errno() != Errno.EBUSY || System.nanoTime() > end) {
                    throw e;
                }
                try {
                    Thread.sleep(10);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    /** Puts chunks {@code 0..count-1} on the fill ring (own-UMEM sockets). */
    private void lend(int count) {
        int n = fill.reserve(count);
        int p = fill.producerIndex();
        for (int i = 0; i < n; i++) {
            fill.setAddress(p + i, (long) i * umem.chunkSize());
        }
        fill.submit(n);
    }

    public int fd() {
        return fd;
    }

    public int queue() {
        return queue;
    }

    public Umem umem() {
        return umem;
    }

    public boolean zeroCopy() {
        return zeroCopy;
    }

    /** Whether frames larger than a chunk come and go as descriptor chains (XDP_USE_SG). */
    public boolean multiBuffer() {
        return multiBuffer;
    }

    public long received() {
        return received;
    }

    public long wakeups() {
        return wakeups;
    }

    /**
     * Reads every frame on the RX ring, hands each to {@code handler} in place, then gives the
     * frames back to the kernel through the fill ring (waking it when it asked). Returns the count.
     */
    public int receive(FrameHandler handler) {
        int n = fill.reserve(rx.peek(rx.size)); // what is taken goes back: never more than the fill ring has room for
        if (n == 0) {
            wakeFillIfAsked();
            return 0;
        }
        int cons = rx.consumerIndex();
        int p = fill.producerIndex();
        long chunk = umem.chunkSize();
        MemorySegment memory = umem.memory();
        for (int i = 0; i < n; i++) {
            long addr = rx.descAddress(cons + i);
            handler.frame(memory, addr, rx.descLength(cons + i));
            // The frame goes back to the kernel: its chunk base, whatever headroom the kernel used.
            fill.setAddress(p + i, addr - addr % chunk);
        }
        rx.release(n);
        fill.submit(n);
        received += n;
        wakeFillIfAsked();
        return n;
    }

    /** When the kernel set need_wakeup on the fill ring: a recvfrom to get it receiving again. */
    void wakeFillIfAsked() {
        if (fill.needsWakeup()) {
            wakeups++;
            Native.wake(fd, MSG_DONTWAIT);
        }
    }

    /** sendto(MSG_DONTWAIT): makes the kernel transmit what is on the TX ring. Returns 0 or -errno. */
    int kick() {
        return Native.kick(fd, MSG_DONTWAIT);
    }

    /**
     * Adds the kernel's counters for this socket (XDP_STATISTICS) into {@code into}, in the order
     * of {@link XdpDescriptor#STATISTICS_NAMES}. A failure leaves {@code into} as it was.
     */
    public void addStatistics(long[] into) {
        try {
            Native.getsockopt(fd, SOL_XDP, XDP_STATISTICS, statistics, "XDP_STATISTICS, " + name);
        } catch (LinuxException e) {
            return;
        }
        for (int i = 0; i < STATISTICS_NAMES.length; i++) {
            into[i] += statistics.get(ValueLayout.JAVA_LONG, 8L * i);
        }
    }

    @Override
    public void close() {
        Native.close(fd);
        Native.munmap(fill.mapping);
        Native.munmap(completion.mapping);
        if (rx != null) {
            Native.munmap(rx.mapping);
        }
        if (tx != null) {
            Native.munmap(tx.mapping);
        }
        if (ownUmem != null) {
            ownUmem.close();
        }
    }

    @Override
    public String toString() {
        return "AF_XDP " + name + (zeroCopy ? " (zero-copy)" : " (copy)");
    }
}
