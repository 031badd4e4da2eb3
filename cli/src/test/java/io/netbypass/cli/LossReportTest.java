package io.netbypass.cli;

import io.netbypass.scaling.ntuple.NtupleParser;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** The per-second and summary lines of losses outside the filter, from an xdp: port's statistics. */
class LossReportTest {
    private static Map<String, Long> stats(long... v) {
        Map<String, Long> m = new LinkedHashMap<>();
        String[] names = {"xdp_rx_dropped", "xdp_rx_ring_full", "xdp_q0_rx_dropped", "xdp_q0_rx_ring_full", "xdp_q3_rx_dropped",
                "xdp_q3_rx_ring_full", "xdp_rule_2_dropped", "host_tap_to_kernel", "host_tap_to_kernel_csum_completed",
                "host_tap_to_kernel_csum_bad", "host_tap_write_errors", "forward_dropped", "host_tap_rx_dropped_by_kernel",
                "host_kernel_csum_errors", "host_kernel_udp_rcvbuf_errors", "if_rx_dropped"};
        for (int i = 0; i < names.length; i++) {
            m.put(names[i], v[i]);
        }
        return m;
    }

    @Test
    void everyLossTheKernelCountsIsInTheLineAsARate() {
        LossReport r = new LossReport(List.of(NtupleParser.parse("flow-type udp4 dst-port 53 action 0"),
                NtupleParser.parse("flow-type udp4 src-ip 198.18.9.0 m 0.0.0.255 action -1")));
        Map<String, Long> a = stats(10, 0, 10, 0, 0, 0, 100, 50, 50, 0, 0, 0, 0, 0, 0, 0);
        Map<String, Long> b = stats(30, 4, 10, 0, 20, 4, 300, 250, 240, 2, 1, 3, 5, 2, 7, 6);
        List<String> lines = r.interval(a, b, 2.0);
        assertEquals(List.of(
                "xdp: dropped 100 pps by --steer rules; lost 12 pps in the kernel before our rings (rx_dropped 10, rx_ring_full 2;"
                        + " queue 3: 12); the interface dropped 3 pps",
                "host: 100 pps to the kernel (checksums completed 95, bad 1), write errors 1, not forwarded 2; kernel after the write:"
                        + " TAP drops 3, checksum errors 1, socket buffer drops 4 (whole namespace)"), lines);
        List<String> totals = r.totals(b);
        assertTrue(totals.get(0).startsWith("xdp: dropped 300 by --steer rules (rule 2 'flow-type udp4 src-ip 198.18.9.0 m 0.0.0.255"
                + " action -1': 300); lost 34 in the kernel"), totals.get(0));
    }

    @Test
    void aPortWithoutTheseCountersHasNoLines() {
        assertEquals(List.of(), new LossReport(List.of()).interval(Map.of(), Map.of("received", 5L), 1));
        assertEquals(List.of("host: no host path: 7 passed packets dropped (forward_unavailable)"),
                new LossReport(List.of()).totals(Map.of("forward_unavailable", 7L)));
    }
}
