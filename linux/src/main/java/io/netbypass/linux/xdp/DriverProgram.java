package io.netbypass.linux.xdp;

import io.netbypass.filter.rules.PrefixList;
import io.netbypass.filter.rules.RuleSet;
import io.netbypass.linux.Errno;
import io.netbypass.linux.LinuxException;
import io.netbypass.linux.Native;
import io.netbypass.linux.bpf.Bpf;

import java.util.IdentityHashMap;
import java.util.Map;

/**
 * One rule set loaded as an XDP program ({@link DriverVerdicts}) with its maps: the prefix lists
 * (tries or hash maps, whichever looks each list up faster: {@link ListLookup}) and the per-CPU
 * counters of each rule. The verifier bounds a program; when it refuses one as too large or too
 * complex, fewer rules go into the driver (half, then half again) and the rest run in user space,
 * as the plan says.
 */
final class DriverProgram implements AutoCloseable {
    private final RuleSet rules;
    private final DriverVerdicts.Plan plan;
    private final int programFd;
    private final int counters;
    private final Map<PrefixList, ListLookup> lists;

    private final boolean checksBlocklist;

    private DriverProgram(RuleSet rules, DriverVerdicts.Plan plan, int programFd, int counters, Map<PrefixList, ListLookup> lists,
                          boolean checksBlocklist) {
        this.checksBlocklist = checksBlocklist;
        this.rules = rules;
        this.plan = plan;
        this.programFd = programFd;
        this.counters = counters;
        this.lists = lists;
    }

    /**
     * Loads {@code rules} for the queues in {@code xskMapFd}, dropping the sources in {@code
     * blocklistFd} first ({@code < 0}: no blocklist; its count is the slot after the default's); pass
     * verdicts go to the kernel only with {@code passes}.
     */
    static DriverProgram load(RuleSet rules, int xskMapFd, int blocklistFd, boolean passes) throws LinuxException {
        Map<PrefixList, ListLookup> lists = new IdentityHashMap<>();
        int counters = -1;
        try {
            for (PrefixList l : DriverVerdicts.prefixLists(rules)) {
                lists.put(l, ListLookup.load(l));
            }
            counters = Bpf.mapCreate(Bpf.MAP_TYPE_PERCPU_ARRAY, 4, DriverVerdicts.COUNTER_SIZE, rules.size() + 2, "nb_rule_counts");
            // All the rules; when the program is too large, half as many, then between the most that fit and the fewest that
            // did not, until the two are within an eighth (a few loads at most: each costs the verifier well under a second).
            int limit = rules.size();
            int fits = -1;
            int tooMany = Integer.MAX_VALUE;
            int fd = -1;
            DriverVerdicts.Plan plan = null;
            for (int attempt = 0; ; attempt++) {
                int loaded;
                DriverVerdicts.Compiled c;
                try {
                    c = DriverVerdicts.compile(rules, limit, xskMapFd, counters, blocklistFd, passes, lists::get);
                    loaded = load(c, limit);
                } catch (LinuxException | RuntimeException e) {
                    if (fd >= 0) {
                        Native.close(fd);
                    }
                    throw e;
                }
                if (loaded >= 0) {
                    if (fd >= 0) {
                        Native.close(fd);
                    }
                    fd = loaded;
                    plan = c.plan();
                    fits = limit;
                } else {
                    tooMany = limit;
                }
                if (fits == rules.size() || fits >= 0 && (tooMany - fits <= Math.max(1, fits / 8) || attempt >= 8)) {
                    return new DriverProgram(rules, plan, fd, counters, lists, blocklistFd >= 0);
                }
                limit = fits < 0 ? limit / 2 : fits + (tooMany - fits) / 2;
            }
        } catch (LinuxException | RuntimeException e) {
            if (counters >= 0) {
                Native.close(counters);
            }
            lists.values().forEach(ListLookup::close);
            throw e;
        }
    }

    /** Loads a compiled program: its fd, or -1 when it is too large (the verifier's limits, or a jump past 16 bits). */
    private static int load(DriverVerdicts.Compiled c, int limit) throws LinuxException {
        try {
            return Bpf.loadXdp("nb_verdicts", c.program());
        } catch (LinuxException e) {
            // E2BIG: too many instructions or states; ENOMEM: also what the verifier says when its own rewriting (map
            // lookups, helpers) pushes a jump past 16 bits ("cannot be patched due to 16-bit range").
            if (limit == 0 || e.errno() != Errno.E2BIG && e.errno() != Errno.ENOSPC && e.errno() != Errno.ENOMEM) {
                throw e;
            }
            return -1;
        } catch (IllegalStateException e) {
            if (limit == 0) {
                throw e;
            }
            return -1;
        }
    }

    RuleSet rules() {
        return rules;
    }

    DriverVerdicts.Plan plan() {
        return plan;
    }

    /** Whether the program drops blocked sources (a program without a blocklist costs no lookup per packet). */
    boolean checksBlocklist() {
        return checksBlocklist;
    }

    int programFd() {
        return programFd;
    }

    /** Packets and bytes rule {@code r} ({@code rules.size()}: the default; {@code + 1}: blocked sources) decided, summed over CPUs. */
    void counts(int r, long[] packetsAndBytes) throws LinuxException {
        Bpf.perCpuSums(counters, r, packetsAndBytes, "nb_rule_counts");
    }

    @Override
    public void close() {
        Native.close(programFd);
        Native.close(counters);
        lists.values().forEach(ListLookup::close);
    }
}
