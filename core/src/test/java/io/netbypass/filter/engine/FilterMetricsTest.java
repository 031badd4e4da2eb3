package io.netbypass.filter.engine;

import io.netbypass.backend.vnic.HostStack;
import io.netbypass.backend.vnic.Vnic;
import io.netbypass.backend.vnic.VnicPort;
import io.netbypass.filter.engine.FilterEngine;
import io.netbypass.filter.engine.FilterMetrics;
import io.netbypass.filter.engine.FilterProgram;
import io.netbypass.metrics.CountersFile;
import io.netbypass.metrics.CountersReader;
import io.netbypass.port.BufferPool;
import io.netbypass.port.Port;
import io.netbypass.port.PortName;
import io.netbypass.testing.ForwardingPort;

import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ObjLongConsumer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.*;

/** The port's own device counters (AF_XDP's kernel drops, say) reach the counters file next to the filter's. */
class FilterMetricsTest {
    @TempDir
    Path dir;

    /** A vnic port that reports device counters, as an xdp: port does. */
    private static final class CountingPort extends ForwardingPort {
        private final AtomicLong drops;

        CountingPort(VnicPort inner, AtomicLong drops) {
            super(inner);
            this.drops = drops;
        }

        @Override
        public void statistics(ObjLongConsumer<String> sink) {
            sink.accept("xdp_rx_dropped", drops.get());
            sink.accept("odd \"name\"", 1);
        }
    }

    private static Map<String, Long> read(Path path) throws Exception {
        Map<String, Long> m = new TreeMap<>();
        try (CountersReader r = new CountersReader(path)) {
            for (CountersReader.Counter c : r.counters()) {
                m.put(c.label(), c.value());
            }
        }
        return m;
    }

    @Test
    void portDeviceCountersArePublishedAndFollowTheirValues() throws Exception {
        HostStack host = new HostStack(1, () -> (queue, segment, offset, length) -> { });
        try (Vnic nic = new Vnic("fm" + ProcessHandle.current().pid(), 1, 256, new BufferPool(1024, 2048), host);
             CountersFile file = new CountersFile(dir.resolve("c"), 64, "t")) {
            AtomicLong drops = new AtomicLong(7);
            try (Port port = new CountingPort(nic.open(PortName.parse("vnic:" + nic.name() + "-0/R", "vnic")), drops)) {
                FilterEngine engine = new FilterEngine(port, FilterProgram.parse("t.rules", "default drop\n", null));
                FilterMetrics metrics = new FilterMetrics(file, engine);
                String label = "netbypass_port_counter_total{port=\"" + port.name() + "\",counter=\"xdp_rx_dropped\"}";
                assertEquals(7L, read(file.path()).get(label));
                assertEquals(1L, read(file.path()).get("netbypass_port_counter_total{port=\"" + port.name()
                        + "\",counter=\"odd \\\"name\\\"\"}"), "label values are escaped");
                int series = read(file.path()).size();
                drops.set(9);
                metrics.publish();
                metrics.publish();
                assertEquals(9L, read(file.path()).get(label));
                assertEquals(series, read(file.path()).size(), "a counter keeps its record: no new series per publish");
            }
        }
    }
}
