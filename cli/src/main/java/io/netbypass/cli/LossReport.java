package io.netbypass.cli;

import io.netbypass.port.Port;
import io.netbypass.scaling.ntuple.NtupleFormatter;
import io.netbypass.scaling.ntuple.RxFlowSpec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.ToLongFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What happened to packets outside the filter's own counters, from a port's statistics: drops
 * the steering rules made inside XDP, frames the kernel lost before our rings (an AF_XDP socket's
 * rx ring full, or no fill buffer), and the host path's side (frames into the kernel, checksums
 * completed or bad, write errors) with the kernel's verdict after the write (checksum errors and
 * socket-buffer drops in the namespace, the TAP's receive drops). One line each per interval, as
 * rates; the same as totals in the summary. A line that showed no loss while the kernel lost
 * packets would lie, so every loss the port can see is in it.
 */
final class LossReport {
    private static final Pattern RULE = Pattern.compile("xdp_rule_(\\d+)_dropped");
    private static final Pattern QUEUE = Pattern.compile("xdp_q(\\d+)_rx_(dropped|ring_full)");

    private final List<RxFlowSpec> steering;

    /** {@code steering}: the rules the port's XDP program matches, in order (their numbers name the counters). */
    LossReport(List<RxFlowSpec> steering) {
        this.steering = steering;
    }

    /**
     * The statistics of several ports (a port per queue) now: each socket's and each host path's
     * counters summed, those of the whole interface or namespace that every port reports alike
     * (the XDP program's rule drops, the interface's and the TAP's receive drops, the kernel's UDP
     * buffer errors) taken once.
     */
    static Map<String, Long> snapshot(List<Port> ports) {
        Map<String, Long> m = new LinkedHashMap<>();
        for (Port p : ports) {
            p.statistics((k, v) -> m.merge(k, v, SHARED.contains(k) || RULE.matcher(k).matches() ? Math::max : Long::sum));
        }
        return m;
    }

    /** Counters of an interface or namespace, not of one port's sockets. */
    private static final Set<String> SHARED = Set.of("if_rx_dropped", "host_tap_rx_dropped_by_kernel",
            "host_kernel_udp_rcvbuf_errors");

    /** The interval's lines (rates over {@code seconds}), or none for a port without these counters. */
    List<String> interval(Map<String, Long> before, Map<String, Long> after, double seconds) {
        return lines(before, after, seconds, true);
    }

    /** The same as totals since the start. */
    List<String> totals(Map<String, Long> at) {
        return lines(Map.of(), at, 1, false);
    }

    private List<String> lines(Map<String, Long> a, Map<String, Long> b, double seconds, boolean rates) {
        String unit = rates ? " pps" : "";
        ToLongFunction<String> d = k -> {
            long v = b.getOrDefault(k, 0L) - a.getOrDefault(k, 0L);
            return rates ? Math.round(v / seconds) : v;
        };
        List<String> out = new ArrayList<>();
        if (b.containsKey("xdp_rx_dropped")) {
            long ruleDrops = 0;
            StringBuilder perRule = new StringBuilder();
            for (String k : b.keySet()) {
                Matcher m = RULE.matcher(k);
                if (m.matches()) {
                    long n = d.applyAsLong(k);
                    ruleDrops += n;
                    int rule = Integer.parseInt(m.group(1));
                    if (!rates && rule - 1 < steering.size()) {
                        perRule.append(perRule.isEmpty() ? " (" : "; ").append("rule ").append(rule).append(" '")
                                .append(NtupleFormatter.toCommand(steering.get(rule - 1))).append("': ").append(n);
                    }
                }
            }
            if (!perRule.isEmpty()) {
                perRule.append(')');
            }
            long dropped = d.applyAsLong("xdp_rx_dropped");
            long full = d.applyAsLong("xdp_rx_ring_full");
            Map<Integer, Long> queues = new TreeMap<>();
            for (String k : b.keySet()) {
                Matcher m = QUEUE.matcher(k);
                if (m.matches()) {
                    queues.merge(Integer.parseInt(m.group(1)), d.applyAsLong(k), Long::sum);
                }
            }
            StringBuilder perQueue = new StringBuilder();
            queues.forEach((q, n) -> {
                if (n != 0) {
                    perQueue.append(perQueue.isEmpty() ? "; queue " : ", queue ").append(q).append(": ").append(n);
                }
            });
            out.add(String.format(Locale.ROOT, "xdp: dropped %d%s by --steer rules%s; lost %d%s in the kernel before our rings"
                            + " (rx_dropped %d, rx_ring_full %d%s); the interface dropped %d%s", ruleDrops, unit, perRule,
                    dropped + full, unit, dropped, full, perQueue, d.applyAsLong("if_rx_dropped"), unit));
        }
        if (b.containsKey("host_tap_to_kernel")) {
            out.add(String.format(Locale.ROOT, "host: %d%s to the kernel (checksums completed %d, bad %d), write errors %d,"
                            + " not forwarded %d; kernel after the write: TAP drops %d, checksum errors %d, socket buffer drops %d"
                            + " (whole namespace)",
                    d.applyAsLong("host_tap_to_kernel"), unit, d.applyAsLong("host_tap_to_kernel_csum_completed"),
                    d.applyAsLong("host_tap_to_kernel_csum_bad"), d.applyAsLong("host_tap_write_errors"),
                    d.applyAsLong("forward_dropped"), d.applyAsLong("host_tap_rx_dropped_by_kernel"),
                    d.applyAsLong("host_kernel_csum_errors"), d.applyAsLong("host_kernel_udp_rcvbuf_errors")));
        } else if (b.getOrDefault("forward_unavailable", 0L) != 0) {
            out.add(String.format(Locale.ROOT, "host: no host path: %d%s passed packets dropped (forward_unavailable)",
                    d.applyAsLong("forward_unavailable"), unit));
        }
        return out;
    }
}
