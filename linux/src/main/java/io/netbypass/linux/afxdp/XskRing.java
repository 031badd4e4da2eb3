package io.netbypass.linux.afxdp;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * One mmapped AF_XDP ring: free-running u32 producer and consumer shared with the kernel, a
 * flags word (need_wakeup) and {@code size} entries (a power of two): u64 addresses on the fill
 * and completion rings, {@code struct xdp_desc} on RX and TX. The side we produce on publishes
 * with release and reads the other side with acquire; the same for consuming.
 */
final class XskRing {
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();

    final MemorySegment mapping;
    private final long producer;
    private final long consumer;
    private final long flags;
    final long desc;
    final int size;
    final int mask;
    /** Our cached copy of our own side's index. */
    int cached;

    XskRing(MemorySegment mapping, MemorySegment offsets, long at, int size) {
        this.mapping = mapping;
        this.producer = offsets.get(ValueLayout.JAVA_LONG, at + XdpDescriptor.RING_PRODUCER);
        this.consumer = offsets.get(ValueLayout.JAVA_LONG, at + XdpDescriptor.RING_CONSUMER);
        this.desc = offsets.get(ValueLayout.JAVA_LONG, at + XdpDescriptor.RING_DESC);
        this.flags = offsets.get(ValueLayout.JAVA_LONG, at + XdpDescriptor.RING_FLAGS);
        this.size = size;
        this.mask = size - 1;
    }

    int producerAcquire() {
        return (int) INT.getAcquire(mapping, producer);
    }

    void producerRelease(int value) {
        INT.setRelease(mapping, producer, value);
    }

    int consumerAcquire() {
        return (int) INT.getAcquire(mapping, consumer);
    }

    void consumerRelease(int value) {
        INT.setRelease(mapping, consumer, value);
    }

    boolean needsWakeup() {
        return ((int) INT.getAcquire(mapping, flags) & XdpDescriptor.XDP_RING_NEED_WAKEUP) != 0;
    }

    // fill / completion entries
    void setAddress(int index, long address) {
        mapping.set(ValueLayout.JAVA_LONG, desc + (long) (index & mask) * 8, address);
    }

    long address(int index) {
        return mapping.get(ValueLayout.JAVA_LONG, desc + (long) (index & mask) * 8);
    }

    // RX / TX descriptors
    long descAddress(int index) {
        return mapping.get(ValueLayout.JAVA_LONG, desc + (long) (index & mask) * XdpDescriptor.DESC_LENGTH + XdpDescriptor.DESC_ADDR);
    }

    int descLength(int index) {
        return mapping.get(ValueLayout.JAVA_INT, desc + (long) (index & mask) * XdpDescriptor.DESC_LENGTH + XdpDescriptor.DESC_LEN);
    }

    int descOptions(int index) {
        return mapping.get(ValueLayout.JAVA_INT, desc + (long) (index & mask) * XdpDescriptor.DESC_LENGTH + XdpDescriptor.DESC_OPTIONS);
    }

    void setDesc(int index, long address, int length) {
        setDesc(index, address, length, 0);
    }

    void setDesc(int index, long address, int length, int options) {
        long d = desc + (long) (index & mask) * XdpDescriptor.DESC_LENGTH;
        mapping.set(ValueLayout.JAVA_LONG, d + XdpDescriptor.DESC_ADDR, address);
        mapping.set(ValueLayout.JAVA_INT, d + XdpDescriptor.DESC_LEN, length);
        mapping.set(ValueLayout.JAVA_INT, d + XdpDescriptor.DESC_OPTIONS, options);
    }
}
