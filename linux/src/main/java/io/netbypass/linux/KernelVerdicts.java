package io.netbypass.linux;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What the kernel did with packets after we handed them over, from its own counters in the
 * calling thread's network namespace ({@code /proc/thread-self/net/snmp} and {@code snmp6}):
 * segments refused for a bad checksum (TCP, UDP, UDP over IPv6) and datagrams a full socket
 * buffer dropped, and what one interface dropped on receive ({@code /proc/net/dev}: the TAP
 * we write into when its backlog is full, a NIC whose ring overflowed). The first two count
 * every packet of the namespace, not only ours, which is what an operator needs to see: a host
 * path that "passes" packets while these rise is losing them. Values are differences since
 * construction; reading costs some microseconds, so {@link #refresh(long)} reads at most every
 * {@code minIntervalNanos}, and only the files asked for.
 */
public final class KernelVerdicts {
    private static final Path SNMP = Path.of("/proc/thread-self/net/snmp");
    private static final Path SNMP6 = Path.of("/proc/thread-self/net/snmp6");
    private static final Path DEV = Path.of("/proc/thread-self/net/dev");

    private final String ifName;
    private final boolean namespace;
    private final long[] base;
    private final long[] now;
    private long readAt;

    /** Index of the counters in {@link #read()}. */
    private static final int TCP_CSUM = 0, UDP_CSUM = 1, UDP6_CSUM = 2, UDP_RCVBUF = 3, UDP6_RCVBUF = 4, IF_RX_DROP = 5;

    /** The namespace's counters, and interface {@code ifName}'s receive drops (null: none). */
    public KernelVerdicts(String ifName) {
        this(ifName, true);
    }

    /** Interface {@code ifName}'s receive drops alone. */
    public static KernelVerdicts interfaceOnly(String ifName) {
        return new KernelVerdicts(ifName, false);
    }

    private KernelVerdicts(String ifName, boolean namespace) {
        this.ifName = ifName;
        this.namespace = namespace;
        base = read();
        now = base.clone();
        readAt = System.nanoTime();
    }

    /** Reads the counters again when the last read is older than {@code minIntervalNanos}. */
    public void refresh(long minIntervalNanos) {
        long t = System.nanoTime();
        if (t - readAt >= minIntervalNanos) {
            long[] v = read();
            System.arraycopy(v, 0, now, 0, v.length);
            readAt = t;
        }
    }

    /** TCP and UDP segments (IPv4 and IPv6) the kernel refused for their checksum since construction. */
    public long checksumErrors() {
        return delta(TCP_CSUM) + delta(UDP_CSUM) + delta(UDP6_CSUM);
    }

    /** UDP datagrams dropped because a socket's receive buffer was full, since construction. */
    public long socketBufferDrops() {
        return delta(UDP_RCVBUF) + delta(UDP6_RCVBUF);
    }

    /** Frames the interface given at construction dropped on receive since then (rx dropped, missed, FIFO errors). */
    public long interfaceDrops() {
        return delta(IF_RX_DROP);
    }

    private long delta(int i) {
        return Math.max(0, now[i] - base[i]);
    }

    private long[] read() {
        long[] v = new long[6];
        if (namespace) {
            readNamespace(v);
        }
        if (ifName != null) {
            readInterface(v);
        }
        return v;
    }

    private static void readNamespace(long[] v) {
        try {
            List<String> lines = Files.readAllLines(SNMP);
            v[TCP_CSUM] = field(lines, "Tcp:", "InCsumErrors");
            v[UDP_CSUM] = field(lines, "Udp:", "InCsumErrors");
            v[UDP_RCVBUF] = field(lines, "Udp:", "RcvbufErrors");
        } catch (IOException | RuntimeException e) {
            // no IPv4 counters here: zeros
        }
        try {
            for (String line : Files.readAllLines(SNMP6)) {
                String[] w = line.trim().split("\\s+");
                if (w.length == 2 && w[0].equals("Udp6InCsumErrors")) {
                    v[UDP6_CSUM] = Long.parseLong(w[1]);
                } else if (w.length == 2 && w[0].equals("Udp6RcvbufErrors")) {
                    v[UDP6_RCVBUF] = Long.parseLong(w[1]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // IPv6 disabled: zeros
        }
    }

    private void readInterface(long[] v) {
        try {
            for (String line : Files.readAllLines(DEV)) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).trim().equals(ifName)) {
                    String[] w = line.substring(colon + 1).trim().split("\\s+");
                    // receive: bytes packets errs drop fifo ...; drop is rx_dropped + rx_missed_errors (a NIC's
                    // full ring), fifo is rx_fifo_errors
                    v[IF_RX_DROP] = Long.parseLong(w[3]) + Long.parseLong(w[4]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // not readable: zero
        }
    }

    /** /proc/net/snmp has a header line of names, then a line of values, per protocol. */
    private static long field(List<String> lines, String protocol, String name) {
        for (int i = 0; i + 1 < lines.size(); i++) {
            String[] names = lines.get(i).trim().split("\\s+");
            String[] values = lines.get(i + 1).trim().split("\\s+");
            if (names[0].equals(protocol) && values[0].equals(protocol)) {
                for (int k = 1; k < names.length && k < values.length; k++) {
                    if (names[k].equals(name)) {
                        return Long.parseLong(values[k]);
                    }
                }
                return 0;
            }
        }
        return 0;
    }
}
