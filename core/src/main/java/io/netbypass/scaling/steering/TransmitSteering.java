package io.netbypass.scaling.steering;

import io.netbypass.util.UserException;
import java.util.Arrays;

/**
 * TX queue selection as Linux's {@code netdev_pick_tx} makes it: keep a flow on the TX queue it
 * used last (no reordering) unless the queue is gone or the flow has nothing in flight
 * ({@code ooo_okay}); otherwise XPS by receive queue ({@code xps_rxqs}), then XPS by sending CPU
 * ({@code xps_cpus}), then {@code skb_tx_hash}. Traffic classes (mqprio) are not modelled: with
 * none configured Linux uses exactly this path.
 *
 * <p>Maps are written with {@link #setXpsCpus}/{@link #setXpsRxqs} as the sysfs files are:
 * queues are appended to each map in write order and removed by moving the last queue into the
 * hole, so the order (and thus which queue a hash picks) matches the kernel's.
 */
public final class TransmitSteering {
    private final int txQueues;
    private final Backlogs cpus;
    private final int rxQueues;
    private volatile int[][] byCpu;
    private volatile int[][] byRxQueue;

    public TransmitSteering(int txQueues, int rxQueues, Backlogs cpus) {
        if (txQueues < 1 || rxQueues < 1) {
            throw new UserException("a device needs at least one TX and one RX queue");
        }
        this.txQueues = txQueues;
        this.rxQueues = rxQueues;
        this.cpus = cpus;
    }

    public int txQueues() {
        return txQueues;
    }

    /** {@code echo MASK > queues/tx-Q/xps_cpus}; CPUs offline now are not added. */
    public synchronized void setXpsCpus(int txQueue, CpuMask mask) {
        checkTx(txQueue);
        byCpu = update(byCpu, cpus.cpus(), txQueue, mask, true);
    }

    /** {@code echo MASK > queues/tx-Q/xps_rxqs}: the mask names RX queues. */
    public synchronized void setXpsRxqs(int txQueue, CpuMask rxMask) {
        checkTx(txQueue);
        byRxQueue = update(byRxQueue, rxQueues, txQueue, rxMask, false);
    }

    /** What {@code tx-Q/xps_cpus} reads back. */
    public CpuMask xpsCpus(int txQueue) {
        return readBack(byCpu, txQueue);
    }

    public CpuMask xpsRxqs(int txQueue) {
        return readBack(byRxQueue, txQueue);
    }

    /** The queues in the XPS map of {@code cpu}, in kernel order. */
    public int[] cpuMap(int cpu) {
        int[][] m = byCpu;
        return m == null || m[cpu] == null ? new int[0] : m[cpu].clone();
    }

    private void checkTx(int txQueue) {
        if (txQueue < 0 || txQueue >= txQueues) {
            throw new UserException("TX queue " + txQueue + " is outside 0.." + (txQueues - 1));
        }
    }

    private CpuMask readBack(int[][] maps, int txQueue) {
        checkTx(txQueue);
        if (maps == null) {
            return CpuMask.of();
        }
        int[] ids = new int[maps.length];
        int n = 0;
        for (int id = 0; id < maps.length; id++) {
            if (maps[id] != null && indexOf(maps[id], txQueue) >= 0) {
                ids[n++] = id;
            }
        }
        return CpuMask.of(Arrays.copyOf(ids, n));
    }

    private int[][] update(int[][] old, int ids, int txQueue, CpuMask mask, boolean onlineOnly) {
        int[][] next = old == null ? new int[ids][] : old.clone();
        boolean any = false;
        for (int id = 0; id < ids; id++) {
            int[] queues = next[id] == null ? new int[0] : next[id];
            boolean wanted = mask.contains(id) && (!onlineOnly || cpus.isOnline(id));
            int at = indexOf(queues, txQueue);
            if (wanted && at < 0) {
                queues = Arrays.copyOf(queues, queues.length + 1);
                queues[queues.length - 1] = txQueue;
            } else if (!wanted && at >= 0) {
                queues = queues.clone();
                queues[at] = queues[queues.length - 1];
                queues = Arrays.copyOf(queues, queues.length - 1);
            }
            next[id] = queues.length == 0 ? null : queues;
            any |= next[id] != null;
        }
        return any ? next : null;
    }

    private static int indexOf(int[] a, int v) {
        for (int i = 0; i < a.length; i++) {
            if (a[i] == v) {
                return i;
            }
        }
        return -1;
    }

    /**
     * {@code netdev_pick_tx} for one packet of {@code flow} (null: no socket, e.g. forwarded).
     * {@code hash} is the packet's flow hash, {@code senderCpu} the CPU sending it,
     * {@code recordedRxQueue} the queue a forwarded packet arrived on (-1 if none).
     */
    public int pickTx(TxFlow flow, int hash, int senderCpu, boolean oooOkay, int recordedRxQueue) {
        if (txQueues == 1) {
            return 0;
        }
        int cached = flow == null ? -1 : flow.txQueue;
        if (cached >= 0 && !oooOkay && cached < txQueues) {
            return cached;
        }
        int chosen = xpsQueue(flow, hash, senderCpu);
        if (chosen < 0) {
            chosen = txHash(hash, recordedRxQueue);
        }
        if (flow != null && flow.cachesQueue && cached != chosen) {
            flow.txQueue = chosen;
        }
        return chosen;
    }

    /** {@code get_xps_queue}: by the flow's RX queue first, then by the sending CPU; -1 if no map applies. */
    public int xpsQueue(TxFlow flow, int hash, int senderCpu) {
        int q = -1;
        int[][] rx = byRxQueue;
        if (rx != null && flow != null && flow.rxQueue >= 0) {
            q = fromMap(rx, flow.rxQueue, hash);
        }
        int[][] byCpuMaps = byCpu;
        if (q < 0 && byCpuMaps != null) {
            q = fromMap(byCpuMaps, senderCpu, hash);
        }
        return q;
    }

    private int fromMap(int[][] maps, int id, int hash) {
        if (id < 0 || id >= maps.length || maps[id] == null) {
            return -1;
        }
        int[] queues = maps[id];
        int q = queues.length == 1 ? queues[0] : queues[ReciprocalScale.scale(hash, queues.length)];
        return q >= txQueues ? -1 : q;
    }

    /** {@code skb_tx_hash}: a forwarded packet keeps its RX queue number (mod TX queues); else the hash's high bits. */
    public int txHash(int hash, int recordedRxQueue) {
        if (recordedRxQueue >= 0) {
            int h = recordedRxQueue;
            while (h >= txQueues) {
                h -= txQueues;
            }
            return h;
        }
        return ReciprocalScale.scale(hash, txQueues);
    }
}
