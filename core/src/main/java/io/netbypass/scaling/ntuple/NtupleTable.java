package io.netbypass.scaling.ntuple;

import io.netbypass.util.UserException;
import java.util.Arrays;
import java.util.function.IntPredicate;

import static io.netbypass.scaling.ntuple.RxFlowSpecDescriptor.*;

/**
 * A device's ntuple rule table: {@code size} locations, the lowest matching location wins.
 * {@code loc N} replaces what is at N; a rule without {@code loc} goes to the highest free
 * location (ethtool's rule manager), so a newer rule lands above the older ones in priority.
 * Rules a device cannot honour are refused whole with a one-line reason, as a driver would.
 */
public final class NtupleTable {
    private final int size;
    private final int rings;
    private final RxFlowSpec[] rules;
    private IntPredicate contextExists = c -> c == 0;
    private int count;

    public NtupleTable(int size, int rings) {
        if (size < 1 || size > 1 << 20) {
            throw new UserException("rule table size " + size + " is outside 1.." + (1 << 20));
        }
        if (rings < 1) {
            throw new UserException("a device needs at least one RX ring, not " + rings);
        }
        this.size = size;
        this.rings = rings;
        this.rules = new RxFlowSpec[size];
    }

    /** Which RSS contexts exist (context 0 is the device's main table). */
    public void setContexts(IntPredicate exists) {
        contextExists = exists;
    }

    public int size() {
        return size;
    }

    public int rings() {
        return rings;
    }

    public int count() {
        return count;
    }

    /** Locations in use, ascending (priority order). */
    public int[] locations() {
        int[] out = new int[count];
        int n = 0;
        for (int i = 0; i < size; i++) {
            if (rules[i] != null) {
                out[n++] = i;
            }
        }
        return out;
    }

    public RxFlowSpec rule(int location) {
        return location >= 0 && location < size && rules[location] != null ? rules[location].copy() : null;
    }

    /**
     * Inserts a rule; returns the location it took.
     *
     * @throws NtupleRuleException when the device cannot hold or honour it (nothing changes)
     */
    public int insert(RxFlowSpec rule) {
        check(rule);
        int location;
        if (rule.hasLocation()) {
            location = rule.location();
            if (location >= size) {
                throw new NtupleRuleException("location " + Integer.toUnsignedString(location)
                        + " is outside the rule table (0.." + (size - 1) + ")");
            }
        } else {
            location = highestFree();
            if (location < 0) {
                throw new NtupleRuleException("rmgr: Cannot find appropriate slot to insert rule");
            }
        }
        RxFlowSpec stored = rule.copy();
        stored.setLocation(location);
        if (rules[location] == null) {
            count++;
        }
        rules[location] = stored;
        return location;
    }

    /** {@code ethtool -N dev delete N}. */
    public void delete(int location) {
        if (location < 0 || location >= size || rules[location] == null) {
            throw new NtupleRuleException("rmgr: Cannot delete RX class rule: no rule at location " + location);
        }
        rules[location] = null;
        count--;
    }

    /** Replaces this table's rules and context check with {@code other}'s (sizes must agree). */
    public void copyFrom(NtupleTable other) {
        if (other.size != size) {
            throw new IllegalArgumentException("tables of " + other.size + " and " + size + " locations");
        }
        System.arraycopy(other.rules, 0, rules, 0, size);
        count = other.count;
        contextExists = other.contextExists;
    }

    public void clear() {
        Arrays.fill(rules, null);
        count = 0;
    }

    private int highestFree() {
        for (int i = size - 1; i >= 0; i--) {
            if (rules[i] == null) {
                return i;
            }
        }
        return -1;
    }

    /** What a driver checks before programming a rule. */
    private void check(RxFlowSpec r) {
        FlowType type = r.flowType();
        if (type == null) {
            throw new NtupleRuleException("unknown flow type 0x" + Integer.toHexString(r.flowTypeCode()));
        }
        if (type == FlowType.IP4 && r.u8(HEADER_OFFSET + IP4_IP_VERSION) != IP_VERSION_4) {
            throw new NtupleRuleException("ip4 rule without ip_ver ETH_RX_NFC_IP4");
        }
        if (r.be64(EXT_OFFSET + EXT_DATA + MASK_DISTANCE) != 0) {
            throw new NtupleRuleException("user-def is device-specific and this device defines none");
        }
        if (r.isDrop() || r.isWake()) {
            return;
        }
        if (r.vfField() != 0 || (r.ringCookie() >>> 40) != 0) {
            throw new NtupleRuleException("'vf' needs SR-IOV virtual functions and this device has none");
        }
        if (r.hasFlag(FlowType.FLOW_RSS)) {
            if (!contextExists.test(r.rssContext())) {
                throw new NtupleRuleException("RSS context " + Integer.toUnsignedString(r.rssContext()) + " does not exist");
            }
            return; // the queue is an offset into the context's table, checked where contexts are known
        }
        if (r.queue() >= rings) {
            throw new NtupleRuleException("queue " + r.queue() + " is outside the device's RX rings (0.." + (rings - 1) + ")");
        }
    }
}
