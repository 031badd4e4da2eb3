package io.netbypass.linux.afpacket;

import io.netbypass.linux.Errno;
import io.netbypass.linux.LinuxException;
import io.netbypass.linux.Native;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

import static io.netbypass.linux.afpacket.PacketDescriptor.*;

/**
 * One AF_PACKET socket bound to an interface: a TPACKET_V3 RX ring (blocks the kernel fills
 * with frames and hands over whole, {@code block_status} going from KERNEL to USER and back)
 * and/or a transmit path through sendmmsg(2). Receiving sockets ignore the interface's
 * outgoing frames and may join a fanout group. Single-threaded.
 */
final class PacketSocket implements AutoCloseable {
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();

    final String what;
    final int fd;
    private final MemorySegment ring;
    private final int blockSize;
    private final int blocks;
    /** The block being read, and where in it: packets left, offset of the next one. */
    private int block;
    private int packetsLeft;
    private long packetOffset;
    private long kernelPackets;
    private long kernelDrops;
    private long freezes;
    private final MemorySegment statistics;
    private boolean closed;

    private PacketSocket(String what, int fd, MemorySegment ring, int blockSize, int blocks) {
        this.what = what;
        this.fd = fd;
        this.ring = ring;
        this.blockSize = blockSize;
        this.blocks = blocks;
        this.statistics = Arena.ofAuto().allocate(STATS_LENGTH, 4);
    }

    /**
     * Opens a socket on {@code ifName} in the calling thread's network namespace: with an RX ring
     * of {@code blocks} blocks of {@code blockSize} bytes when {@code blocks > 0} (a block is
     * handed over when full or after {@code retireMillis}), transmit only when {@code blocks == 0}.
     */
    static PacketSocket open(String ifName, int blocks, int blockSize, int retireMillis) throws LinuxException {
        boolean rx = blocks > 0;
        String what = "AF_PACKET, " + ifName;
        int ifIndex = Native.ifIndex(ifName);
        // Protocol 0 until bind: no frame is queued before the ring exists; a transmit-only socket stays at 0.
        int fd = Native.socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0, what);
        MemorySegment mapping = null;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment one = a.allocate(ValueLayout.JAVA_INT);
            one.set(ValueLayout.JAVA_INT, 0, 1);
            // Frames we send skip the qdisc layer, as AF_XDP's do; the device's queue still applies.
            Native.setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, one, "PACKET_QDISC_BYPASS, " + what);
            if (rx) {
                MemorySegment version = a.allocate(ValueLayout.JAVA_INT);
                version.set(ValueLayout.JAVA_INT, 0, TPACKET_V3);
                Native.setsockopt(fd, SOL_PACKET, PACKET_VERSION, version, "PACKET_VERSION TPACKET_V3, " + what);
                Native.setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, one, "PACKET_IGNORE_OUTGOING, " + what);
                MemorySegment req = a.allocate(REQ3_LENGTH, 4);
                int frameSize = 2048;
                req.set(ValueLayout.JAVA_INT, REQ3_BLOCK_SIZE, blockSize);
                req.set(ValueLayout.JAVA_INT, REQ3_BLOCK_NR, blocks);
                req.set(ValueLayout.JAVA_INT, REQ3_FRAME_SIZE, frameSize);
                req.set(ValueLayout.JAVA_INT, REQ3_FRAME_NR, blockSize / frameSize * blocks);
                req.set(ValueLayout.JAVA_INT, REQ3_RETIRE_BLK_TOV, retireMillis);
                req.set(ValueLayout.JAVA_INT, REQ3_SIZEOF_PRIV, 0);
                req.set(ValueLayout.JAVA_INT, REQ3_FEATURE_REQ_WORD, 0);
                Native.setsockopt(fd, SOL_PACKET, PACKET_RX_RING, req, "PACKET_RX_RING " + blocks + " x " + blockSize + ", " + what);
                mapping = Native.mmap((long) blocks * blockSize, Native.PROT_READ | Native.PROT_WRITE,
                        Native.MAP_SHARED | Native.MAP_POPULATE, fd, 0, "RX ring of " + what);
            }
            MemorySegment sll = a.allocate(SOCKADDR_LL_LENGTH, 4);
            sll.set(ValueLayout.JAVA_SHORT, SLL_FAMILY, (short) AF_PACKET);
            sll.set(ValueLayout.JAVA_SHORT, SLL_PROTOCOL, rx ? Short.reverseBytes((short) ETH_P_ALL) : 0);
            sll.set(ValueLayout.JAVA_INT, SLL_IFINDEX, ifIndex);
            Native.bind(fd, sll, what);
            return new PacketSocket(what, fd, mapping, blockSize, rx ? blocks : 0);
        } catch (LinuxException | RuntimeException e) {
            if (mapping != null) {
                Native.munmap(mapping);
            }
            Native.close(fd);
            throw e;
        }
    }

    /**
     * Joins fanout group {@code group} with {@code mode} (PACKET_FANOUT_*); {@code group < 0}
     * asks the kernel for an unused group id. Returns the group's id.
     */
    int joinFanout(int group, int mode) throws LinuxException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment arg = a.allocate(ValueLayout.JAVA_INT);
            int uniqueId = 0x2000; // PACKET_FANOUT_FLAG_UNIQUEID
            arg.set(ValueLayout.JAVA_INT, 0, group < 0 ? (mode | uniqueId) << 16 : (mode << 16) | group);
            Native.setsockopt(fd, SOL_PACKET, PACKET_FANOUT, arg, "PACKET_FANOUT, " + what);
            if (group >= 0) {
                return group;
            }
            Native.getsockopt(fd, SOL_PACKET, PACKET_FANOUT, arg, "PACKET_FANOUT, " + what);
            return arg.get(ValueLayout.JAVA_INT, 0) & 0xffff;
        }
    }

    /** The ring's memory: frame bytes are read from here. */
    MemorySegment ring() {
        return ring;
    }

    /**
     * The offset of the next received frame's {@code tpacket3_hdr}, or -1 when the kernel has
     * handed over nothing new. Call {@link #next()} after taking the frame.
     */
    long peek() {
        if (packetsLeft == 0) {
            long b = (long) block * blockSize;
            while (true) {
                if (((int) INT.getAcquire(ring, b + BLOCK_STATUS) & TP_STATUS_USER) == 0) {
                    return -1;
                }
                int n = ring.get(ValueLayout.JAVA_INT, b + BLOCK_NUM_PKTS);
                if (n > 0) {
                    packetsLeft = n;
                    packetOffset = b + ring.get(ValueLayout.JAVA_INT, b + BLOCK_OFFSET_TO_FIRST_PKT);
                    break;
                }
                releaseBlock(); // an empty block retired by the timer
                b = (long) block * blockSize;
            }
        }
        return packetOffset;
    }

    /** Moves past the frame {@link #peek()} returned; a finished block goes back to the kernel at once. */
    void next() {
        int step = ring.get(ValueLayout.JAVA_INT, packetOffset + PKT_NEXT_OFFSET);
        if (--packetsLeft == 0) {
            releaseBlock();
        } else {
            packetOffset += step;
        }
    }

    private void releaseBlock() {
        INT.setRelease(ring, (long) block * blockSize + BLOCK_STATUS, TP_STATUS_KERNEL);
        block = block + 1 == blocks ? 0 : block + 1;
    }

    /**
     * Sends {@code count} prepared {@code struct mmsghdr}s without blocking: how many the kernel
     * took, or -errno (EAGAIN and ENOBUFS when the device queue is full).
     */
    int send(MemorySegment messages, int count) {
        return Native.sendmmsg(fd, messages, count, MSG_DONTWAIT);
    }

    /** Adds the kernel's counts since the last call (reading them resets them) to ours. */
    private synchronized void pollStatistics() {
        if (ring == null || closed) {
            return;
        }
        try {
            Native.getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, statistics, "PACKET_STATISTICS, " + what);
            kernelPackets += Integer.toUnsignedLong(statistics.get(ValueLayout.JAVA_INT, STATS_PACKETS));
            kernelDrops += Integer.toUnsignedLong(statistics.get(ValueLayout.JAVA_INT, STATS_DROPS));
            freezes += Integer.toUnsignedLong(statistics.get(ValueLayout.JAVA_INT, STATS_FREEZE_Q_CNT));
        } catch (LinuxException e) {
            // a closed socket: the counts stay as last read
        }
    }

    /** Adds this socket's kernel counters to {@code into}: frames seen (delivered + dropped), dropped for a full ring, ring freezes. */
    void addStatistics(long[] into) {
        pollStatistics();
        into[0] += kernelPackets;
        into[1] += kernelDrops;
        into[2] += freezes;
    }

    static final String[] STATISTICS_NAMES = {"packet_rx_seen", "packet_rx_ring_full_drops", "packet_rx_ring_freezes"};

    @Override
    public void close() {
        pollStatistics();
        synchronized (this) {
            closed = true;
        }
        if (ring != null) {
            Native.munmap(ring);
        }
        Native.close(fd);
    }

    /** A one-line reason for a failed open, with what the operator can do. */
    static String explain(LinuxException e) {
        if (e.errno() == Errno.EPERM || e.errno() == Errno.EACCES) {
            return e.getMessage() + "; AF_PACKET needs root (CAP_NET_RAW)";
        }
        return e.getMessage();
    }
}
