package io.netbypass.scaling.steering;

/**
 * The per-socket (in the engine, per-flow) state TX queue selection remembers: the TX queue
 * last chosen ({@code sk_tx_queue_mapping}) and the RX queue the flow arrives on
 * ({@code sk_rx_queue_mapping}). -1 means unset.
 */
public final class TxFlow {
    int txQueue = -1;
    int rxQueue = -1;
    /** Only a connected socket with a route caches its TX queue ({@code sk_fullsock && sk_dst_cache}). */
    boolean cachesQueue;

    public TxFlow(boolean cachesQueue) {
        this.cachesQueue = cachesQueue;
    }

    public int txQueue() {
        return txQueue;
    }

    public int rxQueue() {
        return rxQueue;
    }

    /** {@code sk_mark_napi_id}: the flow was received on {@code rxQueue}. */
    public void receivedOn(int rxQueue) {
        this.rxQueue = rxQueue;
    }

    /** The route changed ({@code __sk_dst_set}): forget the cached TX queue. */
    public void routeChanged() {
        txQueue = -1;
    }
}
