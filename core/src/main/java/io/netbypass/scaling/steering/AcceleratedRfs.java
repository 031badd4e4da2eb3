package io.netbypass.scaling.steering;

/**
 * Accelerated RFS: when RFS moves a flow to a CPU, ask the NIC to deliver the flow to the RX
 * queue whose interrupt that CPU services ({@code ndo_rx_flow_steer}). The software NIC and real
 * drivers implement it with an ntuple-style rule.
 */
public interface AcceleratedRfs {
    /**
     * The RX queue served by {@code cpu} ({@code cpu_rmap_lookup_index}), or -1 if none.
     */
    int rxQueueFor(int cpu);

    /**
     * Programs the NIC to send flow {@code hash} to {@code rxQueue}; returns the filter id
     * (0..0xfffe) or a negative number when it could not.
     */
    int steer(int rxQueue, int flowId, int hash);
}
