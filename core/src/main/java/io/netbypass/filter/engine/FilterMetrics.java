package io.netbypass.filter.engine;

import io.netbypass.metrics.CountersFile;

import java.util.HashMap;
import java.util.Map;
import java.util.function.ObjLongConsumer;

/**
 * Publishes a {@link FilterEngine}'s counters into a {@link CountersFile} as Prometheus series:
 * per port (packets received, bytes, UDP, each verdict, malformed, TX ring full, reloads) and per
 * rule (packets, bytes, over the rate), and the port's own device counters ({@link
 * io.netbypass.port.Port#statistics}: the kernel's AF_XDP drops, say) as
 * {@code netbypass_port_counter_total{port,counter}}. Called from the worker thread, a few times a
 * second; a reload re-labels the rule counters.
 */
public final class FilterMetrics {
    private final CountersFile file;
    private final FilterEngine engine;
    private final String port;
    private final int[] portIds;
    private FilterProgram labelled;
    private int[] ruleIds = new int[0];
    private final Map<String, Integer> deviceIds = new HashMap<>();
    private final ObjLongConsumer<String> deviceSink = this::device;

    private static final String[] PORT_SERIES = {
            "netbypass_rx_packets_total", "netbypass_rx_bytes_total", "netbypass_rx_udp_packets_total",
            "netbypass_verdict_packets_total{verdict=\"drop\"}", "netbypass_verdict_packets_total{verdict=\"pass\"}",
            "netbypass_verdict_packets_total{verdict=\"tx\"}", "netbypass_verdict_packets_total{verdict=\"rate_limited\"}",
            "netbypass_malformed_packets_total", "netbypass_tx_ring_full_total", "netbypass_rule_reloads_total"};

    public FilterMetrics(CountersFile file, FilterEngine engine) {
        this.file = file;
        this.engine = engine;
        this.port = escape(engine.port().name().toString());
        portIds = new int[PORT_SERIES.length];
        for (int i = 0; i < PORT_SERIES.length; i++) {
            portIds[i] = file.allocate(withPort(PORT_SERIES[i]));
        }
        publish();
    }

    private String withPort(String series) {
        int brace = series.indexOf('{');
        return brace < 0 ? series + "{port=\"" + port + "\"}"
                : series.substring(0, brace) + "{port=\"" + port + "\"," + series.substring(brace + 1);
    }

    /** Copies the current values into the file (and re-labels after a reload). */
    public void publish() {
        FilterCounters c = engine.counters();
        long[] v = {c.received, c.receivedBytes, c.udp, c.dropped, c.passed, c.transmitted, c.limited, c.malformed,
                c.txRingFull, c.reloads};
        for (int i = 0; i < v.length; i++) {
            file.set(portIds[i], v[i]);
        }
        FilterProgram p = engine.program();
        if (p != labelled) {
            for (int id : ruleIds) {
                file.free(id);
            }
            int n = p.rules().size() + 1;
            ruleIds = new int[n * 3];
            for (int r = 0; r < n; r++) {
                String rule = ",rule=\"" + escape(p.name(r)) + "\"}";
                String base = "{port=\"" + port + "\"" + rule;
                ruleIds[3 * r] = file.allocate("netbypass_rule_packets_total" + base);
                ruleIds[3 * r + 1] = file.allocate("netbypass_rule_bytes_total" + base);
                ruleIds[3 * r + 2] = file.allocate("netbypass_rule_rate_limited_total" + base);
            }
            labelled = p;
        }
        for (int r = 0; r < ruleIds.length / 3; r++) {
            file.set(ruleIds[3 * r], p.packets(r));
            file.set(ruleIds[3 * r + 1], p.bytes(r));
            file.set(ruleIds[3 * r + 2], p.limited(r));
        }
        engine.port().statistics(deviceSink);
        file.heartbeat();
    }

    private void device(String counter, long value) {
        Integer id = deviceIds.get(counter);
        if (id == null) {
            try {
                id = file.allocate("netbypass_port_counter_total{port=\"" + port + "\",counter=\"" + escape(counter) + "\"}");
            } catch (IllegalArgumentException e) {
                id = -1; // a label too long for the file: this counter stays out of it
            }
            deviceIds.put(counter, id); // -1 too: a full file is not asked again every publish
        }
        if (id >= 0) {
            file.set(id, value);
        }
    }

    static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
