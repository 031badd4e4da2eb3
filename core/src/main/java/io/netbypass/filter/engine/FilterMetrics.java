package io.netbypass.filter.engine;

import io.netbypass.filter.rules.RuleSet;
import io.netbypass.metrics.CountersFile;
import io.netbypass.port.DriverRules;
import io.netbypass.port.Port;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ObjLongConsumer;

/**
 * Publishes a {@link FilterEngine}'s counters into a {@link CountersFile} as Prometheus series,
 * from the {@link FilterCounter} descriptions: the totals over the workers per filtered port
 * ({@code netbypass_rx_packets_total{port}}...), each worker's own values when there are several
 * ({@code netbypass_worker_rx_packets_total{port,worker}}: another family, so a sum over a family
 * never counts a packet twice), per rule summed over the workers (packets, bytes, over the rate),
 * and every port's own device counters ({@link Port#statistics}: the kernel's AF_XDP drops, say)
 * as {@code netbypass_port_counter_total{port,counter}}. Called from one thread (the main thread
 * of {@code offload}), a few times a second; a reload re-labels the rule counters. Hold
 * {@link #lock()} to close a port the engine gave back, so that no publish reads it closed.
 */
public final class FilterMetrics {
    public static final String RULE_PACKETS = "netbypass_rule_packets_total";
    public static final String RULE_BYTES = "netbypass_rule_bytes_total";
    public static final String RULE_LIMITED = "netbypass_rule_rate_limited_total";
    public static final String PORT_COUNTER = "netbypass_port_counter_total";
    /** What the driver decided (XDP verdicts): families apart, so each sum counts a packet where it was decided. */
    public static final String XDP_VERDICTS = "netbypass_xdp_verdict_packets_total";
    public static final String XDP_RULE_PACKETS = "netbypass_xdp_rule_packets_total";
    public static final String XDP_RULE_BYTES = "netbypass_xdp_rule_bytes_total";
    /** Gauges of the blocklist: how many sources, and each one's time left (the first {@link #BLOCKED_SHOWN}). */
    public static final String BLOCKED_SOURCES = "netbypass_blocked_sources";
    public static final String BLOCKED_SECONDS = "netbypass_blocked_source_seconds_left";
    public static final int BLOCKED_SHOWN = 100;
    /** Per-worker families: the total's family with this after "netbypass_". */
    public static final String WORKER_PREFIX = "netbypass_worker_";

    private final CountersFile file;
    private final FilterEngine engine;
    private final String port;
    private final int[] totalIds;
    private final int[][] workerIds;
    private FilterProgram labelled;
    private int[] ruleIds = new int[0];
    /** Per port (its queues come and go with ctl): the records of its device counters. */
    private final Map<Port, DeviceSeries> deviceSeries = new HashMap<>();
    private final Object lock = new Object();
    private int[] xdpVerdictIds;
    private RuleSet xdpLabelled;
    private int[] xdpRuleIds = new int[0];
    private int blockedSourcesId = -1;
    /** The blocked sources published, by address: their records (freed when they go). */
    private final Map<String, Integer> blockedIds = new HashMap<>();

    /** Publishes {@code engine}'s counters labelled {@code port="NAME"}: the port as the operator named it. */
    public FilterMetrics(CountersFile file, FilterEngine engine, String portLabel) {
        this.file = file;
        this.engine = engine;
        this.port = escape(portLabel);
        totalIds = new int[FilterCounter.COUNT];
        for (FilterCounter c : FilterCounter.values()) {
            totalIds[c.ordinal()] = file.allocate(c.series("port=\"" + port + "\""));
        }
        int workers = engine.workers();
        workerIds = new int[workers > 1 ? workers : 0][FilterCounter.COUNT];
        for (int w = 0; w < workerIds.length; w++) {
            for (FilterCounter c : FilterCounter.values()) {
                workerIds[w][c.ordinal()] = file.allocate(perWorker(c, w));
            }
        }
        publish();
    }

    /** Publishes {@code engine}'s counters labelled with its first port's name. */
    public FilterMetrics(CountersFile file, FilterEngine engine) {
        this(file, engine, engine.port().name().toString());
    }

    private String perWorker(FilterCounter c, int w) {
        String family = WORKER_PREFIX + c.family().substring("netbypass_".length());
        return family + "{port=\"" + port + "\",worker=\"" + w + "\"" + (c.label() == null ? "" : "," + c.label()) + "}";
    }

    /** Held while publishing: a port the engine gave back is closed under it. */
    public Object lock() {
        return lock;
    }

    /** Copies the current values into the file (and re-labels after a reload). */
    public void publish() {
        synchronized (lock) {
            long[] total = engine.totals();
            for (int i = 0; i < total.length; i++) {
                file.set(totalIds[i], total[i]);
            }
            for (int w = 0; w < workerIds.length; w++) {
                long[] v = engine.worker(w).counters().snapshot();
                for (int i = 0; i < v.length; i++) {
                    file.set(workerIds[w][i], v[i]);
                }
            }
            FilterProgram p = engine.program();
            if (p != labelled) {
                for (int id : ruleIds) {
                    file.free(id);
                }
                int n = p.rules().size() + 1;
                ruleIds = new int[n * 3];
                for (int r = 0; r < n; r++) {
                    String base = "{port=\"" + port + "\",rule=\"" + escape(p.name(r)) + "\"}";
                    ruleIds[3 * r] = file.allocate(RULE_PACKETS + base);
                    ruleIds[3 * r + 1] = file.allocate(RULE_BYTES + base);
                    ruleIds[3 * r + 2] = file.allocate(RULE_LIMITED + base);
                }
                labelled = p;
            }
            long[][] counts = engine.ruleCounts(p); // each worker in the rules it runs: no counter goes down at a reload
            for (int r = 0; r < ruleIds.length / 3; r++) {
                file.set(ruleIds[3 * r], counts[0][r]);
                file.set(ruleIds[3 * r + 1], counts[1][r]);
                file.set(ruleIds[3 * r + 2], counts[2][r]);
            }
            for (Port each : engine.ports()) {
                each.statistics(deviceSeries.computeIfAbsent(each, DeviceSeries::new));
            }
            publishBlocklist(p);
            List<DriverRules> drivers = engine.drivers();
            if (!drivers.isEmpty()) {
                publishDriver(drivers.getFirst()); // the ports of one run are on one device
            }
            file.heartbeat();
        }
    }

    private void publishBlocklist(FilterProgram p) {
        Blocklist b = p.blocklist();
        if (blockedSourcesId < 0) {
            blockedSourcesId = file.allocate(BLOCKED_SOURCES + "{port=\"" + port + "\"}");
        }
        if (blockedSourcesId >= 0) {
            file.set(blockedSourcesId, b.size());
        }
        if (b.size() == 0 && blockedIds.isEmpty()) {
            return;
        }
        long now = engine.now();
        Map<String, Long> shown = new HashMap<>();
        for (Blocklist.Entry e : b.list(now)) {
            if (shown.size() == BLOCKED_SHOWN) {
                break;
            }
            shown.put(e.address(), (e.untilNanos() - now) / 1_000_000_000L);
        }
        var it = blockedIds.entrySet().iterator();
        while (it.hasNext()) {
            var e = it.next();
            if (!shown.containsKey(e.getKey())) {
                if (e.getValue() >= 0) {
                    file.free(e.getValue());
                }
                it.remove();
            }
        }
        for (var e : shown.entrySet()) {
            int id = blockedIds.computeIfAbsent(e.getKey(),
                    a -> file.allocate(BLOCKED_SECONDS + "{port=\"" + port + "\",source=\"" + a + "\"}"));
            if (id >= 0) {
                file.set(id, e.getValue());
            }
        }
    }

    private void publishDriver(DriverRules d) {
        if (xdpVerdictIds == null) {
            xdpVerdictIds = new int[] {file.allocate(XDP_VERDICTS + "{port=\"" + port + "\",verdict=\"drop\"}"),
                    file.allocate(XDP_VERDICTS + "{port=\"" + port + "\",verdict=\"pass\"}")};
        }
        file.set(xdpVerdictIds[0], d.dropped());
        file.set(xdpVerdictIds[1], d.passed());
        RuleSet rules = d.installed();
        if (rules != xdpLabelled) {
            for (int id : xdpRuleIds) {
                file.free(id);
            }
            int n = rules == null ? 0 : rules.size() + 1;
            xdpRuleIds = new int[2 * n];
            for (int r = 0; r < n; r++) {
                String base = "{port=\"" + port + "\",rule=\"" + escape(r < rules.size() ? rules.rule(r).name() : "default") + "\"}";
                xdpRuleIds[2 * r] = file.allocate(XDP_RULE_PACKETS + base);
                xdpRuleIds[2 * r + 1] = file.allocate(XDP_RULE_BYTES + base);
            }
            xdpLabelled = rules;
        }
        long[][] counts = d.ruleCounts();
        for (int r = 0; r < xdpRuleIds.length / 2 && r < counts[0].length; r++) {
            if (xdpRuleIds[2 * r] >= 0 && xdpRuleIds[2 * r + 1] >= 0) { // -1: past the file's room (offload says so)
                file.set(xdpRuleIds[2 * r], counts[0][r]);
                file.set(xdpRuleIds[2 * r + 1], counts[1][r]);
            }
        }
    }

    /**
     * One port's device counters in the file, by counter name: a label is made and a record taken
     * the first time a counter is seen, so a publish adds no allocation per counter.
     */
    private final class DeviceSeries implements ObjLongConsumer<String> {
        private final String port;
        private final Map<String, Integer> ids = new HashMap<>();

        DeviceSeries(Port p) {
            this.port = escape(p.name().toString());
        }

        @Override
        public void accept(String counter, long value) {
            Integer id = ids.get(counter);
            if (id == null) {
                try {
                    id = file.allocate(PORT_COUNTER + "{port=\"" + port + "\",counter=\"" + escape(counter) + "\"}");
                } catch (IllegalArgumentException e) {
                    id = -1; // a label too long for the file: this counter stays out of it
                }
                ids.put(counter, id); // -1 too: a full file is not asked again every publish
            }
            if (id >= 0) {
                file.set(id, value);
            }
        }
    }

    static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
