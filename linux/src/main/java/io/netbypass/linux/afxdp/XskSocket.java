package io.netbypass.linux.afxdp;

import io.netbypass.linux.Errno;
import io.netbypass.linux.LinuxException;
import io.netbypass.linux.Native;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static io.netbypass.linux.afxdp.XdpDescriptor.*;

/**
 * One AF_XDP socket bound to one RX queue, with its own UMEM: frames of {@code frameSize} bytes
 * in an anonymous mapping, half of them lent to the kernel through the fill ring for receiving.
 * The kernel writes received frames into UMEM and posts {@code (addr, len)} on the RX ring; the
 * application reads them in place and gives the frames back through the fill ring.
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
    private final int frameSize;
    private final MemorySegment umem;
    private final XskRing fill;
    private final XskRing completion;
    private final XskRing rx;
    private final XskRing tx;
    private final boolean zeroCopy;
    private long received;
    private long wakeups;

    private XskSocket(String name, int fd, int queue, int frameSize, MemorySegment umem, XskRing fill, XskRing completion,
                      XskRing rx, XskRing tx, boolean zeroCopy) {
        this.name = name;
        this.fd = fd;
        this.queue = queue;
        this.frameSize = frameSize;
        this.umem = umem;
        this.fill = fill;
        this.completion = completion;
        this.rx = rx;
        this.tx = tx;
        this.zeroCopy = zeroCopy;
    }

    /**
     * Opens a socket on {@code ifName} queue {@code queue} (in the calling thread's network
     * namespace). {@code frames} and {@code ringSize} must be powers of two, frameSize 2048 or 4096.
     */
    public static XskSocket open(String ifName, int queue, int frames, int frameSize, int ringSize) throws LinuxException {
        if (Integer.bitCount(frames) != 1 || Integer.bitCount(ringSize) != 1 || (frameSize != 2048 && frameSize != 4096)) {
            throw new IllegalArgumentException("frames and ring size must be powers of two, frames 2048 or 4096 bytes");
        }
        String what = ifName + " queue " + queue;
        int ifIndex = Native.ifIndex(ifName);
        int fd = Native.socket(AF_XDP, SOCK_RAW, 0, "AF_XDP, " + what);
        MemorySegment umem = null;
        MemorySegment[] maps = new MemorySegment[4];
        try (Arena a = Arena.ofConfined()) {
            long length = (long) frames * frameSize;
            umem = Native.mmap(length, Native.PROT_READ | Native.PROT_WRITE,
                    Native.MAP_PRIVATE | Native.MAP_ANONYMOUS | Native.MAP_POPULATE, -1, 0, "UMEM for " + what);
            MemorySegment reg = a.allocate(UMEM_REG_LENGTH, 8);
            reg.set(ValueLayout.JAVA_LONG, UMEM_REG_ADDR, umem.address());
            reg.set(ValueLayout.JAVA_LONG, UMEM_REG_LEN, length);
            reg.set(ValueLayout.JAVA_INT, UMEM_REG_CHUNK_SIZE, frameSize);
            reg.set(ValueLayout.JAVA_INT, UMEM_REG_HEADROOM, 0);
            Native.setsockopt(fd, SOL_XDP, XDP_UMEM_REG, reg, "XDP_UMEM_REG, " + what);
            MemorySegment entries = a.allocate(ValueLayout.JAVA_INT);
            entries.set(ValueLayout.JAVA_INT, 0, ringSize);
            Native.setsockopt(fd, SOL_XDP, XDP_UMEM_FILL_RING, entries, "XDP_UMEM_FILL_RING, " + what);
            Native.setsockopt(fd, SOL_XDP, XDP_UMEM_COMPLETION_RING, entries, "XDP_UMEM_COMPLETION_RING, " + what);
            Native.setsockopt(fd, SOL_XDP, XDP_RX_RING, entries, "XDP_RX_RING, " + what);
            Native.setsockopt(fd, SOL_XDP, XDP_TX_RING, entries, "XDP_TX_RING, " + what);
            MemorySegment off = a.allocate(MMAP_OFFSETS_LENGTH, 8);
            Native.getsockopt(fd, SOL_XDP, XDP_MMAP_OFFSETS, off, "XDP_MMAP_OFFSETS, " + what);
            int shared = Native.MAP_SHARED | Native.MAP_POPULATE;
            int rw = Native.PROT_READ | Native.PROT_WRITE;
            maps[0] = Native.mmap(off.get(ValueLayout.JAVA_LONG, OFFSETS_FILL + RING_DESC) + ringSize * 8L, rw, shared, fd,
                    PGOFF_FILL_RING, "fill ring of " + what);
            maps[1] = Native.mmap(off.get(ValueLayout.JAVA_LONG, OFFSETS_COMPLETION + RING_DESC) + ringSize * 8L, rw, shared, fd,
                    PGOFF_COMPLETION_RING, "completion ring of " + what);
            maps[2] = Native.mmap(off.get(ValueLayout.JAVA_LONG, OFFSETS_RX + RING_DESC) + (long) ringSize * DESC_LENGTH, rw,
                    shared, fd, PGOFF_RX_RING, "RX ring of " + what);
            maps[3] = Native.mmap(off.get(ValueLayout.JAVA_LONG, OFFSETS_TX + RING_DESC) + (long) ringSize * DESC_LENGTH, rw,
                    shared, fd, PGOFF_TX_RING, "TX ring of " + what);
            XskRing fill = new XskRing(maps[0], off, OFFSETS_FILL, ringSize);
            XskRing completion = new XskRing(maps[1], off, OFFSETS_COMPLETION, ringSize);
            XskRing rx = new XskRing(maps[2], off, OFFSETS_RX, ringSize);
            XskRing tx = new XskRing(maps[3], off, OFFSETS_TX, ringSize);
            MemorySegment sa = a.allocate(SOCKADDR_LENGTH, 8);
            sa.set(ValueLayout.JAVA_SHORT, SOCKADDR_FAMILY, (short) AF_XDP);
            sa.set(ValueLayout.JAVA_INT, SOCKADDR_IFINDEX, ifIndex);
            sa.set(ValueLayout.JAVA_INT, SOCKADDR_QUEUE_ID, queue);
            boolean zeroCopy = true;
            try {
                sa.set(ValueLayout.JAVA_SHORT, SOCKADDR_FLAGS, (short) (XDP_ZEROCOPY | XDP_USE_NEED_WAKEUP));
                Native.bind(fd, sa, "AF_XDP, " + what + ", zero-copy");
            } catch (LinuxException e) {
                if (e.errno() != Errno.EOPNOTSUPP && e.errno() != Errno.EINVAL) {
                    throw e;
                }
                zeroCopy = false; // the driver copies (veth, generic XDP)
                sa.set(ValueLayout.JAVA_SHORT, SOCKADDR_FLAGS, (short) (XDP_COPY | XDP_USE_NEED_WAKEUP));
                Native.bind(fd, sa, "AF_XDP, " + what);
            }
            XskSocket s = new XskSocket(what, fd, queue, frameSize, umem, fill, completion, rx, tx, zeroCopy);
            s.lend(0, Math.min(frames / 2, ringSize));
            return s;
        } catch (LinuxException | RuntimeException e) {
            for (MemorySegment m : maps) {
                if (m != null) {
                    Native.munmap(m);
                }
            }
            if (umem != null) {
                Native.munmap(umem);
            }
            Native.close(fd);
            throw e;
        }
    }

    /** Puts frames {@code first..first+count} on the fill ring for the kernel to receive into. */
    private void lend(int first, int count) {
        int p = fill.cached;
        for (int i = 0; i < count; i++) {
            fill.mapping.set(ValueLayout.JAVA_LONG, fill.desc + (long) ((p + i) & fill.mask) * 8, (long) (first + i) * frameSize);
        }
        fill.cached = p + count;
        fill.producerRelease(fill.cached);
    }

    public int fd() {
        return fd;
    }

    public int queue() {
        return queue;
    }

    public boolean zeroCopy() {
        return zeroCopy;
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
        int cons = rx.cached;
        int n = rx.producerAcquire() - cons;
        if (n == 0) {
            wakeIfAsked();
            return 0;
        }
        int p = fill.cached;
        for (int i = 0; i < n; i++) {
            long d = rx.desc + (long) ((cons + i) & rx.mask) * DESC_LENGTH;
            long addr = rx.mapping.get(ValueLayout.JAVA_LONG, d + DESC_ADDR);
            int len = rx.mapping.get(ValueLayout.JAVA_INT, d + DESC_LEN);
            handler.frame(umem, addr, len);
            // The frame goes back to the kernel: its chunk base, whatever headroom the kernel used.
            fill.mapping.set(ValueLayout.JAVA_LONG, fill.desc + (long) ((p + i) & fill.mask) * 8, addr - addr % frameSize);
        }
        rx.cached = cons + n;
        rx.consumerRelease(rx.cached);
        fill.cached = p + n;
        fill.producerRelease(fill.cached);
        received += n;
        wakeIfAsked();
        return n;
    }

    private void wakeIfAsked() {
        if (fill.needsWakeup()) {
            wakeups++;
            Native.wake(fd, MSG_DONTWAIT);
        }
    }

    @Override
    public void close() {
        Native.munmap(fill.mapping);
        Native.munmap(completion.mapping);
        Native.munmap(rx.mapping);
        Native.munmap(tx.mapping);
        Native.close(fd);
        Native.munmap(umem);
    }

    @Override
    public String toString() {
        return "AF_XDP " + name + (zeroCopy ? " (zero-copy)" : " (copy)");
    }
}
