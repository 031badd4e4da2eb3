package io.netbypass.filter.engine;

/**
 * The filter's counters, described once: what the engine counts per worker, what the offline
 * filter counts, what the per-second line, the summary, {@code netbypass stat} and
 * {@code /metrics} show. The ordinal is the counter's index in a {@link FilterCounters} block.
 * Each is a Prometheus counter family ({@link #family}, with {@link #label} when the family has
 * several series), explained by {@link #help}, in {@link #unit}s.
 */
public enum FilterCounter {
    RECEIVED("netbypass_rx_packets_total", null, "rx", "packets", "Packets received from the port's RX rings"),
    RECEIVED_BYTES("netbypass_rx_bytes_total", null, "rx bytes", "bytes", "Bytes of the packets received, as on the wire"),
    UDP("netbypass_rx_udp_packets_total", null, "UDP", "packets", "UDP packets among those received (IPv4 and IPv6)"),
    DROPPED("netbypass_verdict_packets_total", "verdict=\"drop\"", "dropped", "packets",
            "Packets by the verdict of the rule that decided them"),
    PASSED("netbypass_verdict_packets_total", "verdict=\"pass\"", "passed", "packets",
            "Packets by the verdict of the rule that decided them"),
    TRANSMITTED("netbypass_verdict_packets_total", "verdict=\"tx\"", "tx", "packets",
            "Packets by the verdict of the rule that decided them"),
    LIMITED("netbypass_verdict_packets_total", "verdict=\"rate_limited\"", "rate-limited", "packets",
            "Packets by the verdict of the rule that decided them"),
    BLOCKED("netbypass_verdict_packets_total", "verdict=\"blocked\"", "blocked", "packets",
            "Packets by the verdict of the rule that decided them"),
    MALFORMED("netbypass_malformed_packets_total", null, "malformed", "packets",
            "Packets the parser could not read through their own headers (the rules still decided them)"),
    TX_RING_FULL("netbypass_tx_ring_full_total", null, "tx ring full", "packets",
            "Packets a tx rule sent back out that found the TX ring full: dropped (also counted as dropped)"),
    RELOADS("netbypass_rule_reloads_total", null, "reloads", "reloads", "Rule sets a worker swapped in while running"),
    ERRORS("netbypass_filter_errors_total", null, "errors", "errors",
            "Exceptions a worker's duty cycle threw (each reported; the worker went on)");

    private final String family;
    private final String label;
    private final String shortName;
    private final String unit;
    private final String help;

    FilterCounter(String family, String label, String shortName, String unit, String help) {
        this.family = family;
        this.label = label;
        this.shortName = shortName;
        this.unit = unit;
        this.help = help;
    }

    /** The Prometheus metric family ({@code netbypass_..._total}). */
    public String family() {
        return family;
    }

    /** The label that tells this counter from the family's other series ({@code verdict="drop"}), or null. */
    public String label() {
        return label;
    }

    /** What the per-second line and the summary call it. */
    public String shortName() {
        return shortName;
    }

    public String unit() {
        return unit;
    }

    public String help() {
        return help;
    }

    /** The series with {@code labels} ({@code port="..."}, more, comma-separated) added before this counter's own. */
    public String series(String labels) {
        return family + "{" + labels + (label == null ? "" : "," + label) + "}";
    }

    private static final FilterCounter[] ALL = values();

    /** How many counters a {@link FilterCounters} block holds. */
    public static final int COUNT = ALL.length;

    public static FilterCounter of(int index) {
        return ALL[index];
    }

    /** The help text of a metric family this enum (or the per-rule series) describes, or null. */
    public static String helpOf(String family) {
        for (FilterCounter c : ALL) {
            if (c.family.equals(family)) {
                return c.help;
            }
        }
        return switch (family) {
            case FilterMetrics.RULE_PACKETS -> "Packets each rule decided (rule=\"default\": the default action)";
            case FilterMetrics.RULE_BYTES -> "Bytes of the packets each rule decided, as on the wire";
            case FilterMetrics.RULE_LIMITED -> "Packets a ratelimit rule dropped for being over its rate";
            case FilterMetrics.PORT_COUNTER -> "The port's own counters (the kernel's AF_XDP drops, the host path's writes)";
            case FilterMetrics.XDP_VERDICTS -> "Packets the rules decided in the driver (XDP), by verdict: they never reached user space";
            case FilterMetrics.XDP_RULE_PACKETS -> "Packets each rule decided in the driver (XDP; rule=\"default\": the default action)";
            case FilterMetrics.XDP_RULE_BYTES -> "Bytes of the packets each rule decided in the driver (XDP)";
            case FilterMetrics.BLOCKED_SOURCES -> "Sources blocked now (ratelimit ... block, netbypass blocklist)";
            case FilterMetrics.BLOCKED_SECONDS -> "Seconds left of a source's block (the " + FilterMetrics.BLOCKED_SHOWN
                    + " that end first)";
            default -> null;
        };
    }
}
