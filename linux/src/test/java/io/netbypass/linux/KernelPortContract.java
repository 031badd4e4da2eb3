package io.netbypass.linux;

import io.netbypass.backend.PortOptions;
import io.netbypass.backend.Ports;
import io.netbypass.port.Port;
import io.netbypass.port.PortContract;
import io.netbypass.port.Ring;
import io.netbypass.testing.TestNetwork;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * The ring contract on a kernel backend, between two namespaces of our own on a 1-queue veth
 * pair (or one namespace and a TAP): frames reach the port under test from an {@code afpacket:}
 * port on the other side, and what it sends is seen there by another.
 */
public abstract class KernelPortContract extends PortContract {
    /** The names of the port under test (in {@code under}) and of the interface facing it (in {@code facing}). */
    public record Names(String receiver, String transmitter, String facingInterface) {
    }

    /** Makes the network for one test: the namespaces, and the names to use in them. */
    protected abstract Names names(TestNetwork net) throws Exception;

    /** Whether the facing side is the other namespace (veth) or the same one (a TAP). */
    protected boolean facingInOtherNamespace() {
        return true;
    }

    @Override
    protected Backend backend() throws Exception {
        TestNetwork net = TestNetwork.create(1);
        InNamespace under = new InNamespace(net.nsB);
        InNamespace facing = facingInOtherNamespace() ? new InNamespace(net.nsA) : under;
        Names names = names(net);
        return new Backend() {
            private Port capture;

            @Override
            public Port openReceiver(List<byte[]> frames) throws Exception {
                Port port = under.call(() -> Ports.open(names.receiver(), PortOptions.of(Ports.Direction.RECEIVE)));
                if (!frames.isEmpty()) {
                    facing.call(() -> {
                        try (Port out = Ports.open("afpacket:" + names.facingInterface(), PortOptions.of(Ports.Direction.TRANSMIT))) {
                            Ring ring = out.txRing(0);
                            int i = ring.head();
                            for (byte[] f : frames) {
                                MemorySegment.copy(MemorySegment.ofArray(f), 0, ring.buffers(), ring.offset(i), f.length);
                                ring.setLength(i, f.length);
                                i = ring.next(i);
                            }
                            ring.advance(i);
                            out.txSync();
                        }
                        return null;
                    });
                }
                return port;
            }

            @Override
            public Port openTransmitter() throws Exception {
                Port port = under.call(() -> Ports.open(names.transmitter(), PortOptions.of(Ports.Direction.TRANSMIT)));
                capture = facing.call(() -> Ports.open("afpacket:" + names.facingInterface(), PortOptions.of(Ports.Direction.RECEIVE)));
                return port;
            }

            @Override
            public List<byte[]> sent(Port transmitter, int count) {
                List<byte[]> got = new ArrayList<>();
                long end = System.nanoTime() + 5_000_000_000L;
                while (got.size() < count && System.nanoTime() < end) {
                    capture.rxSync();
                    transmitter.txSync();
                    Ring ring = capture.rxRing(0);
                    for (int i = ring.head(); i != ring.tail(); i = ring.next(i)) {
                        byte[] f = ring.buffers().asSlice(ring.offset(i), ring.length(i)).toArray(ValueLayout.JAVA_BYTE);
                        if (ours(f)) {
                            got.add(f);
                        }
                    }
                    ring.advance(ring.tail());
                    Thread.onSpinWait();
                }
                return got;
            }

            @Override
            public void close() throws Exception {
                if (capture != null) {
                    capture.close();
                }
                under.close();
                if (facing != under) {
                    facing.close();
                }
                net.close();
            }
        };
    }
}
