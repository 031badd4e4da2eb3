package io.netbypass.port;

/**
 * The device side of one ring, netmap's {@code nm_sync} for one kring: what a backend writes,
 * the rest of a sync being {@link RingPort}'s. It is called after the prologue with the
 * application's {@code head}, already checked against {@link KernelRing#hwcur()} and
 * {@link KernelRing#hwtail()}; it takes back the slots {@code [hwcur, head)} (RX: their buffers go
 * back to the device, those marked {@link Ring#SLOT_FORWARD} to the host path; TX: they are sent)
 * and records how far it got with {@link KernelRing#consumed}, then exposes what is new with
 * {@link KernelRing#publishTail} (RX: received frames; TX: slots free again). It never allocates,
 * blocks or throws on the hot path.
 */
@FunctionalInterface
public interface RingSync {
    void sync(KernelRing ring, int head);
}
