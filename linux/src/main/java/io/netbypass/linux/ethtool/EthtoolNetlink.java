package io.netbypass.linux.ethtool;

import io.netbypass.linux.Errno;
import io.netbypass.linux.LinuxException;
import io.netbypass.linux.netlink.Attributes;
import io.netbypass.linux.netlink.GenericNetlink;
import io.netbypass.linux.netlink.NetlinkMessage;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * ethtool's operations over the kernel's ethtool netlink family, in the calling thread's
 * network namespace: channels (ethtool -l/-L) and features (-k/-K). A device that lacks an
 * operation answers EOPNOTSUPP, which comes out as one line naming the device and the operation.
 */
public final class EthtoolNetlink implements AutoCloseable {
    private static final int VERSION = 1;
    private static final int MSG_STRSET_GET = 1, MSG_FEATURES_GET = 11, MSG_FEATURES_SET = 12, MSG_CHANNELS_GET = 17, MSG_CHANNELS_SET = 18;
    private static final int A_HEADER_DEV_NAME = 2, A_HEADER_FLAGS = 3;
    private static final int FLAG_OMIT_REPLY = 1 << 1;
    private static final int A_BITSET_NOMASK = 1, A_BITSET_BITS = 3;
    private static final int A_BITSET_BITS_BIT = 1;
    private static final int A_BITSET_BIT_INDEX = 1, A_BITSET_BIT_NAME = 2, A_BITSET_BIT_VALUE = 3;
    private static final int A_FEATURES_HEADER = 1, A_FEATURES_HW = 2, A_FEATURES_WANTED = 3, A_FEATURES_ACTIVE = 4,
            A_FEATURES_NOCHANGE = 5;
    private static final int A_CHANNELS_HEADER = 1;
    private static final int A_STRSET_HEADER = 1, A_STRSET_STRINGSETS = 2, A_STRINGSETS_STRINGSET = 1, A_STRINGSET_ID = 1,
            A_STRINGSET_STRINGS = 3, A_STRINGS_STRING = 1, A_STRING_INDEX = 1, A_STRING_VALUE = 2;
    private static final int ETH_SS_FEATURES = 4;

    /**
     * ethtool's short names for groups of kernel features, as -K takes them: each stands for the
     * kernel features its pattern matches ({@code *} any run of characters), as in ethtool's own
     * table, so a feature a newer kernel adds to a group (tx-tcp-accecn-segmentation under tso,
     * say) goes with it.
     */
    public static final Map<String, String> ALIASES = Map.ofEntries(
            Map.entry("rx", "rx-checksum"),
            Map.entry("tx", "tx-checksum-*"),
            Map.entry("sg", "tx-scatter-gather*"),
            Map.entry("tso", "tx-tcp*-segmentation"),
            Map.entry("ufo", "tx-udp-fragmentation"),
            Map.entry("gso", "tx-generic-segmentation"),
            Map.entry("gro", "rx-gro"),
            Map.entry("lro", "rx-lro"),
            Map.entry("rxvlan", "rx-vlan-hw-parse"),
            Map.entry("txvlan", "tx-vlan-hw-insert"),
            Map.entry("ntuple", "rx-ntuple-filter"),
            Map.entry("rxhash", "rx-hashing"));

    /** Channel counts: maximums and current (0: the device has none of that kind). */
    public record Channels(long rxMax, long txMax, long otherMax, long combinedMax, long rx, long tx, long other, long combined) {
    }

    /** One feature: on or off now, whether it can be changed, whether it was asked for. */
    public record Feature(boolean active, boolean changeable, boolean wanted) {
    }

    private final GenericNetlink netlink;
    private final int family;

    private EthtoolNetlink(GenericNetlink netlink, int family) {
        this.netlink = netlink;
        this.family = family;
    }

    public static EthtoolNetlink open() throws LinuxException {
        GenericNetlink n = GenericNetlink.open();
        try {
            return new EthtoolNetlink(n, n.family("ethtool"));
        } catch (LinuxException | RuntimeException e) {
            n.close();
            throw e;
        }
    }

    private NetlinkMessage message(int command) {
        return new NetlinkMessage(family, NetlinkMessage.NLM_F_REQUEST | NetlinkMessage.NLM_F_ACK, netlink.nextSequence(), command, VERSION);
    }

    private static void header(NetlinkMessage m, int type, String ifName, int flags) {
        int h = m.begin(type);
        m.string(A_HEADER_DEV_NAME, ifName);
        if (flags != 0) {
            m.u32(A_HEADER_FLAGS, flags);
        }
        m.end(h);
    }

    private Attributes one(byte[] request, String what) throws LinuxException {
        List<Attributes> replies = netlink.request(request, what);
        if (replies.isEmpty()) {
            throw new LinuxException(what + ": no reply", Errno.EINVAL);
        }
        return replies.get(0);
    }

    public Channels channels(String ifName) throws LinuxException {
        NetlinkMessage m = message(MSG_CHANNELS_GET);
        header(m, A_CHANNELS_HEADER, ifName, 0);
        Attributes a = one(m.finish(), "ethtool -l " + ifName + " (CHANNELS_GET)");
        return new Channels(a.u32(2, 0), a.u32(3, 0), a.u32(4, 0), a.u32(5, 0), a.u32(6, 0), a.u32(7, 0), a.u32(8, 0), a.u32(9, 0));
    }

    /** Sets the counts given (negative: leave as is). */
    public void setChannels(String ifName, long rx, long tx, long other, long combined) throws LinuxException {
        NetlinkMessage m = message(MSG_CHANNELS_SET);
        header(m, A_CHANNELS_HEADER, ifName, 0);
        long[] values = {rx, tx, other, combined};
        for (int i = 0; i < values.length; i++) {
            if (values[i] >= 0) {
                m.u32(6 + i, (int) values[i]);
            }
        }
        netlink.request(m.finish(), "ethtool -L " + ifName + " (CHANNELS_SET)");
    }

    /** Every feature the kernel names for the device, by kernel name (rx-gro, tx-tcp-segmentation, ...). */
    public Map<String, Feature> features(String ifName) throws LinuxException {
        NetlinkMessage m = message(MSG_FEATURES_GET);
        header(m, A_FEATURES_HEADER, ifName, 0);
        Attributes a = one(m.finish(), "ethtool -k " + ifName + " (FEATURES_GET)");
        Map<String, Boolean> hw = bits(a.nested(A_FEATURES_HW));
        Map<String, Boolean> wanted = bits(a.nested(A_FEATURES_WANTED));
        Map<String, Boolean> active = bits(a.nested(A_FEATURES_ACTIVE));
        Map<String, Boolean> nochange = bits(a.nested(A_FEATURES_NOCHANGE));
        Map<String, Feature> out = new TreeMap<>();
        // Value-only bitsets list the set bits only: every feature's name comes from the string set.
        for (String name : featureNames(ifName)) {
            boolean changeable = hw.getOrDefault(name, false) && !nochange.getOrDefault(name, false);
            out.put(name, new Feature(active.getOrDefault(name, false), changeable, wanted.getOrDefault(name, false)));
        }
        return out;
    }

    /** The kernel's names of netdev features (string set ETH_SS_FEATURES), in bit order. */
    private List<String> featureNames(String ifName) throws LinuxException {
        NetlinkMessage m = message(MSG_STRSET_GET);
        header(m, A_STRSET_HEADER, ifName, 0);
        int sets = m.begin(A_STRSET_STRINGSETS);
        int set = m.begin(A_STRINGSETS_STRINGSET);
        m.u32(A_STRINGSET_ID, ETH_SS_FEATURES);
        m.end(set);
        m.end(sets);
        Attributes a = one(m.finish(), "ethtool strings " + ifName + " (STRSET_GET features)");
        Map<Long, String> byIndex = new TreeMap<>();
        Attributes all = a.nested(A_STRSET_STRINGSETS);
        if (all != null) {
            for (Attributes one : all.nestedAll(A_STRINGSETS_STRINGSET)) {
                Attributes strings = one.nested(A_STRINGSET_STRINGS);
                if (one.u32(A_STRINGSET_ID, -1) != ETH_SS_FEATURES || strings == null) {
                    continue;
                }
                for (Attributes str : strings.nestedAll(A_STRINGS_STRING)) {
                    String v = str.string(A_STRING_VALUE);
                    if (v != null && !v.isEmpty()) {
                        byIndex.put(str.u32(A_STRING_INDEX, byIndex.size()), v);
                    }
                }
            }
        }
        return new ArrayList<>(byIndex.values());
    }

    /**
     * A verbose bitset: every bit listed with its name, VALUE present when set (and, for a value-only
     * bitset, only set bits listed). Returns name -> set, for every bit named.
     */
    private static Map<String, Boolean> bits(Attributes bitset) {
        Map<String, Boolean> out = new LinkedHashMap<>();
        if (bitset == null) {
            return out;
        }
        boolean noMask = bitset.has(A_BITSET_NOMASK);
        Attributes list = bitset.nested(A_BITSET_BITS);
        if (list == null) {
            return out;
        }
        for (Attributes bit : list.nestedAll(A_BITSET_BITS_BIT)) {
            String name = bit.string(A_BITSET_BIT_NAME);
            if (name == null) {
                name = "bit" + bit.u32(A_BITSET_BIT_INDEX, -1);
            }
            out.put(name, noMask || bit.has(A_BITSET_BIT_VALUE));
        }
        return out;
    }

    /**
     * Turns features on or off (kernel names or ethtool's short names); the kernel may refuse
     * some or change others along: what did not end up as asked is returned, by name.
     */
    public List<String> setFeatures(String ifName, Map<String, Boolean> wanted) throws LinuxException {
        Map<String, Boolean> expanded = expand(wanted, features(ifName).keySet());
        NetlinkMessage m = message(MSG_FEATURES_SET);
        header(m, A_FEATURES_HEADER, ifName, FLAG_OMIT_REPLY);
        int set = m.begin(A_FEATURES_WANTED);
        int list = m.begin(A_BITSET_BITS);
        for (Map.Entry<String, Boolean> e : expanded.entrySet()) {
            int bit = m.begin(A_BITSET_BITS_BIT);
            m.string(A_BITSET_BIT_NAME, e.getKey());
            if (e.getValue()) {
                m.flag(A_BITSET_BIT_VALUE);
            }
            m.end(bit);
        }
        m.end(list);
        m.end(set);
        netlink.request(m.finish(), "ethtool -K " + ifName + " (FEATURES_SET)");
        Map<String, Feature> now = features(ifName);
        List<String> notAsAsked = new ArrayList<>();
        for (Map.Entry<String, Boolean> e : expanded.entrySet()) {
            Feature f = now.get(e.getKey());
            if (f == null || f.active() != e.getValue()) {
                notAsAsked.add(e.getKey() + (f == null ? " (unknown)" : f.changeable() ? " (still " + (f.active() ? "on" : "off")
                        + ": a feature it depends on?)" : " (fixed)"));
            }
        }
        return notAsAsked;
    }

    /**
     * ethtool's short names replaced by the features of {@code known} (a device's kernel feature
     * names) they stand for; kernel names kept as they are.
     */
    public static Map<String, Boolean> expand(Map<String, Boolean> wanted, Collection<String> known) {
        Map<String, Boolean> out = new LinkedHashMap<>();
        for (Map.Entry<String, Boolean> e : wanted.entrySet()) {
            String pattern = ALIASES.get(e.getKey());
            if (pattern == null) {
                out.put(e.getKey(), e.getValue());
                continue;
            }
            Pattern p = Pattern.compile(
                    Pattern.quote(pattern).replace("*", "\\E.*\\Q"));
            for (String name : known) {
                if (p.matcher(name).matches()) {
                    out.put(name, e.getValue());
                }
            }
        }
        return out;
    }

    @Override
    public void close() {
        netlink.close();
    }
}
