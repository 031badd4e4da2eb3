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
     * blocklistFd} first ({@code < 0}: no blocklist; its count is the slot after the default's).
     */
    static DriverProgram load(RuleSet rules, int xskMapFd, int blocklistFd) throws LinuxException {
        Map<PrefixList, ListLookup> lists = new IdentityHashMap<>();
        int counters = -1;
        try {
            for (PrefixList l : DriverVerdicts.prefixLists(rules)) {
                lists.put(l, ListLookup.load(l));
            }
            counters = Bpf.mapCreate(Bpf.MAP_TYPE_PERCPU_ARRAY, 4, DriverVerdicts.COUNTER_SIZE, rules.size() + 2, "nb_rule_counts");
            int limit = rules.size();
            while (true) {
                DriverVerdicts.Compiled c = DriverVerdicts.compile(rules, limit, xskMapFd, counters, blocklistFd,
                        lists::get);
                try {
                    return new DriverProgram(rules, c.plan(), Bpf.loadXdp("nb_verdicts", c.program()), counters, lists,
                            blocklistFd >= 0);
                } catch (LinuxException e) {
                    if (limit == 0 || e.errno() != Errno.E2BIG && e.errno() != Errno.ENOSPC) {
                        throw e;
                    }
                } catch (IllegalStateException e) {
                    if (limit == 0) {
                        throw e; // a jump too far for 16 bits: the program is too long
                    }
                }
                limit /= 2;
            }
        } catch (LinuxException | RuntimeException e) {
            if (counters >= 0) {
                Native.close(counters);
            }
            lists.values().forEach(ListLookup::close);
            throw e;
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
