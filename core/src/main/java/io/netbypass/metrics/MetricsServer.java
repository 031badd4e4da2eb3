package io.netbypass.metrics;

import io.netbypass.util.UserException;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.function.Function;

import com.sun.net.httpserver.HttpServer;

/**
 * A Prometheus endpoint ({@code GET /metrics}, text exposition format 0.0.4) over a counters
 * file. It reads the file as any other reader would, so it shows exactly what {@code netbypass
 * stat} shows. The JDK's HTTP server is enough for a handful of series scraped every few seconds,
 * given a thread per request and time limits, so that no client can hold it for the others.
 */
public final class MetricsServer implements AutoCloseable {
    /** Requests served at once, each on a virtual thread; more are refused (their connection closed). */
    static final int MAX_IN_FLIGHT = 256;
    /** Seconds a request may take to arrive, or its response to leave, before its connection is closed. */
    static final int REQUEST_SECONDS = 5;

    static {
        // Read once, when the JDK's server class loads: a slow or idle connection is dropped after
        // REQUEST_SECONDS instead of holding a thread forever; connections are bounded. The
        // operator's own -D settings win.
        setDefault("sun.net.httpserver.maxReqTime", Integer.toString(REQUEST_SECONDS));
        setDefault("sun.net.httpserver.maxRspTime", Integer.toString(REQUEST_SECONDS));
        setDefault("jdk.httpserver.maxConnections", Integer.toString(2 * MAX_IN_FLIGHT));
    }

    private static void setDefault(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }

    private final HttpServer server;
    private final CountersReader reader;
    private final Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
    private final Function<String, String> help;

    /**
     * Serves {@code counters} on {@code address}: {@code HOST:PORT}, or a bare port meaning
     * 127.0.0.1 (the endpoint stays local unless told otherwise).
     */
    public MetricsServer(String address, Path counters) throws IOException {
        this(address, counters, family -> null);
    }

    /** As above, with {@code help} giving each metric family's HELP text (null: none). */
    public MetricsServer(String address, Path counters, Function<String, String> help) throws IOException {
        this.help = help;
        InetSocketAddress bind = parse(address);
        this.reader = new CountersReader(counters);
        try {
            server = HttpServer.create(bind, 128);
        } catch (IOException e) {
            reader.close();
            throw new IOException("cannot serve metrics on " + address + ": " + e.getMessage(), e);
        }
        server.createContext("/metrics", exchange -> {
            byte[] body = render().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        // Each request on its own virtual thread: one that reads slowly blocks only itself (the
        // JDK's default runs every handler on its one dispatcher thread: one slow local client
        // stalled every scrape). Past MAX_IN_FLIGHT the server closes the new connection.
        server.setExecutor(task -> {
            if (!inFlight.tryAcquire()) {
                throw new RejectedExecutionException("too many requests in flight");
            }
            Thread.ofVirtual().name("metrics").start(() -> {
                try {
                    task.run();
                } finally {
                    inFlight.release();
                }
            });
        });
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    static InetSocketAddress parse(String address) {
        int colon = address.lastIndexOf(':');
        String host = colon < 0 ? "127.0.0.1" : address.substring(0, colon);
        String port = colon < 0 ? address : address.substring(colon + 1);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int p;
        try {
            p = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            throw new UserException("--metrics takes HOST:PORT or PORT, not '" + address + "'");
        }
        if (p < 0 || p > 65535) {
            throw new UserException("--metrics port " + p + " is out of range 0-65535");
        }
        try {
            return new InetSocketAddress(InetAddress.getByName(host), p);
        } catch (IOException e) {
            throw new UserException("--metrics host '" + host + "' is not an address");
        }
    }

    /** The exposition text: each metric family's HELP and TYPE lines, then all its series together. */
    public String render() {
        Map<String, StringBuilder> families = new LinkedHashMap<>();
        for (CountersReader.Counter c : reader.counters()) {
            int brace = c.label().indexOf('{');
            String family = brace < 0 ? c.label() : c.label().substring(0, brace);
            families.computeIfAbsent(family, k -> {
                String text = help.apply(k);
                return new StringBuilder(text == null ? "" : "# HELP " + k + " " + text.replace("\\", "\\\\").replace("\n", "\\n")
                        + "\n").append("# TYPE ").append(k).append(k.endsWith("_total") ? " counter\n" : " gauge\n");
            })
                    .append(c.label()).append(' ').append(c.value()).append('\n');
        }
        StringBuilder b = new StringBuilder();
        families.values().forEach(b::append);
        return b.toString();
    }

    @Override
    public void close() {
        server.stop(0);
        reader.close();
    }
}
