package io.netbypass.metrics;

import io.netbypass.util.UserException;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.*;

class CountersFileTest {
    @TempDir
    Path dir;

    @Test
    void aReaderSeesLabelsValuesAndFreedCounters() throws Exception {
        Path path = dir.resolve("c.counters");
        try (CountersFile file = new CountersFile(path, 4, "test writer")) {
            int a = file.allocate("a_total{port=\"x\"}");
            int b = file.allocate("b_total");
            file.set(a, 42);
            file.set(b, -1);
            try (CountersReader r = new CountersReader(path)) {
                assertEquals(ProcessHandle.current().pid(), r.pid());
                assertEquals("test writer", r.name());
                assertTrue(r.alive());
                assertEquals(List.of(new CountersReader.Counter(a, "a_total{port=\"x\"}", 42), new CountersReader.Counter(b, "b_total", -1)),
                        r.counters());
                file.free(a);
                int c = file.allocate("c_total");
                assertNotEquals(a, c, "never-used records go first");
                assertEquals(List.of(new CountersReader.Counter(b, "b_total", -1), new CountersReader.Counter(c, "c_total", 0)),
                        r.counters());
                file.set(c, 7);
                assertEquals(7, r.counters().getLast().value(), "values are live through the mapping");
                int d = file.allocate("d_total");
                int e = file.allocate("e_total");
                assertEquals(a, e, "then freed ones are reused, at zero and under the new label");
                assertEquals(new CountersReader.Counter(e, "e_total", 0), r.counters().getFirst());
                assertTrue(d >= 0);
            }
            assertEquals(-1, file.allocate("f"), "full");
            assertThrows(IllegalArgumentException.class, () -> file.allocate("x".repeat(300)));
        }
        assertFalse(Files.exists(path), "the file goes with the writer");
    }

    @Test
    void aLiveProcesssFileIsNotTakenOver() throws Exception {
        Path path = dir.resolve("taken.counters");
        Process other = new ProcessBuilder("sleep", "30").start();
        try {
            try (CountersFile file = new CountersFile(path, 2, "mine")) {
                // Forge the owner: another live process.
                try (var ch = java.nio.channels.FileChannel.open(path, java.nio.file.StandardOpenOption.WRITE)) {
                    java.nio.ByteBuffer pid = java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.nativeOrder()).putLong(0, other.pid());
                    ch.write(pid, CountersDescriptor.PID_OFFSET);
                }
                var e = assertThrows(java.io.IOException.class, () -> new CountersFile(path, 2, "second"));
                assertEquals(path + " is the counters file of running process " + other.pid()
                        + ": give this one another --counters path", e.getMessage());
            }
        } finally {
            other.destroy();
        }
        // The file of a process that has ended (a kill -9) is replaced.
        try (CountersFile file = new CountersFile(path, 2, "dead one")) {
            forgePid(path, deadPid());
            try (CountersFile again = new CountersFile(path, 2, "third"); CountersReader r = new CountersReader(path)) {
                assertEquals("third", r.name());
            }
        }
    }

    static void forgePid(Path path, long pid) throws java.io.IOException {
        try (var ch = java.nio.channels.FileChannel.open(path, java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.nativeOrder()).putLong(0, pid), CountersDescriptor.PID_OFFSET);
        }
    }

    /** A PID no process has now: one that just ended. */
    static long deadPid() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        return p.pid();
    }

    @Test
    void countersOnlyEverCreatesItsOwnFile() throws Exception {
        // --counters FILE used to replace, then delete on exit, any file or empty directory it was given.
        Path precious = dir.resolve("precious.txt");
        Files.writeString(precious, "keep me\n");
        Path emptyDir = Files.createDirectory(dir.resolve("empty"));
        Path link = Files.createSymbolicLink(dir.resolve("link.counters"), dir.resolve("target"));
        for (Path p : List.of(precious, emptyDir, link)) {
            var e = assertThrows(java.io.IOException.class, () -> new CountersFile(p, 2, "x"), p.toString());
            assertTrue(e.getMessage().startsWith(p + " exists and is not the counters file of a finished netbypass"), e.getMessage());
        }
        assertEquals("keep me\n", Files.readString(precious));
        assertTrue(Files.isDirectory(emptyDir));
        assertFalse(Files.exists(dir.resolve("target")), "nothing created through the link");
        // Ours is removed at close only while it is still ours.
        Path path = dir.resolve("own.counters");
        CountersFile file = new CountersFile(path, 2, "own");
        Files.delete(path);
        Files.writeString(path, "someone else's now");
        file.close();
        assertEquals("someone else's now", Files.readString(path));
    }

    @Test
    void staleFilesOfEndedProcessesAreRemovedAndNothingElse() throws Exception {
        Path stale = dir.resolve("1.counters");
        Path live = dir.resolve("2.counters");
        Path other = dir.resolve("3.counters");
        Files.writeString(other, "not ours");
        try (CountersFile a = new CountersFile(stale, 2, "killed"); CountersFile b = new CountersFile(live, 2, "running")) {
            forgePid(stale, deadPid());
            assertEquals(1, CountersFile.removeStale(dir));
            assertFalse(Files.exists(stale));
            assertTrue(Files.exists(live));
            assertTrue(Files.exists(other));
        }
    }

    @Test
    void notACountersFileIsAClearError() throws Exception {
        Path junk = dir.resolve("junk");
        Files.write(junk, new byte[512]);
        var e = assertThrows(java.io.IOException.class, () -> new CountersReader(junk));
        assertEquals(junk + ": not a netbypass counters file (version 1)", e.getMessage());
        Files.write(junk, new byte[10]);
        e = assertThrows(java.io.IOException.class, () -> new CountersReader(junk));
        assertEquals(junk + ": not a netbypass counters file (too short)", e.getMessage());
    }

    @Test
    void metricsEndpointServesTheFileInPrometheusTextFormat() throws Exception {
        Path path = dir.resolve("m.counters");
        try (CountersFile file = new CountersFile(path, 8, "m")) {
            int r1 = file.allocate("netbypass_rule_packets_total{port=\"p\",rule=\"a\"}");
            int rx = file.allocate("netbypass_rx_packets_total{port=\"p\"}");
            int r2 = file.allocate("netbypass_rule_packets_total{port=\"p\",rule=\"b\"}");
            file.set(r1, 1);
            file.set(rx, 3);
            file.set(r2, 2);
            try (MetricsServer server = new MetricsServer("127.0.0.1:0", path)) {
                HttpResponse<String> response = HttpClient.newHttpClient().send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/metrics")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, response.statusCode());
                assertEquals("text/plain; version=0.0.4; charset=utf-8", response.headers().firstValue("Content-Type").orElse(""));
                assertEquals("""
                        # TYPE netbypass_rule_packets_total counter
                        netbypass_rule_packets_total{port="p",rule="a"} 1
                        netbypass_rule_packets_total{port="p",rule="b"} 2
                        # TYPE netbypass_rx_packets_total counter
                        netbypass_rx_packets_total{port="p"} 3
                        """, response.body(), "each family's series together, under one TYPE line");
            }
        }
        assertEquals("--metrics takes HOST:PORT or PORT, not 'x:y'",
                assertThrows(UserException.class, () -> MetricsServer.parse("x:y")).getMessage());
        assertEquals("127.0.0.1", MetricsServer.parse("9100").getAddress().getHostAddress(), "a bare port stays local");
        assertEquals(9100, MetricsServer.parse("[::1]:9100").getPort());
    }

    @Test
    void slowAndIdleConnectionsDoNotHoldUpAScrape() throws Exception {
        // One slow local connection used to block /metrics for everyone (20 s+); 18 filled the backlog.
        Path path = dir.resolve("s.counters");
        List<java.net.Socket> slow = new ArrayList<>();
        try (CountersFile file = new CountersFile(path, 4, "s");
             MetricsServer server = new MetricsServer("127.0.0.1:0", path)) {
            file.set(file.allocate("netbypass_rx_packets_total{port=\"p\"}"), 5);
            for (int i = 0; i < 40; i++) {
                java.net.Socket s = new java.net.Socket("127.0.0.1", server.port());
                if (i % 2 == 0) {
                    s.getOutputStream().write("GET /metrics HTTP/1.1\r\nHost: x\r\n".getBytes()); // never finished
                    s.getOutputStream().flush();
                }
                slow.add(s);
            }
            HttpClient client = HttpClient.newBuilder().connectTimeout(java.time.Duration.ofSeconds(2)).build();
            for (int i = 0; i < 3; i++) {
                long t0 = System.nanoTime();
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/metrics"))
                        .timeout(java.time.Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, r.statusCode());
                assertTrue(r.body().contains("netbypass_rx_packets_total{port=\"p\"} 5"), r.body());
                assertTrue(System.nanoTime() - t0 < 5_000_000_000L, "served while 40 connections hang");
            }
            // The server closes what never completes a request, after its time limit.
            java.net.Socket idle = slow.get(0);
            idle.setSoTimeout(15_000);
            assertEquals(-1, idle.getInputStream().read(), "a connection that never finishes its request is closed");
        } finally {
            for (java.net.Socket s : slow) {
                s.close();
            }
        }
    }
}
