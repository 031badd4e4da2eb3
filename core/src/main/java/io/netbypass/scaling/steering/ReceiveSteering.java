package io.netbypass.scaling.steering;

import io.netbypass.util.UserException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * RPS and RFS for one device, as Linux's {@code get_rps_cpu}, {@code set_rps_cpu} and
 * {@code enqueue_to_backlog} do them. Each RX queue may have an {@code rps_cpus} map and an RFS
 * flow table; the socket flow table is shared by every device (in the engine: by every port).
 *
 * <p>The engine's RX thread for a queue calls {@link #getRpsCpu} then {@link #enqueue} with its own
 * {@link FlowRef} and {@link FlowLimit}; workers call {@link Backlogs#dequeued} and
 * {@link SockFlowTable#record}. Configuration is swapped in whole (the kernel's RCU pointers), so
 * a reader sees the old table or the new one, never half of each. Steering never allocates.
 */
public final class ReceiveSteering {
    /** The result when a packet is not steered: process it where it arrived. */
    public static final int NO_STEERING = -1;

    private final int rxQueues;
    private final Backlogs backlogs;
    private final AtomicReferenceArray<RpsMap> maps;
    private final AtomicReferenceArray<RpsFlowTable> flowTables;
    private volatile SockFlowTable sockTable;
    private volatile AcceleratedRfs accelerated;
    private final AtomicLong badQueue = new AtomicLong();

    public ReceiveSteering(int rxQueues, Backlogs backlogs) {
        if (rxQueues < 1) {
            throw new UserException("a device needs at least one RX queue, not " + rxQueues);
        }
        this.rxQueues = rxQueues;
        this.backlogs = backlogs;
        this.maps = new AtomicReferenceArray<>(rxQueues);
        this.flowTables = new AtomicReferenceArray<>(rxQueues);
    }

    public int rxQueues() {
        return rxQueues;
    }

    public Backlogs backlogs() {
        return backlogs;
    }

    /** {@code echo MASK > queues/rx-N/rps_cpus}: CPUs offline now are left out; an empty result turns RPS off. */
    public void setRpsCpus(int rxQueue, CpuMask mask) {
        maps.set(checkQueue(rxQueue), RpsMap.of(mask, backlogs));
    }

    /** What {@code queues/rx-N/rps_cpus} reads back. */
    public CpuMask rpsCpus(int rxQueue) {
        RpsMap m = maps.get(checkQueue(rxQueue));
        return m == null ? CpuMask.of() : m.toMask();
    }

    /** {@code echo N > queues/rx-N/rps_flow_cnt}: always a fresh table (flow state is lost), 0 frees it. */
    public void setRpsFlowCount(int rxQueue, long count) {
        flowTables.set(checkQueue(rxQueue), RpsFlowTable.ofCount(count));
    }

    public int rpsFlowCount(int rxQueue) {
        RpsFlowTable t = flowTables.get(checkQueue(rxQueue));
        return t == null ? 0 : t.size();
    }

    public RpsFlowTable flowTable(int rxQueue) {
        return flowTables.get(checkQueue(rxQueue));
    }

    /** The shared {@code rps_sock_flow_table}; {@code null} turns RFS off. */
    public void useSockFlowTable(SockFlowTable table) {
        sockTable = table;
    }

    /** Turns accelerated RFS on ({@code ethtool -K dev ntuple on} plus a driver hook) or off (null). */
    public void useAcceleratedRfs(AcceleratedRfs hook) {
        accelerated = hook;
    }

    /** Packets that named an RX queue the device does not have (the kernel warns once and does not steer). */
    public long badQueueCount() {
        return badQueue.get();
    }

    private int checkQueue(int rxQueue) {
        if (rxQueue < 0 || rxQueue >= rxQueues) {
            throw new UserException("RX queue " + rxQueue + " is outside 0.." + (rxQueues - 1));
        }
        return rxQueue;
    }

    /**
     * {@code get_rps_cpu}: the CPU (worker) that should process a packet of flow {@code hash}
     * received on {@code rxQueue}, or {@link #NO_STEERING}. RFS first: follow the flow to the CPU
     * that last consumed it, but move it only once every packet it queued on its current CPU has
     * been dequeued (in-order delivery). Then RPS: {@code cpus[reciprocal_scale(hash, len)]}.
     * {@code flow} is left pointing at the RFS entry used, for {@link #enqueue}.
     */
    public int getRpsCpu(int rxQueue, int hash, FlowRef flow) {
        flow.clear();
        if (rxQueue < 0 || rxQueue >= rxQueues) {
            badQueue.incrementAndGet();
            return NO_STEERING;
        }
        RpsFlowTable table = flowTables.get(rxQueue);
        RpsMap map = maps.get(rxQueue);
        if (table == null && map == null) {
            return NO_STEERING;
        }
        if (hash == 0) {
            return NO_STEERING;
        }
        SockFlowTable sock = sockTable;
        if (table != null && sock != null) {
            int ident = sock.entry(hash);
            int cpuMask = sock.cpuMask();
            if (((ident ^ hash) & ~cpuMask) == 0) {
                int next = ident & cpuMask;
                int index = table.index(hash);
                int current = table.cpu(index);
                flow.set(table, index);
                if (current != next
                        && (current >= backlogs.cpus() || !backlogs.isOnline(current)
                            || backlogs.head(current) - table.lastQtail(index) >= 0)) {
                    current = next;
                    setRpsCpu(rxQueue, hash, next, flow);
                }
                if (current < backlogs.cpus() && backlogs.isOnline(current)) {
                    return current;
                }
                flow.clear();
            }
        }
        if (map != null) {
            int cpu = map.cpuFor(hash);
            if (backlogs.isOnline(cpu)) {
                return cpu;
            }
        }
        return NO_STEERING;
    }

    /** {@code set_rps_cpu} on the entry {@code flow} points at; leaves {@code flow} on the entry it settled on. */
    private void setRpsCpu(int rxQueue, int hash, int next, FlowRef flow) {
        RpsFlowTable t = flow.table;
        int i = flow.index;
        if (next < backlogs.cpus()) {
            AcceleratedRfs hook = accelerated;
            if (hook != null) {
                int target = hook.rxQueueFor(next);
                if (target >= 0 && target < rxQueues && target != rxQueue) {
                    RpsFlowTable targetTable = flowTables.get(target);
                    if (targetTable != null) {
                        int flowId = targetTable.index(hash);
                        int filter = hook.steer(target, flowId, hash);
                        if (filter >= 0) {
                            targetTable.setFilter(flowId, filter);
                            if (t.filter(i) == filter) {
                                t.setFilter(i, RpsFlowTable.NO_FILTER);
                            }
                            t = targetTable;
                            i = flowId;
                        }
                    }
                }
            }
            t.setLastQtail(i, backlogs.head(next));
        }
        t.setCpu(i, next);
        flow.set(t, i);
    }

    /**
     * {@code enqueue_to_backlog}: admits the packet to {@code cpu}'s backlog unless it already
     * holds more than {@code netdev_max_backlog} packets or the flow limit of the enqueuing thread
     * cuts the flow. On success the new tail is saved in the RFS entry the decision used.
     * {@code limit} may be null (flow limit off for this thread).
     */
    public boolean enqueue(int cpu, int hash, FlowRef flow, FlowLimit limit) {
        int queueLength = backlogs.queueLength(cpu);
        int max = backlogs.maxBacklog();
        if (queueLength <= max && (limit == null || !limit.shouldDrop(hash, queueLength, max))) {
            int tail = backlogs.incrementTail(cpu);
            if (flow.table != null) {
                flow.table.setLastQtail(flow.index, tail);
            }
            return true;
        }
        backlogs.countDrop(cpu);
        return false;
    }

    /**
     * {@code rps_may_expire_flow}: whether the aRFS filter {@code filterId} for {@code flowId} on
     * {@code rxQueue} may be removed: yes unless the entry still holds that filter and its CPU has
     * dequeued fewer than {@code 10 * mask} packets since the flow's last one.
     */
    public boolean mayExpireFlow(int rxQueue, int flowId, int filterId) {
        RpsFlowTable t = rxQueue >= 0 && rxQueue < rxQueues ? flowTables.get(rxQueue) : null;
        if (t == null || flowId < 0 || flowId > t.mask) {
            return true;
        }
        int cpu = t.cpu(flowId);
        return !(t.filter(flowId) == filterId && cpu < backlogs.cpus()
                && backlogs.head(cpu) - t.lastQtail(flowId) < 10 * t.mask);
    }
}
