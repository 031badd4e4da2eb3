package io.netbypass.filter.engine;

import io.netbypass.port.DriverRules;
import io.netbypass.port.Port;
import io.netbypass.util.UserException;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.IntConsumer;

import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.IdleStrategy;

/**
 * The filter: one rule set run by N {@link FilterWorker}s, each over RX queues of its own, on a
 * thread of its own ({@link #start}) or on the caller's ({@link #doWork}).
 *
 * <p>A new rule set ({@link #reload}) is made ready for every worker (a lane each, the rate
 * limiters of the rules it keeps) and then published in one volatile store; each worker picks it
 * up at the start of its next batch, so every batch runs under one complete rule set and the
 * swap reaches every worker within one batch. The counters are the workers' own; totals are
 * their sums ({@link #totals}).
 */
public final class FilterEngine implements AutoCloseable {
    private final FilterWorker[] workers;
    private final long origin = System.nanoTime();
    private volatile FilterProgram latest;
    private AgentRunner[] runners;

    /** One worker over one port (all its RX rings), run by the caller's thread. */
    public FilterEngine(Port port, FilterProgram program) {
        this(List.of(List.of(port)), program);
    }

    /** Worker {@code w} filters the ports {@code ports.get(w)}. */
    public FilterEngine(List<List<Port>> ports, FilterProgram program) {
        if (ports.isEmpty()) {
            throw new UserException("a filter needs at least one worker");
        }
        for (List<Port> set : ports) {
            for (Port p : set) {
                check(p, program, "");
                if (p.rxRings() == 0) {
                    throw new UserException(p.name() + " has no RX ring to filter (a /T port transmits only)");
                }
            }
        }
        workers = new FilterWorker[ports.size()];
        program.prepare(workers.length, null);
        program.blocklist().origin(origin);
        latest = program;
        for (int w = 0; w < workers.length; w++) {
            workers[w] = new FilterWorker(this, w, ports.get(w));
        }
    }

    private static void check(Port p, FilterProgram program, String old) {
        if (program.transmits() && p.txRings() == 0) {
            throw new UserException("the " + (old.isEmpty() ? "" : "new ") + "rules send packets back out (tx) but " + p.name()
                    + " has no TX ring: open the queue for both directions (without /R)" + old);
        }
    }

    long origin() {
        return origin;
    }

    /** The engine's clock: nanoseconds since it was made (the workers' time, and the blocklist's). */
    public long now() {
        return System.nanoTime() - origin;
    }

    /**
     * The control thread's part of the blocklist, ten times a second: takes the workers' offers
     * in, forgets what expired, publishes the table (the drivers hear of every change).
     */
    public void refreshBlocklist() {
        latest.blocklist().refresh(now());
    }

    FilterProgram latest() {
        return latest;
    }

    /** Runs {@code next} on every worker from its next batch. A program that needs TX on a port without it is refused. */
    public synchronized void reload(FilterProgram next) {
        for (FilterWorker w : workers) {
            for (Port p : w.ports()) {
                check(p, next, "; the old rules keep running");
            }
        }
        next.prepare(workers.length, latest);
        latest = next;
    }

    /** The rule set the workers run (the latest one given: each takes it at its next batch). */
    public FilterProgram program() {
        return latest;
    }

    public int workers() {
        return workers.length;
    }

    public FilterWorker worker(int w) {
        return workers[w];
    }

    /** The first port of the first worker: the port, for an engine made over one. */
    public Port port() {
        return workers[0].ports().getFirst();
    }

    /** Every port of every worker, worker by worker. */
    public List<Port> ports() {
        List<Port> all = new ArrayList<>();
        for (FilterWorker w : workers) {
            all.addAll(w.ports());
        }
        return all;
    }

    /** The rule engines in front of the ports ({@link Port#driverRules()}: XDP), each once. */
    public List<DriverRules> drivers() {
        List<DriverRules> out = new ArrayList<>();
        for (Port p : ports()) {
            DriverRules d = p.driverRules();
            if (d != null && out.stream().noneMatch(x -> x == d)) {
                out.add(d);
            }
        }
        return out;
    }

    /**
     * The workers' counters summed, indexed by {@link FilterCounter#ordinal()}; reloads are the most
     * any worker swapped in (each worker swaps in every reload).
     */
    public long[] totals() {
        long[] sum = new long[FilterCounter.COUNT];
        long reloads = 0;
        for (FilterWorker w : workers) {
            w.counters().addTo(sum);
            reloads = Math.max(reloads, w.counters().reloads());
        }
        sum[FilterCounter.RELOADS.ordinal()] = reloads;
        return sum;
    }

    /**
     * Packets, bytes and over-rate drops of {@code labels}'s rules (the default last), each worker
     * counted in the program it runs now: a rule kept over a reload keeps its counts, whether a
     * worker has swapped to the new rules yet or not (so the sums never go down).
     */
    public long[][] ruleCounts(FilterProgram labels) {
        int n = labels.rules().size() + 1;
        long[][] out = new long[3][n];
        for (int w = 0; w < workers.length; w++) {
            FilterProgram runs = workers[w].running();
            if (runs == null) {
                continue;
            }
            FilterProgram.Lane lane = runs.lane(w);
            for (int r = 0; r < n; r++) {
                int at = runs == labels ? r : labels.carriedFrom(r, runs);
                if (at >= 0) {
                    out[0][r] += lane.packets[at];
                    out[1][r] += lane.bytes[at];
                    out[2][r] += lane.limited[at];
                }
            }
        }
        return out;
    }

    /** The workers' counters summed, as a block (for the summary). */
    public FilterCounters counters() {
        return FilterCounters.of(totals());
    }

    /** One duty cycle of every worker on the calling thread; returns the packets decided. */
    public int doWork(long nowNanos) {
        int work = 0;
        for (FilterWorker w : workers) {
            work += w.doWork(nowNanos);
        }
        return work;
    }

    // ------------------------------------------------------------------------------ threads

    /**
     * Starts a thread per worker, named {@code filter-worker-N}, under Agrona's {@code AgentRunner}:
     * {@code onStart} runs first on each (pinning it, say: an exception there fails the start), then
     * the duty cycle with {@code idle}'s strategy for the worker's ports (made again when they
     * change). An exception of a cycle is counted ({@link FilterCounter#ERRORS}) and kept
     * ({@link FilterWorker#lastError}); the worker goes on.
     */
    public synchronized void start(Function<List<Port>, IdleStrategy> idle, IntConsumer onStart) throws InterruptedException {
        if (runners != null) {
            throw new IllegalStateException("already started");
        }
        CountDownLatch started = new CountDownLatch(workers.length);
        Throwable[] failed = new Throwable[workers.length];
        for (int w = 0; w < workers.length; w++) {
            int index = w;
            // The idle strategies first (a port that cannot wait is refused here): no thread runs yet.
            workers[w].threading(idle, () -> {
                try {
                    onStart.accept(index);
                } catch (RuntimeException | Error e) {
                    failed[index] = e;
                    throw e;
                } finally {
                    started.countDown();
                }
            });
        }
        runners = new AgentRunner[workers.length];
        for (int w = 0; w < workers.length; w++) {
            FilterWorker worker = workers[w];
            runners[w] = new AgentRunner(worker.idleStrategy(), worker::onError, null, worker);
            AgentRunner.startOnThread(runners[w], r -> new Thread(r, worker.roleName()));
        }
        started.await();
        for (Throwable t : failed) {
            if (t != null) {
                close();
                if (t instanceof RuntimeException e) {
                    throw e;
                }
                throw (Error) t;
            }
        }
    }

    /**
     * Whether every worker's traffic came to its end and was decided (ports with an end: files, a
     * software wire); never while no worker has a port (every queue taken out: one may be added).
     */
    public boolean ended() {
        boolean any = false;
        for (FilterWorker w : workers) {
            if (!w.ended()) {
                return false;
            }
            any |= !w.ports().isEmpty();
        }
        return any;
    }

    /** A worker that gave up (its duty cycle threw {@link FilterWorker#GIVE_UP} times in a row), or null. */
    public FilterWorker failed() {
        for (FilterWorker w : workers) {
            if (w.gaveUp()) {
                return w;
            }
        }
        return null;
    }

    /**
     * Ends the run: every port stops receiving (its queues go back to the kernel, a software wire
     * stops), the workers decide what the rings already hold, then their threads end. Waits at
     * most {@code timeoutNanos} for the draining; returns false when a worker had not finished.
     */
    public boolean stop(long timeoutNanos) {
        AgentRunner[] rs;
        synchronized (this) {
            rs = runners;
        }
        for (FilterWorker w : workers) {
            w.stop();
        }
        boolean drained = true;
        if (rs == null) {
            long end = System.nanoTime() + timeoutNanos;
            while (!allDone() && System.nanoTime() - end < 0) {
                doWork(System.nanoTime() - origin);
            }
            drained = allDone();
        } else {
            long end = System.nanoTime() + timeoutNanos;
            while (!allDone() && System.nanoTime() - end < 0) {
                try {
                    TimeUnit.MILLISECONDS.sleep(1);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            drained = allDone();
        }
        close();
        return drained;
    }

    private boolean allDone() {
        for (FilterWorker w : workers) {
            if (!w.done()) {
                return false;
            }
        }
        return true;
    }

    /**
     * Gives {@code port} (opened by the caller on one queue) to worker {@code w} from its next batch.
     * The future completes once the worker filters it.
     */
    public CompletableFuture<Void> add(int w, Port port) {
        check(port, latest, "");
        return workers[w].add(port);
    }

    /**
     * Takes {@code port} out of the worker that filters it: its queues stop receiving (back to the
     * kernel), what its rings hold is decided, then the future completes and the caller closes it.
     */
    public CompletableFuture<Void> remove(Port port) {
        for (FilterWorker w : workers) {
            if (w.ports().contains(port)) {
                return w.remove(port);
            }
        }
        return CompletableFuture.failedFuture(new IllegalArgumentException(port.name() + " is not filtered here"));
    }

    /** The worker with the fewest ports (the first such): where a new queue goes. */
    public int leastLoaded() {
        int best = 0;
        for (int w = 1; w < workers.length; w++) {
            if (workers[w].ports().size() < workers[best].ports().size()) {
                best = w;
            }
        }
        return best;
    }

    /** Stops the worker threads (after {@link #stop}, or at once); the ports stay open: the caller closes them. */
    @Override
    public synchronized void close() {
        if (runners != null) {
            for (AgentRunner r : runners) {
                if (r != null) {
                    r.close();
                }
            }
        }
    }
}
