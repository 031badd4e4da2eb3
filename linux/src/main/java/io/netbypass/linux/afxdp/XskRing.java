package io.netbypass.linux.afxdp;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * One mmapped AF_XDP ring: free-running u32 producer and consumer shared with the kernel, a
 * flags word (need_wakeup) and {@code size} entries (a power of two): u64 addresses on the fill
 * and completion rings, {@code struct xdp_desc} on RX and TX. As libxdp's {@code xsk_ring_prod} /
 * {@code xsk_ring_cons}: on a ring we produce to (fill, TX) {@link #reserve} entries from
 * {@link #producerIndex()}, write them, {@link #submit} them (a release store); on a ring we
 * consume (RX, completion) {@link #peek} entries from {@link #consumerIndex()}, read them,
 * {@link #release} them. Our own index and our last view of the kernel's are cached here, so the
 * shared words are read (acquire) only when the cache runs out.
 */
final class XskRing {
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();

    /** The mmapped memory (munmapped by the socket on close). */
    final MemorySegment mapping;
    private final long producer;
    private final long consumer;
    private final long flags;
    private final long desc;
    final int size;
    private final int mask;
    /** Our side's index: the next entry we produce, or the next we consume. */
    private int cached;
    /** Producer: the kernel's consumer index plus size (entries we may fill up to); consumer: the kernel's producer index. */
    private int cachedOther;

    XskRing(MemorySegment mapping, MemorySegment offsets, long at, int size) {
        this(mapping, offsets.get(ValueLayout.JAVA_LONG, at + XdpDescriptor.RING_PRODUCER),
                offsets.get(ValueLayout.JAVA_LONG, at + XdpDescriptor.RING_CONSUMER),
                offsets.get(ValueLayout.JAVA_LONG, at + XdpDescriptor.RING_FLAGS),
                offsets.get(ValueLayout.JAVA_LONG, at + XdpDescriptor.RING_DESC), size);
    }

    /** A ring laid out in {@code mapping} at the given offsets (the kernel's, or a test's arena memory). */
    XskRing(MemorySegment mapping, long producer, long consumer, long flags, long desc, int size) {
        this.mapping = mapping;
        this.producer = producer;
        this.consumer = consumer;
        this.flags = flags;
        this.desc = desc;
        this.size = size;
        this.mask = size - 1;
        this.cached = (int) INT.getAcquire(mapping, producer);
        this.cachedOther = (int) INT.getAcquire(mapping, consumer) + size;
    }

    /** Makes a ring we consume from: our index starts at the consumer's, our view of the producer at its value. */
    XskRing asConsumer() {
        cached = (int) INT.getAcquire(mapping, consumer);
        cachedOther = (int) INT.getAcquire(mapping, producer);
        return this;
    }

    // ---- producing (fill, TX) ----

    /** The index of the next entry we produce. */
    int producerIndex() {
        return cached;
    }

    /** How many of {@code n} entries may be produced now (free room; the kernel's index is read only when the cache says less). */
    int reserve(int n) {
        int free = cachedOther - cached;
        if (free < n) {
            cachedOther = (int) INT.getAcquire(mapping, consumer) + size;
            free = cachedOther - cached;
        }
        return Math.min(n, free);
    }

    /** Publishes {@code n} produced entries to the kernel. */
    void submit(int n) {
        cached += n;
        INT.setRelease(mapping, producer, cached);
    }

    /** Entries produced and not yet consumed by the kernel. */
    int outstanding() {
        return cached - (int) INT.getAcquire(mapping, consumer);
    }

    boolean needsWakeup() {
        return ((int) INT.getAcquire(mapping, flags) & XdpDescriptor.XDP_RING_NEED_WAKEUP) != 0;
    }

    // ---- consuming (RX, completion) ----

    /** The index of the next entry we consume. */
    int consumerIndex() {
        return cached;
    }

    /** How many entries, up to {@code n}, are ready to consume. */
    int peek(int n) {
        int ready = cachedOther - cached;
        if (ready < n) {
            cachedOther = (int) INT.getAcquire(mapping, producer);
            ready = cachedOther - cached;
        }
        return Math.min(n, ready);
    }

    /** Gives {@code n} consumed entries back to the kernel. */
    void release(int n) {
        cached += n;
        INT.setRelease(mapping, consumer, cached);
    }

    // ---- entries ----

    /** Fill / completion entry {@code index}: a UMEM address. */
    void setAddress(int index, long address) {
        mapping.set(ValueLayout.JAVA_LONG, desc + (long) (index & mask) * 8, address);
    }

    long address(int index) {
        return mapping.get(ValueLayout.JAVA_LONG, desc + (long) (index & mask) * 8);
    }

    /** RX / TX descriptor {@code index}. */
    long descAddress(int index) {
        return mapping.get(ValueLayout.JAVA_LONG, desc + (long) (index & mask) * XdpDescriptor.DESC_LENGTH + XdpDescriptor.DESC_ADDR);
    }

    int descLength(int index) {
        return mapping.get(ValueLayout.JAVA_INT, desc + (long) (index & mask) * XdpDescriptor.DESC_LENGTH + XdpDescriptor.DESC_LEN);
    }

    int descOptions(int index) {
        return mapping.get(ValueLayout.JAVA_INT, desc + (long) (index & mask) * XdpDescriptor.DESC_LENGTH + XdpDescriptor.DESC_OPTIONS);
    }

    void setDesc(int index, long address, int length, int options) {
        long d = desc + (long) (index & mask) * XdpDescriptor.DESC_LENGTH;
        mapping.set(ValueLayout.JAVA_LONG, d + XdpDescriptor.DESC_ADDR, address);
        mapping.set(ValueLayout.JAVA_INT, d + XdpDescriptor.DESC_LEN, length);
        mapping.set(ValueLayout.JAVA_INT, d + XdpDescriptor.DESC_OPTIONS, options);
    }
}
