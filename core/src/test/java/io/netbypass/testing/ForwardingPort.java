package io.netbypass.testing;

import io.netbypass.port.BufferPool;
import io.netbypass.port.Port;
import io.netbypass.port.PortName;
import io.netbypass.port.Ring;

/** A port that does what another does, for a test to change one thing (a sync that fails, counters it reports). */
public abstract class ForwardingPort implements Port {
    protected final Port inner;

    protected ForwardingPort(Port inner) {
        this.inner = inner;
    }

    @Override public PortName name() { return inner.name(); }
    @Override public BufferPool pool() { return inner.pool(); }
    @Override public int rxRings() { return inner.rxRings(); }
    @Override public int txRings() { return inner.txRings(); }
    @Override public Ring rxRing(int i) { return inner.rxRing(i); }
    @Override public Ring txRing(int i) { return inner.txRing(i); }
    @Override public int rxSync() { return inner.rxSync(); }
    @Override public int txSync() { return inner.txSync(); }
    @Override public boolean isClosed() { return inner.isClosed(); }
    @Override public void close() { inner.close(); }
}
