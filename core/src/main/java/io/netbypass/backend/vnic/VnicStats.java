package io.netbypass.backend.vnic;

import java.util.LinkedHashMap;
import java.util.Map;

/** Counters of the NIC. {@code rxRing[q]} counts frames written into a bound ring (and not handed back to the host at unbind). */
public record VnicStats(long wirePackets, long wireBytes, long ntupleDrops, long oversize, long pauseEvents,
                    long fdirMatch, long fdirMiss, long hostTx, long hostToPort, long hostDrops, long[] rxPackets, long[] rxBytes, long[] rxRing,
                    long[] rxHost, long[] rxMissed, long[] txPackets, long[] txBytes) {
    public long sum(long[] perQueue) {
        long n = 0;
        for (long v : perQueue) {
            n += v;
        }
        return n;
    }

    /** Named like {@code ethtool -S} (ixgbe's names where it has one). */
    public Map<String, Long> ethtool() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("rx_packets", wirePackets);
        m.put("rx_bytes", wireBytes);
        m.put("tx_packets", sum(txPackets));
        m.put("tx_bytes", sum(txBytes));
        m.put("rx_missed_errors", sum(rxMissed));
        m.put("rx_length_errors", oversize);
        m.put("rx_ntuple_drops", ntupleDrops);
        m.put("fdir_match", fdirMatch);
        m.put("fdir_miss", fdirMiss);
        m.put("tx_pause", pauseEvents);
        m.put("host_tx_packets", hostTx);
        m.put("host_to_port_packets", hostToPort);
        m.put("host_to_port_drops", hostDrops);
        for (int q = 0; q < rxPackets.length; q++) {
            m.put("rx_queue_" + q + "_packets", rxPackets[q]);
            m.put("rx_queue_" + q + "_bytes", rxBytes[q]);
            m.put("rx_queue_" + q + "_ring", rxRing[q]);
            m.put("rx_queue_" + q + "_host", rxHost[q]);
            m.put("rx_queue_" + q + "_drops", rxMissed[q]);
        }
        for (int q = 0; q < txPackets.length; q++) {
            m.put("tx_queue_" + q + "_packets", txPackets[q]);
            m.put("tx_queue_" + q + "_bytes", txBytes[q]);
        }
        return m;
    }
}
