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

/**
 * A rule set ready to run: the compiled classifier, a rate limiter per ratelimit rule and packet
 * and byte counters per rule (the last slot counts the default). Built whole, aside, then
 * swapped in: a reload never runs half a rule set. One worker thread uses it; other threads
 * may read the counters (plain reads of longs the worker writes: approximate while it runs).
 */
public final class FilterProgram {
    /** Sources, destinations or flows each per-key ratelimit rule tracks. */
    public static final int RATE_KEYS = 1 << 16;

    private final RuleSet rules;
    private final RuleClassifier classifier;
    private final int[] kind;
    private final Action.Per[] per;
    private final RateLimiter[] limiters;
    private final long[] packets;
    private final long[] bytes;
    private final long[] limited;
    private final int defaultIndex;

    public FilterProgram(RuleSet rules, RuleClassifier classifier) {
        this.rules = rules;
        this.classifier = classifier;
        int n = rules.size();
        defaultIndex = n;
        kind = new int[n + 1];
        per = new Action.Per[n + 1];
        limiters = new RateLimiter[n + 1];
        for (int r = 0; r <= n; r++) {
            Action a = r < n ? rules.rule(r).action() : rules.defaultAction();
            kind[r] = a.kind().ordinal();
            per[r] = a.per();
            if (a.kind() == Action.Kind.RATELIMIT) {
                limiters[r] = new RateLimiter(a.rate(), a.burst(), a.per() == Action.Per.RULE ? 0 : RATE_KEYS);
            }
        }
        packets = new long[n + 1];
        bytes = new long[n + 1];
        limited = new long[n + 1];
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

    /**
     * The verdict for one parsed packet at {@code nowNanos} (any origin, never backwards), counting it
     * against the rule that decided.
     */
    public int decide(ParsedPacket p, int wireLength, long nowNanos) {
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
                boolean ok = per[i] == Action.Per.RULE ? limiter.conform(nowNanos) : limiter.conform(key(p, per[i]), nowNanos);
                if (ok) {
                    return Verdict.PASS;
                }
                limited[i]++;
                return Verdict.LIMITED;
            }
        }
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

    /** Packets rule {@code r} decided ({@code r == rules().size()}: the default). */
    public long packets(int r) {
        return packets[r];
    }

    public long bytes(int r) {
        return bytes[r];
    }

    /** Packets rule {@code r} dropped for being over its rate. */
    public long limited(int r) {
        return limited[r];
    }

    /** Keys a ratelimit rule forgot while they were still limited (its table was too small). */
    public long evictions(int r) {
        return limiters[r] == null ? 0 : limiters[r].evictions();
    }

    /** Rule name for counter {@code r}: the rule's name, or "default". */
    public String name(int r) {
        return r == defaultIndex ? "default" : rules.rule(r).name();
    }
}
