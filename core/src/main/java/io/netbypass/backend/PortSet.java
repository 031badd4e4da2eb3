package io.netbypass.backend;

import io.netbypass.backend.vnic.VnicWire;
import io.netbypass.backend.vnic.Vnics;
import io.netbypass.port.Port;
import io.netbypass.port.PortException;
import io.netbypass.port.PortName;
import io.netbypass.util.UserException;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The ports of one filter, spread over its workers. One worker takes the port as named (every
 * queue it names on one port). Several take a port per RX queue of the device the name covers
 * ({@code xdp:eth3/R} on 4 queues: {@code xdp:eth3-0/R} .. {@code xdp:eth3-3/R}), queue q to
 * worker q mod N. A software NIC's wire is fed once for all its ports ({@link #startTraffic}). Queues are added and
 * taken out by number while the filter runs ({@link #openQueue}, {@link #forget}). A backend that
 * cannot split by queue but shares a device's traffic ({@code afpacket:}'s fanout) gives each
 * worker a member port instead: then there is no queue to add or take out.
 */
public final class PortSet implements AutoCloseable {
    private final PortName name;
    private final PortOptions options;
    private final List<List<Port>> workers = new ArrayList<>();
    /** The port of each queue opened one by one (all of them when the name was split; added ones). */
    private final Map<Integer, Port> byQueue = new TreeMap<>();
    private final List<Port> all = new ArrayList<>();
    private VnicWire wire;
    /** Whether the workers share the device's traffic as fanout members (no queue to add or take out). */
    private boolean members;

    private PortSet(PortName name, PortOptions options) {
        this.name = name;
        this.options = options;
    }

    /** Opens {@code text} for {@code workers} workers (see the class comment); on failure, closes what it opened. */
    public static PortSet open(String text, PortOptions options, int workers) {
        if (!PortName.hasBackend(text)) {
            throw new PortException("'" + text + "': a port name starts with its backend: " + Ports.PREFIXES);
        }
        PortName name = PortName.parse(text, "none");
        PortSet set = new PortSet(name, options);
        try {
            boolean vnic = name.backend().equals("vnic");
            PortOptions each = vnic ? options.withWire(null) : options; // the wire is fed once, by startTraffic
            if (workers == 1) {
                Port p = Ports.open(name, each);
                set.workers.add(new ArrayList<>(List.of(p)));
                set.all.add(p);
                if (name.register() == PortName.Register.ONE_NIC) {
                    set.byQueue.put(name.ring(), p);
                }
                return set;
            }
            if (name.register() == PortName.Register.ALL_NIC && Ports.sharesTraffic(name.backend())) {
                List<Port> members = Ports.openMembers(name, options, workers);
                for (Port p : members) {
                    set.workers.add(new ArrayList<>(List.of(p)));
                    set.all.add(p);
                }
                set.members = true;
                return set;
            }
            checkWorkers(name, workers);
            int queues = Ports.rxQueues(name.backend(), name.device());
            if (workers > queues) {
                throw new UserException(name.backend() + ":" + name.device() + " has " + queues + " RX queue"
                        + (queues == 1 ? "" : "s") + ": at most " + queues + " workers (a worker per queue)");
            }
            for (int w = 0; w < workers; w++) {
                set.workers.add(new ArrayList<>());
            }
            for (int q = 0; q < queues; q++) {
                Port p = Ports.open(set.queueName(q), each);
                set.byQueue.put(q, p);
                set.all.add(p);
                set.workers.get(q % workers).add(p);
            }
            return set;
        } catch (RuntimeException e) {
            set.close();
            throw e;
        }
    }

    /**
     * Refuses a name that several workers cannot share (one queue, the host rings): checked before
     * anything opens.
     */
    public static void checkWorkers(PortName name, int workers) {
        if (workers > 1 && name.register() != PortName.Register.ALL_NIC) {
            throw new UserException(name + " is not a device's every queue: " + workers + " workers take "
                    + name.backend() + ":" + name.device() + "/R (a port per queue, or per fanout member), one worker any port");
        }
    }

    /** The name of queue {@code q}'s own port: this set's name with the queue ({@code xdp:eth3-5/R}). */
    public PortName queueName(int q) {
        return new PortName(name.backend(), name.device(), PortName.Register.ONE_NIC, q, name.flags(), name.config());
    }

    /** The name as given. */
    public PortName name() {
        return name;
    }

    /** The ports of each worker, worker by worker. */
    public List<List<Port>> perWorker() {
        return workers;
    }

    /** Every port open now. */
    public synchronized List<Port> ports() {
        return List.copyOf(all);
    }

    /** The queues opened one by one, with their ports. */
    public synchronized Map<Integer, Port> queues() {
        return Collections.unmodifiableMap(new TreeMap<>(byQueue));
    }

    /** Why no queue can be added or taken out, or null when they can. */
    public String noQueues() {
        if (members) {
            return name + ": the workers share " + name.device() + "'s traffic as " + name.backend() + " fanout members:"
                    + " there is no queue to add or take out (take queues with xdp:" + name.device() + "/R --workers N)";
        }
        if (byQueue.isEmpty()) {
            return name + " takes every queue of " + name.device() + " on one port: run with --workers (a port per queue)"
                    + " to take queues out and back";
        }
        return null;
    }

    /**
     * Opens queue {@code q}'s own port, to be added to a worker. Refused when the set has it, or
     * when its one port already covers every queue.
     */
    public synchronized Port openQueue(int q) {
        if (noQueues() != null) {
            throw new UserException(noQueues());
        }
        if (byQueue.containsKey(q)) {
            throw new UserException("queue " + q + " is already filtered (" + byQueue.get(q).name() + ")");
        }
        Port p = Ports.open(queueName(q), options.withWire(null));
        byQueue.put(q, p);
        all.add(p);
        return p;
    }

    /** The port of queue {@code q}, or null. */
    public synchronized Port queue(int q) {
        return byQueue.get(q);
    }

    /** Forgets queue {@code q}'s port (the engine gave it back; the caller closes it). */
    public synchronized void forget(int q) {
        Port p = byQueue.remove(q);
        all.remove(p);
        for (List<Port> w : workers) {
            w.remove(p);
        }
    }

    /**
     * Starts the traffic the set feeds itself, once its workers run: a software NIC's wire, fed with
     * the options' traffic for all its ports (none for a real device). Started before, frames would
     * pile up in the rings, and spill, while the workers start.
     */
    public void startTraffic() {
        if (wire == null && name.backend().equals("vnic") && options.wire() != null) {
            wire = Vnics.get(name.device()).feed(options.wire());
        }
    }

    /**
     * Ends the traffic the set feeds itself (a software NIC's wire shared by its ports): stops it
     * and waits for its last batch, so that the ports then drain every frame it sent. Nothing to
     * do for a real device.
     */
    public void endTraffic() {
        if (wire != null) {
            wire.stop();
            wire.join(10_000);
        }
    }

    /** Closes every port (the wire first). */
    @Override
    public synchronized void close() {
        endTraffic();
        RuntimeException first = null;
        for (Port p : all) {
            try {
                p.close();
            } catch (RuntimeException e) {
                first = first == null ? e : first;
            }
        }
        if (wire != null) {
            Vnics.get(name.device()).unfeed(wire);
        }
        all.clear();
        byQueue.clear();
        if (first != null) {
            throw first;
        }
    }
}
