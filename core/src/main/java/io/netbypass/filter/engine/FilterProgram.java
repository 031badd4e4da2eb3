package io.netbypass.filter.engine;

import io.netbypass.filter.classify.CompiledClassifier;
import io.netbypass.filter.classify.RuleClassifier;
import io.netbypass.filter.rules.Action;
import io.netbypass.filter.rules.RuleParser;
import io.netbypass.filter.rules.RuleSet;
import io.netbypass.filter.rules.RuleSyntaxException;
import io.netbypass.packet.Bytes;
import io.netbypass.packet.ParsedPacket;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A rule set ready to run: the compiled classifier, a rate limiter per ratelimit rule and packet
 * and byte counters per rule (the last slot counts the default). Built whole, aside, then
 * swapped in: a reload never runs half a rule set.
 *
 * <p>Every worker of an engine runs the same program through a {@link Lane} of its own (a copy of
 * the classifier's scratch state and its own per-rule counters), and shares the rate limiters, so
 * a limit holds in total across workers. A rule's counters are the sum over the lanes; other
 * threads read them with a short delay (plain reads of longs the workers write).
 */
public final class FilterProgram {
    /** Sources, destinations or flows each per-key ratelimit rule tracks. */
    public static final int RATE_KEYS = 1 << 16;
    /** A lane offers the same source to the blocklist again after this long (its refresh may not have run). */
    private static final long OFFER_AGAIN_NANOS = 250_000_000L;

    private final RuleSet rules;
    private final RuleClassifier classifier;
    private final int[] kind;
    private final Action.Per[] per;
    private final RateLimiter[] limiters;
    /** Per rule: how long a source over its rate is blocked (0: not). */
    private final long[] blockNanos;
    private final boolean blocks;
    /** The sources blocked: a program's own, or (after {@link #prepare}) the one of the program it replaces. */
    private Blocklist blocklist = new Blocklist();
    private final int defaultIndex;
    /** One per worker; lane 0 also serves {@link #decide} (the offline filter, tests). */
    private volatile Lane[] lanes;

    public FilterProgram(RuleSet rules, RuleClassifier classifier) {
        this.rules = rules;
        this.classifier = classifier;
        int n = rules.size();
        defaultIndex = n;
        kind = new int[n + 1];
        per = new Action.Per[n + 1];
        limiters = new RateLimiter[n + 1];
        blockNanos = new long[n + 1];
        boolean anyBlock = false;
        for (int r = 0; r <= n; r++) {
            Action a = action(r);
            kind[r] = a.kind().ordinal();
            per[r] = a.per();
            blockNanos[r] = a.blockNanos();
            anyBlock |= a.blockNanos() > 0;
            if (a.kind() == Action.Kind.RATELIMIT) {
                limiters[r] = new RateLimiter(a.rate(), a.burst(), a.per() == Action.Per.RULE ? 0 : RATE_KEYS);
            }
        }
        blocks = anyBlock;
        lanes = new Lane[] {new Lane(classifier)};
    }

    private Action action(int r) {
        return r < rules.size() ? rules.rule(r).action() : rules.defaultAction();
    }

    /**
     * One worker's way through the program: its own classifier state and per-rule counters.
     * Used by that worker's thread only.
     */
    public final class Lane {
        private final RuleClassifier classifier;
        final long[] packets;
        final long[] bytes;
        final long[] limited;
        /** Per ratelimit rule: the time of the last packet it decided, and the intervals its limiter had earned then. */
        private final long[] earnedAt;
        private final long[] earnedThen;
        /** Sources this lane offered to the blocklist lately (by bucket key, and when): one offer per source per refresh. */
        private final long[] offeredKey = new long[256];
        private final long[] offeredAt = new long[256];

        Lane(RuleClassifier template) {
            this.classifier = template.forAnotherThread();
            int n = kind.length;
            packets = new long[n];
            bytes = new long[n];
            limited = new long[n];
            earnedAt = new long[n];
            earnedThen = new long[n];
            Arrays.fill(earnedAt, Long.MIN_VALUE);
        }

        /**
         * The verdict for one parsed packet at {@code nowNanos} (any origin, never backwards), counting
         * it against the rule that decided.
         */
        public int decide(ParsedPacket p, int wireLength, long nowNanos) {
            if (blocklist.blocked(p, nowNanos)) {
                return Verdict.BLOCKED;
            }
            int r = classifier.classify(p, wireLength);
            int i = r == RuleClassifier.DEFAULT ? defaultIndex : r;
            packets[i]++;
            bytes[i] += wireLength;
            switch (kind[i]) {
                case 0: // DROP
                    return Verdict.DROP;
                case 1: // PASS
                    return Verdict.PASS;
                case 2: // TX
                    return Verdict.TX;
                default: {
                    RateLimiter limiter = limiters[i];
                    // A batch is decided at one instant: the intervals earned by then are worked out once per rule.
                    long earned;
                    if (nowNanos == earnedAt[i]) {
                        earned = earnedThen[i];
                    } else {
                        earned = limiter.earned(nowNanos);
                        earnedAt[i] = nowNanos;
                        earnedThen[i] = earned;
                    }
                    long key = per[i] == Action.Per.RULE ? 0 : key(p, per[i]);
                    boolean ok = per[i] == Action.Per.RULE ? limiter.conformEarned(earned) : limiter.conformEarned(key, earned);
                    if (ok) {
                        return Verdict.PASS;
                    }
                    limited[i]++;
                    if (blockNanos[i] != 0) {
                        offerBlock(p, key, nowNanos, blockNanos[i]);
                    }
                    return Verdict.LIMITED;
                }
            }
        }

        private void offerBlock(ParsedPacket p, long key, long nowNanos, long block) {
            int at = (int) (key ^ key >>> 32) & (offeredKey.length - 1);
            if (offeredKey[at] == key && nowNanos - offeredAt[at] < OFFER_AGAIN_NANOS && nowNanos >= offeredAt[at]) {
                return; // offered lately: the control thread takes it in at its next refresh
            }
            if (blocklist.offer(p, nowNanos + block)) {
                offeredKey[at] = key;
                offeredAt[at] = nowNanos;
            }
        }

        /**
         * Adds the counts {@code from} (the same worker's lane of the program this one replaces) has for
         * the rules this program keeps ({@link #carriedFrom}): a reload keeps the counts of the rules it
         * keeps. Called by the worker as it switches, so nothing it counts is missed or counted twice.
         */
        void carry(Lane from) {
            FilterProgram old = from.program();
            for (int r = 0; r < kind.length; r++) {
                int o = carriedFrom(r, old);
                if (o >= 0) {
                    packets[r] += from.packets[o];
                    bytes[r] += from.bytes[o];
                    limited[r] += from.limited[o];
                }
            }
        }

        FilterProgram program() {
            return FilterProgram.this;
        }
    }

    /** Which rule of a previous program each rule here takes over ({@link RuleSet#keptFrom}), for the last program asked. */
    private record Kept(FilterProgram old, int[] from) {
    }

    private volatile Kept kept;

    /** The index in {@code old} of the rule whose counts and limiter rule {@code r} takes over at a reload, or -1. */
    int carriedFrom(int r, FilterProgram old) {
        Kept k = kept;
        if (k == null || k.old() != old) {
            k = new Kept(old, rules.keptFrom(old.rules));
            kept = k;
        }
        return k.from()[r];
    }

    /** The lane of worker {@code w} (made by {@link #prepare}). */
    public Lane lane(int w) {
        return lanes[w];
    }

    /**
     * Makes lanes for {@code workers} workers and takes over the rate limiters of {@code previous}
     * (may be null) for every ratelimit rule it keeps unchanged (the same name, tests and action): a
     * reload does not hand every limited source a fresh burst. Called before the program runs.
     */
    public synchronized void prepare(int workers, FilterProgram previous) {
        Lane[] have = lanes;
        if (have.length < workers) {
            Lane[] more = Arrays.copyOf(have, workers);
            for (int w = have.length; w < workers; w++) {
                more[w] = new Lane(classifier);
            }
            lanes = more;
        }
        if (previous != null && previous != this) {
            blocklist = previous.blocklist; // a blocked source stays blocked over a reload
            for (int r = 0; r < limiters.length; r++) {
                int o = carriedFrom(r, previous);
                if (limiters[r] != null && o >= 0 && previous.limiters[o] != null
                        && (r == defaultIndex || RuleSet.same(rules.rule(r), previous.rules.rule(o)))) {
                    limiters[r] = previous.limiters[o];
                }
            }
        }
    }

    /** Parses and compiles a rules file. */
    public static FilterProgram load(Path file) throws IOException, RuleSyntaxException {
        RuleSet set = RuleParser.parse(file);
        return new FilterProgram(set, CompiledClassifier.compile(set));
    }

    /** Parses and compiles rules given as text; {@code source} names them in errors, lists resolve against {@code dir}. */
    public static FilterProgram parse(String source, String text, Path dir) throws RuleSyntaxException {
        RuleSet set = RuleParser.parse(source, text, dir);
        return new FilterProgram(set, CompiledClassifier.compile(set));
    }

    /** A rules file shipped in the jar, e.g. {@code examples/dns-flood.rules}. */
    public static FilterProgram shipped(String name) throws IOException, RuleSyntaxException {
        try (var in = FilterProgram.class.getResourceAsStream("/" + name)) {
            if (in == null) {
                throw new NoSuchFileException(name + ": not in this build");
            }
            return parse(name, new String(in.readAllBytes(), StandardCharsets.UTF_8), null);
        }
    }

    public RuleSet rules() {
        return rules;
    }

    /** The same rules and classifier with counters and rate limiters of its own (for a warm-up). */
    public FilterProgram copy() {
        return new FilterProgram(rules, classifier);
    }

    /** True when some rule (or the default) passes packets to the kernel (rate limits pass what is under the rate). */
    public boolean passes() {
        for (int k : kind) {
            if (k == Action.Kind.PASS.ordinal() || k == Action.Kind.RATELIMIT.ordinal()) {
                return true;
            }
        }
        return false;
    }

    /** True when some rule (or the default) sends packets back out: the port needs a TX ring. */
    public boolean transmits() {
        for (int k : kind) {
            if (k == Action.Kind.TX.ordinal()) {
                return true;
            }
        }
        return false;
    }

    /** {@link Lane#decide} on lane 0: for one thread deciding outside an engine (offline, tests). */
    public int decide(ParsedPacket p, int wireLength, long nowNanos) {
        return lanes[0].decide(p, wireLength, nowNanos);
    }

    /** The bucket key: source or destination address, or the 5-tuple. */
    private static long key(ParsedPacket p, Action.Per per) {
        int v = p.ipVersion();
        if (v == 4) {
            long src = p.ipv4Source() & 0xffff_ffffL;
            long dst = p.ipv4Destination() & 0xffff_ffffL;
            return switch (per) {
                case SRC -> src | 4L << 32;
                case DST -> dst | 4L << 32;
                default -> flow(src, dst, p);
            };
        }
        if (v == 6) {
            long at = p.base() + p.l3Offset();
            long src = RateLimiter.key128(Bytes.i64(p.segment(), at + 8), Bytes.i64(p.segment(), at + 16));
            long dst = RateLimiter.key128(Bytes.i64(p.segment(), at + 24), Bytes.i64(p.segment(), at + 32));
            return switch (per) {
                case SRC -> src;
                case DST -> dst;
                default -> flow(src, dst, p);
            };
        }
        return 0; // non-IP frames share one bucket
    }

    private static long flow(long src, long dst, ParsedPacket p) {
        long ports = p.sourcePort() == ParsedPacket.NONE ? 0 : (long) p.sourcePort() << 16 | p.destinationPort();
        return RateLimiter.mix(RateLimiter.mix(src * 0x9E3779B97F4A7C15L ^ dst) ^ (long) p.ipProtocol() << 32 ^ ports);
    }

    // ---------------------------------------------------------------- counters

    /** Packets rule {@code r} decided ({@code r == rules().size()}: the default), summed over the workers. */
    public long packets(int r) {
        long sum = 0;
        for (Lane l : lanes) {
            sum += l.packets[r];
        }
        return sum;
    }

    public long bytes(int r) {
        long sum = 0;
        for (Lane l : lanes) {
            sum += l.bytes[r];
        }
        return sum;
    }

    /** Packets rule {@code r} dropped for being over its rate. */
    public long limited(int r) {
        long sum = 0;
        for (Lane l : lanes) {
            sum += l.limited[r];
        }
        return sum;
    }

    /** Keys a ratelimit rule forgot while they were still limited (its table was too small). */
    public long evictions(int r) {
        return limiters[r] == null ? 0 : limiters[r].evictions();
    }

    /** The sources blocked ({@code ratelimit ... block}, {@code netbypass blocklist}), shared with the programs it replaces. */
    public Blocklist blocklist() {
        return blocklist;
    }

    /** Whether a rule blocks sources over its rate ({@code block DURATION}). */
    public boolean blocks() {
        return blocks;
    }

    /** Rule name for counter {@code r}: the rule's name, or "default". */
    public String name(int r) {
        return r == defaultIndex ? "default" : rules.rule(r).name();
    }
}
