package io.netbypass.linux.afpacket;

import io.netbypass.backend.PortOptions;
import io.netbypass.backend.Ports;
import io.netbypass.linux.Errno;
import io.netbypass.linux.LinuxException;
import io.netbypass.linux.PollIdleStrategy;
import io.netbypass.port.BufferPool;
import io.netbypass.port.KernelRing;
import io.netbypass.port.PortException;
import io.netbypass.port.PortName;
import io.netbypass.port.Ring;
import io.netbypass.port.RingPort;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ObjLongConsumer;

import org.agrona.concurrent.IdleStrategy;

import static io.netbypass.linux.afpacket.PacketDescriptor.*;

/**
 * An {@code afpacket:} port: netmap rings over AF_PACKET sockets, for capture and for traffic
 * generation where AF_XDP is not available. AF_PACKET sees copies: the kernel keeps receiving
 * every frame, so nothing is taken away from it, and a drop verdict drops only our copy.
 *
 * <ul>
 *   <li>{@code afpacket:IF}: RX and TX; {@code /R} receive only, {@code /T} transmit only.</li>
 *   <li>{@code @conf:rings=N,fanout=hash|cpu|qm|lb|rnd}: N sockets in one fanout group, ring i
 *       on socket i ({@code qm}: by the frame's RX queue, so ring i gets queue i of N).</li>
 * </ul>
 *
 * <p>RX: each socket has a TPACKET_V3 ring; a sync copies frames from the kernel's blocks into
 * free slots (a frame longer than a buffer spans slots with {@link Ring#MOREFRAG}; a VLAN tag
 * the kernel took off is put back) and gives each finished block back. TX: a sync sends the
 * submitted slots with one sendmmsg per ring (the kernel copies them); what the device refuses
 * for a full queue stays submitted for the next sync.
 */
public final class AfPacketPort extends RingPort {
    public static final int DEFAULT_SLOTS = 1024;
    /** 16 MiB of ring per socket, in blocks large enough for a 64 KiB GRO frame. */
    public static final int BLOCK_SIZE = 256 << 10;
    public static final int BLOCKS = 64;
    /**
     * A block is handed over after this long even when not full: the latency at low rates, and
     * (times {@link #BLOCKS}) how long a slow reader may pause there before frames are dropped.
     */
    public static final int RETIRE_MILLIS = 4;
    private static final int MAX_BATCH = 1024; // UIO_MAXIOV messages per sendmmsg

    private final BufferPool pool;
    private final MemorySegment memory;
    private final long memoryAddress;
    private final int bufferSize;
    private final Arena arena = Arena.ofShared();
    private final List<PacketSocket> sockets = new ArrayList<>();
    private PacketSocket[] rxSocket = new PacketSocket[0];
    private PacketSocket[] txSocket = new PacketSocket[0];
    /** Per RX ring and slot: the last valid buffer the slot had, for a slot the application broke. */
    private int[][] rxLastBuffers = new int[0][];
    private MemorySegment[] txMessages = new MemorySegment[0];
    private MemorySegment[] txVectors = new MemorySegment[0];
    /** Per TX ring and message of a batch: the slot after the message's last slot. */
    private int[][] txMessageEnd = new int[0][];
    private String fanout;
    private int fanoutGroup = -1;

    private long oversize;
    private long truncated;
    private long txBusy;
    private long txErrors;

    private AfPacketPort(PortName name, BufferPool pool) {
        super(name, pool);
        this.pool = pool;
        this.memory = pool.memory();
        this.memoryAddress = memory.address();
        this.bufferSize = pool.bufferSize();
    }

    /** Opens the port in the calling thread's network namespace; errors are one-line {@link PortException}s. */
    public static AfPacketPort open(PortName name, PortOptions options) {
        return open(name, options, NOT_A_MEMBER);
    }

    /** {@link #open(PortName, PortOptions, int)}: a port of its own, not a member of another port's fanout group. */
    public static final int NOT_A_MEMBER = -2;
    /** {@link #open(PortName, PortOptions, int)}: the first member of a new fanout group. */
    public static final int NEW_GROUP = -1;

    /**
     * Opens the port as a member of fanout group {@code group} (another port's {@link #fanoutGroup()}),
     * the first member of a new one ({@link #NEW_GROUP}), or not as a member ({@link #NOT_A_MEMBER}):
     * members share the interface's traffic, each frame to one of them (by flow hash unless the name's
     * {@code @conf:fanout} says otherwise), so that each can be read by a worker of its own.
     */
    public static AfPacketPort open(PortName name, PortOptions options, int group) {
        switch (name.register()) {
            case ALL_NIC -> { }
            case ONE_NIC -> throw new PortException(name + ": AF_PACKET sees the whole interface, not one queue; split"
                    + " by queue with afpacket:" + name.device() + "@conf:rings=N,fanout=qm, or take the queue with xdp:"
                    + name.device() + "-" + name.ring() + "/R");
            case SW, ONE_SW, NIC_SW -> throw new PortException(name + ": an afpacket: port has no host rings: the kernel"
                    + " keeps every frame it sees anyway");
            default -> throw new PortException(name + ": afpacket: ports have no pipes");
        }
        if (!options.steering().isEmpty()) {
            throw new PortException(name + ": flow steering rules select what an xdp: port takes from the kernel;"
                    + " an afpacket: port takes nothing");
        }
        boolean wantRx = !name.txOnly() && options.direction() != Ports.Direction.TRANSMIT;
        boolean wantTx = !name.rxOnly() && options.direction() != Ports.Direction.RECEIVE;
        if (!wantRx && !wantTx) {
            throw new PortException(name + ": this port " + (name.rxOnly() ? "only receives" : "only transmits")
                    + ", which is not what it is opened for");
        }
        PortName.PortConfig conf = name.config();
        if (conf.hostRings() != 0 || conf.xdpMode() != null) {
            throw new PortException(name + ": afpacket: ports take @conf: rings, slots and fanout only");
        }
        int rings = Math.max(conf.rxRings(), conf.txRings());
        if (rings == 0) {
            rings = 1;
        }
        if (conf.rxRings() != 0 && conf.txRings() != 0 && conf.rxRings() != conf.txRings()) {
            throw new PortException(name + ": an afpacket: port has one socket per ring: rx-rings and tx-rings must agree");
        }
        if (rings > 64) {
            throw new PortException(name + ": at most 64 rings (fanout group members), not " + rings);
        }
        String fanout = conf.fanout();
        if (fanout == null && (rings > 1 || group != NOT_A_MEMBER) && wantRx) {
            fanout = "hash";
        }
        int rxSlots = conf.rxSlots() == 0 ? DEFAULT_SLOTS : conf.rxSlots();
        int txSlots = conf.txSlots() == 0 ? DEFAULT_SLOTS : conf.txSlots();
        if (rxSlots < 64 || txSlots < 64) {
            throw new PortException(name + ": an afpacket: ring has at least 64 slots");
        }
        long buffers = BufferPool.FIRST_BUFFER + (long) rings * ((wantRx ? rxSlots : 0) + (wantTx ? txSlots : 0));
        AfPacketPort port = new AfPacketPort(name, new BufferPool((int) buffers, BufferPool.DEFAULT_BUFFER_SIZE));
        port.fanout = wantRx ? fanout : null;
        port.fanoutGroup = group >= 0 ? group : -1;
        try {
            port.bind(rings, wantRx, wantTx, rxSlots, txSlots);
        } catch (LinuxException e) {
            port.close();
            throw new PortException(name + ": " + (e.errno() == Errno.ENODEV ? "no such network interface: " + name.device()
                    : PacketSocket.explain(e)));
        } catch (RuntimeException e) {
            port.close();
            throw e instanceof PortException ? e : new PortException(name + ": " + e.getMessage());
        }
        return port;
    }

    /** The fanout group its sockets joined, or -1 without one. */
    public int fanoutGroup() {
        return fanout == null ? -1 : fanoutGroup;
    }

    private static int fanoutMode(String mode) {
        return switch (mode) {
            case "hash" -> PACKET_FANOUT_HASH;
            case "cpu" -> PACKET_FANOUT_CPU;
            case "qm" -> PACKET_FANOUT_QM;
            case "lb" -> PACKET_FANOUT_LB;
            case "rnd" -> PACKET_FANOUT_RND;
            default -> throw new IllegalArgumentException("fanout " + mode);
        };
    }

    private void bind(int rings, boolean wantRx, boolean wantTx, int rxSlots, int txSlots) throws LinuxException {
        // One socket per ring, RX and TX ring i on socket i.
        rxSocket = new PacketSocket[wantRx ? rings : 0];
        rxLastBuffers = new int[wantRx ? rings : 0][];
        txSocket = new PacketSocket[wantTx ? rings : 0];
        txMessages = new MemorySegment[wantTx ? rings : 0];
        txVectors = new MemorySegment[wantTx ? rings : 0];
        txMessageEnd = new int[wantTx ? rings : 0][];
        for (int i = 0; i < rings; i++) {
            PacketSocket s = PacketSocket.open(name().device(), wantRx ? BLOCKS : 0, BLOCK_SIZE, RETIRE_MILLIS);
            sockets.add(s);
            if (fanout != null) {
                fanoutGroup = s.joinFanout(fanoutGroup, fanoutMode(fanout));
            }
            int r = i;
            if (wantRx) {
                rxSocket[r] = s;
                Ring ring = Ring.allocate(arena, Ring.Kind.RX, i, rxSlots, pool);
                rxLastBuffers[r] = slotBuffers(ring);
                addRx(ring, (k, head) -> rxSync(r, k, head));
            }
            if (wantTx) {
                txSocket[r] = s;
                txMessages[r] = arena.allocate((long) MAX_BATCH * MMSGHDR_LENGTH, 8);
                txVectors[r] = arena.allocate((long) (txSlots + Ring.MAX_FRAGMENTS) * IOVEC_LENGTH, 8);
                txMessageEnd[r] = new int[MAX_BATCH];
                addTx(Ring.allocate(arena, Ring.Kind.TX, i, txSlots, pool), (k, head) -> txSync(r, k, head));
            }
        }
    }

    @Override
    public IdleStrategy waitStrategy() {
        int[] fds = pollDescriptors();
        return fds == null ? null : new PollIdleStrategy(fds, 16, PollIdleStrategy.IDLE_TIMEOUT_MILLIS);
    }

    @Override
    public int[] pollDescriptors() {
        if (rxSocket.length == 0) {
            return null;
        }
        int[] fds = new int[rxSocket.length];
        for (int i = 0; i < fds.length; i++) {
            fds[i] = rxSocket[i].fd;
        }
        return fds;
    }

    @Override
    public boolean receivesCopies() {
        return rxSocket.length > 0;
    }

    /** One line for the operator: sockets, fanout, and that the kernel keeps its own copy. */
    @Override
    public String description() {
        int n = sockets.size();
        return "AF_PACKET on " + name().device() + ": " + n + " socket" + (n == 1 ? "" : "s")
                + (rxSocket.length == 0 ? ", transmit only" : ", TPACKET_V3 RX ring " + BLOCKS + " x " + (BLOCK_SIZE >> 10) + " KiB")
                + (fanout == null ? "" : ", fanout " + fanout + " group " + fanoutGroup)
                + (rxSocket.length == 0 ? "" : "; the kernel still receives every frame (AF_PACKET sees copies)");
    }

    private void rxSync(int r, KernelRing k, int head) {
        Ring ring = k.ring();
        // Released slots keep their buffers (a frame here is a copy: forwarding it means nothing).
        releaseKeepingBuffers(k, head, rxLastBuffers[r]);

        PacketSocket s = rxSocket[r];
        MemorySegment blocks = s.ring();
        int room = k.distance(k.hwtail(), head == 0 ? ring.slots() - 1 : head - 1);
        int j = k.hwtail();
        long frame;
        while (room > 0 && (frame = s.peek()) >= 0) {
            int snap = blocks.get(ValueLayout.JAVA_INT, frame + PKT_SNAPLEN);
            int wire = blocks.get(ValueLayout.JAVA_INT, frame + PKT_LEN);
            int status = blocks.get(ValueLayout.JAVA_INT, frame + PKT_STATUS);
            long mac = frame + (blocks.get(ValueLayout.JAVA_SHORT, frame + PKT_MAC) & 0xffff);
            boolean vlan = (status & TP_STATUS_VLAN_VALID) != 0 && snap >= 12;
            int length = snap + (vlan ? 4 : 0);
            int need = (length + bufferSize - 1) / bufferSize;
            if (need == 0 || need > Ring.MAX_FRAGMENTS) {
                oversize++;
                s.next();
                continue;
            }
            if (need > room) {
                break; // the rest of a long frame's slots are not free yet: it waits for the next sync
            }
            if (snap < wire) {
                truncated++;
            }
            int written = 0; // bytes of the frame (tag included) placed so far
            long src = mac;
            for (int f = 0; f < need; f++) {
                long dst = ring.offset(j);
                int part = Math.min(bufferSize, length - written);
                int fill = 0;
                if (vlan && written < 16) {
                    // Put the tag the kernel took off back after the MAC addresses, as it was on the wire.
                    MemorySegment.copy(blocks, mac, memory, dst, 12);
                    int tpid = (status & TP_STATUS_VLAN_TPID_VALID) != 0
                            ? blocks.get(ValueLayout.JAVA_SHORT, frame + PKT_VLAN_TPID) & 0xffff : 0x8100;
                    int tci = blocks.get(ValueLayout.JAVA_INT, frame + PKT_VLAN_TCI) & 0xffff;
                    memory.set(ValueLayout.JAVA_BYTE, dst + 12, (byte) (tpid >>> 8));
                    memory.set(ValueLayout.JAVA_BYTE, dst + 13, (byte) tpid);
                    memory.set(ValueLayout.JAVA_BYTE, dst + 14, (byte) (tci >>> 8));
                    memory.set(ValueLayout.JAVA_BYTE, dst + 15, (byte) tci);
                    fill = 16;
                    src = mac + 12;
                }
                MemorySegment.copy(blocks, src, memory, dst + fill, part - fill);
                src += part - fill;
                written += part;
                ring.setLength(j, part);
                ring.setSlotFlags(j, f + 1 < need ? Ring.MOREFRAG : 0);
                j = ring.next(j);
            }
            room -= need;
            counters().received(1);
            s.next();
        }
        k.publishTail(j);
    }

    private void txSync(int r, KernelRing k, int head) {
        Ring ring = k.ring();
        MemorySegment messages = txMessages[r];
        MemorySegment vectors = txVectors[r];
        int[] ends = txMessageEnd[r];
        int slots = ring.slots();
        int i = k.hwcur();
        boolean more = true;
        while (more && i != head) {
            // One batch: up to MAX_BATCH messages, a message being one slot or a MOREFRAG chain.
            int count = 0;
            int scanned = i;
            while (scanned != head && count < MAX_BATCH) {
                int start = scanned;
                int frags = 0;
                boolean bad = false;
                boolean complete = false;
                while (scanned != head && frags < Ring.MAX_FRAGMENTS) {
                    int b = ring.bufferIndex(scanned);
                    int len = ring.length(scanned);
                    int flags = ring.slotFlags(scanned);
                    bad |= !pool.valid(b) || (flags & Ring.INDIRECT) != 0 || len == 0 || len > bufferSize;
                    // A chain's iovecs are contiguous: one that wraps continues past the ring's last iovec.
                    long v = (long) (start + frags) * IOVEC_LENGTH;
                    vectors.set(ValueLayout.JAVA_LONG, v + IOV_BASE, bad ? 0 : memoryAddress + pool.offset(b));
                    vectors.set(ValueLayout.JAVA_LONG, v + IOV_LEN, len);
                    frags++;
                    scanned = scanned + 1 == slots ? 0 : scanned + 1;
                    if ((flags & Ring.MOREFRAG) == 0) {
                        complete = true;
                        break;
                    }
                }
                if (!complete && frags < Ring.MAX_FRAGMENTS) {
                    scanned = start; // the chain's last slot is not submitted yet: it goes with a later sync
                    more = false;
                    break;
                }
                if (bad || !complete) {
                    counters().badSlots(frags); // a broken slot, or a chain longer than a packet may be
                    if (count == 0) {
                        i = scanned;
                        continue;
                    }
                    scanned = start; // send what came before; the bad frame is met first next time round
                    break;
                }
                long m = (long) count * MMSGHDR_LENGTH;
                messages.set(ValueLayout.JAVA_LONG, m + MSG_IOV, vectors.address() + (long) start * IOVEC_LENGTH);
                messages.set(ValueLayout.JAVA_LONG, m + MSG_IOVLEN, frags);
                ends[count++] = scanned;
            }
            if (count == 0) {
                continue;
            }
            int sent = txSocket[r].send(messages, count);
            if (sent > 0) {
                counters().transmitted(sent);
                i = ends[sent - 1];
                if (sent < count) {
                    txBusy++;
                    more = false;
                }
            } else if (sent == -Errno.EAGAIN || sent == -Errno.ENOBUFS || sent == -Errno.EINTR) {
                txBusy++; // the device queue is full: the frames stay submitted for the next sync
                more = false;
            } else {
                txErrors++; // this frame cannot be sent (longer than the MTU, device down): drop it, go on
                i = ends[0];
            }
        }
        for (int x = k.hwcur(); x != i; x = x + 1 == slots ? 0 : x + 1) {
            ring.setSlotFlags(x, 0);
        }
        k.consumed(i);
        k.publishTail(i == 0 ? slots - 1 : i - 1);
    }

    @Override
    protected void deviceStatistics(ObjLongConsumer<String> sink) {
        sink.accept("oversize", oversize);
        sink.accept("truncated", truncated);
        sink.accept("tx_busy", txBusy);
        sink.accept("tx_errors", txErrors);
        long[] kernel = new long[PacketSocket.STATISTICS_NAMES.length];
        for (PacketSocket s : sockets) {
            s.addStatistics(kernel);
        }
        for (int i = 0; i < kernel.length; i++) {
            sink.accept(PacketSocket.STATISTICS_NAMES[i], kernel[i]);
        }
    }

    /** Sends what the TX rings hold (trying for up to 100 ms while the device is busy), then closes the sockets. */
    @Override
    protected void release() {
        long end = System.nanoTime() + 100_000_000L;
        while (pendingTx() && System.nanoTime() < end) {
            txSync();
            Thread.onSpinWait();
        }
        for (PacketSocket s : sockets) {
            s.close();
        }
        arena.close();
        pool.close();
    }

    private boolean pendingTx() {
        for (int r = 0; r < txRings(); r++) {
            KernelRing k = txKernel(r);
            int head = k.ring().head();
            if (head != k.hwcur() && head >= 0 && head < k.ring().slots()) {
                return true;
            }
        }
        return false;
    }
}
