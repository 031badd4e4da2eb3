package io.netbypass.scaling.ntuple;

import io.netbypass.util.SplitMix64;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.netbypass.scaling.ntuple.NtupleKey.*;
import static io.netbypass.scaling.ntuple.RxFlowSpecDescriptor.*;

/**
 * A compiled, immutable snapshot of an {@link NtupleTable}: which rule (lowest location first)
 * a packet matches. Rules are grouped by their mask ("tuple space search"): within a group a
 * packet's masked key is one hash probe, so a lookup costs one probe per distinct mask shape,
 * not one comparison per rule. Groups are visited by their best location and the walk stops
 * once no group can beat the match in hand. Lookups never allocate.
 */
public final class NtupleClassifier {
    public static final int NO_MATCH = -1;
    /** What a matched rule does with the packet. */
    public static final int ACTION_QUEUE = 0;
    public static final int ACTION_DROP = 1;
    public static final int ACTION_WAKE = 2;

    private final int[] location;
    private final int[] action;
    private final long[] queue;
    private final int[] context;
    private final boolean[] usesContext;
    private final long[][] ruleValue;
    private final long[][] ruleMask;
    private final Group[] groups;
    /** Rule indexes in location order, for the linear reference walk. */
    private final int[] byLocation;

    private static final class Group {
        /** The words this group's mask looks at, and their masks in the same order. */
        final int[] active;
        final long[] activeMask;
        final int minLocation;
        /** Per slot: the rule's masked value of each active word (stride: active.length). */
        final long[] keys;
        /** Per slot: the full hash, compared before the words. */
        final long[] hashes;
        final int[] rules;
        final int capacityMask;
        /** 64 - log2(capacity): the slot is the top bits of the hash (Fibonacci hashing). */
        final int shift;

        Group(long[] mask, int minLocation, int entries) {
            int n = 0;
            int[] a = new int[WORDS];
            for (int i = 0; i < WORDS; i++) {
                if (mask[i] != 0) {
                    a[n++] = i;
                }
            }
            this.active = Arrays.copyOf(a, n);
            this.activeMask = new long[n];
            for (int j = 0; j < n; j++) {
                activeMask[j] = mask[active[j]];
            }
            this.minLocation = minLocation;
            // At most a quarter full, so a miss (the common case under a flood) ends after a probe or two.
            int capacity = Integer.highestOneBit(Math.max(1, entries * 4 - 1)) << 1;
            this.keys = new long[capacity * n];
            this.hashes = new long[capacity];
            this.rules = new int[capacity];
            Arrays.fill(rules, NO_MATCH);
            this.capacityMask = capacity - 1;
            this.shift = 64 - Integer.numberOfTrailingZeros(capacity);
        }
    }

    private NtupleClassifier(List<RxFlowSpec> specs) {
        int n = specs.size();
        location = new int[n];
        action = new int[n];
        queue = new long[n];
        context = new int[n];
        usesContext = new boolean[n];
        ruleValue = new long[n][];
        ruleMask = new long[n][];
        byLocation = new int[n];
        Map<MaskKey, List<Integer>> shapes = new LinkedHashMap<>();
        for (int r = 0; r < n; r++) {
            RxFlowSpec spec = specs.get(r);
            byLocation[r] = r;
            location[r] = spec.location();
            action[r] = spec.isDrop() ? ACTION_DROP : spec.isWake() ? ACTION_WAKE : ACTION_QUEUE;
            queue[r] = spec.queue();
            usesContext[r] = spec.hasFlag(FlowType.FLOW_RSS);
            context[r] = spec.rssContext();
            long[] value = new long[WORDS];
            long[] mask = new long[WORDS];
            compile(spec, value, mask);
            for (int i = 0; i < WORDS; i++) {
                value[i] &= mask[i];
            }
            ruleValue[r] = value;
            ruleMask[r] = mask;
            shapes.computeIfAbsent(new MaskKey(mask), k -> new ArrayList<>()).add(r);
        }
        List<Group> built = new ArrayList<>();
        for (Map.Entry<MaskKey, List<Integer>> e : shapes.entrySet()) {
            List<Integer> members = e.getValue();
            int min = Integer.MAX_VALUE;
            for (int r : members) {
                min = Math.min(min, location[r]);
            }
            Group g = new Group(e.getKey().mask, min, members.size());
            for (int r : members) {
                insert(g, r);
            }
            built.add(g);
        }
        built.sort((a, b) -> Integer.compare(a.minLocation, b.minLocation));
        groups = built.toArray(new Group[0]);
        int used = 0;
        for (Group g : groups) {
            for (int i : g.active) {
                used |= 1 << i;
            }
        }
        usedWords = used;
    }

    /** Key words any rule looks at (bit {@code i} for word {@code i}): {@link NtupleKey#extract(ParsedPacket, int)} fills only those. */
    public int usedWords() {
        return usedWords;
    }

    /** Compiles the table's rules as they stand now; later table changes need a new compile. */
    public static NtupleClassifier compile(NtupleTable table) {
        List<RxFlowSpec> specs = new ArrayList<>();
        for (int loc : table.locations()) {
            specs.add(table.rule(loc));
        }
        return new NtupleClassifier(specs);
    }

    private int usedWords;

    public int ruleCount() {
        return location.length;
    }

    public int location(int rule) {
        return location[rule];
    }

    public int action(int rule) {
        return action[rule];
    }

    /** The queue, or for a rule with {@code context} the offset added to the context's pick. */
    public long queue(int rule) {
        return queue[rule];
    }

    public boolean usesContext(int rule) {
        return usesContext[rule];
    }

    public int context(int rule) {
        return context[rule];
    }

    /** The rule (an index for the accessors above) the packet matches, or {@link #NO_MATCH}. */
    public int classify(NtupleKey key) {
        long[] k = key.words;
        int best = NO_MATCH;
        int bestLocation = Integer.MAX_VALUE;
        for (Group g : groups) {
            if (g.minLocation >= bestLocation) {
                break;
            }
            int r = probe(g, k);
            if (r != NO_MATCH && location[r] < bestLocation) {
                best = r;
                bestLocation = location[r];
            }
        }
        return best;
    }

    /** The same answer by testing every rule in location order: the reference for tests and benchmarks. */
    public int classifyLinear(NtupleKey key) {
        long[] k = key.words;
        for (int r : byLocation) {
            long[] v = ruleValue[r];
            long[] m = ruleMask[r];
            boolean hit = true;
            for (int i = 0; i < WORDS && hit; i++) {
                hit = (k[i] & m[i]) == v[i];
            }
            if (hit) {
                return r;
            }
        }
        return NO_MATCH;
    }

    /** Hash of a rule's (already masked) value words. */
    private static long hashValue(long[] words, Group g) {
        long h = 0;
        for (int j = 0; j < g.active.length; j++) {
            h += words[g.active[j]] * MULTIPLIERS[j];
        }
        return h;
    }

    /**
     * Odd 64-bit constants, one per key word position: a key hashes to the sum of its words
     * times these, so the multiplies run in parallel instead of as one dependent chain.
     */
    private static final long[] MULTIPLIERS = new long[WORDS];

    static {
        for (int i = 0; i < WORDS; i++) {
            MULTIPLIERS[i] = SplitMix64.next((i + 1) * SplitMix64.GOLDEN_GAMMA) | 1;
        }
    }

    private int probe(Group g, long[] k) {
        int[] active = g.active;
        long[] activeMask = g.activeMask;
        int n = active.length;
        long h = 0;
        for (int j = 0; j < n; j++) {
            h += (k[active[j]] & activeMask[j]) * MULTIPLIERS[j];
        }
        long[] keys = g.keys;
        long[] hashes = g.hashes;
        int[] rules = g.rules;
        int slot = (int) (h >>> g.shift);
        // A hit and an empty slot both end the probe; only a collision walks on.
        while (true) {
            int r = rules[slot];
            boolean same = hashes[slot] == h;
            int base = slot * n;
            for (int j = 0; j < n; j++) {
                same &= keys[base + j] == (k[active[j]] & activeMask[j]);
            }
            if (same | r == NO_MATCH) {
                return r; // empty slots hold NO_MATCH
            }
            slot = (slot + 1) & g.capacityMask;
        }
    }

    private void insert(Group g, int r) {
        long[] v = ruleValue[r];
        int n = g.active.length;
        long h = hashValue(v, g);
        int slot = (int) (h >>> g.shift);
        while (true) {
            int existing = g.rules[slot];
            if (existing == NO_MATCH) {
                g.rules[slot] = r;
                g.hashes[slot] = h;
                for (int j = 0; j < n; j++) {
                    g.keys[slot * n + j] = v[g.active[j]];
                }
                return;
            }
            if (Arrays.equals(v, ruleValue[existing])) {
                if (location[r] < location[existing]) {
                    g.rules[slot] = r; // same match, better location: the other can never win
                }
                return;
            }
            slot = (slot + 1) & g.capacityMask;
        }
    }

    private record MaskKey(long[] mask) {
        @Override
        public boolean equals(Object o) {
            return o instanceof MaskKey m && Arrays.equals(mask, m.mask);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(mask);
        }
    }

    /**
     * The key words {@code spec} compares (see {@link NtupleKey}): {@code mask[i]} the bits of word
     * {@code i} it looks at, {@code value[i]} what they must be (already masked). Other matchers of
     * the same rules (the XDP flow program) use this, so every matcher means the same thing.
     */
    public static void ruleWords(RxFlowSpec spec, long[] value, long[] mask) {
        Arrays.fill(value, 0);
        Arrays.fill(mask, 0);
        compile(spec, value, mask);
        for (int i = 0; i < WORDS; i++) {
            value[i] &= mask[i];
        }
    }

    /** Turns the rule's header/mask bytes into key words (see {@link NtupleKey}). */
    private static void compile(RxFlowSpec r, long[] v, long[] m) {
        FlowType type = r.flowType();
        int h = HEADER_OFFSET;
        int d = MASK_DISTANCE;
        boolean v4 = type.ipVersion() == 4;
        if (type.ipVersion() != 0) {
            v[META] = type.ipVersion();
            m[META] = IP_VERSION_MASK;
            if (v4) {
                v[SRC_LO] = r.be32(h + IP4_SRC) & 0xffff_ffffL;
                m[SRC_LO] = r.be32(h + IP4_SRC + d) & 0xffff_ffffL;
                v[DST_LO] = r.be32(h + IP4_DST) & 0xffff_ffffL;
                m[DST_LO] = r.be32(h + IP4_DST + d) & 0xffff_ffffL;
                v[TOS] = r.u8(h + IP4_TOS);
                m[TOS] = r.u8(h + IP4_TOS + d);
            } else {
                v[SRC_HI] = r.be64(h + IP6_SRC);
                m[SRC_HI] = r.be64(h + IP6_SRC + d);
                v[SRC_LO] = r.be64(h + IP6_SRC + 8);
                m[SRC_LO] = r.be64(h + IP6_SRC + 8 + d);
                v[DST_HI] = r.be64(h + IP6_DST);
                m[DST_HI] = r.be64(h + IP6_DST + d);
                v[DST_LO] = r.be64(h + IP6_DST + 8);
                m[DST_LO] = r.be64(h + IP6_DST + 8 + d);
                v[TOS] = r.u8(h + IP6_TCLASS);
                m[TOS] = r.u8(h + IP6_TCLASS + d);
            }
            int l4 = h + (v4 ? IP4_L4_BYTES : IP6_L4_BYTES);
            long l4Value = r.be32(l4) & 0xffff_ffffL;
            long l4Mask = r.be32(l4 + d) & 0xffff_ffffL;
            switch (type.fields()) {
                case PORTS -> {
                    v[META] |= PROTOCOL_KNOWN | NOT_FRAGMENT | L4_KNOWN | (long) type.protocol() << PROTOCOL_SHIFT;
                    m[META] |= PROTOCOL_KNOWN | NOT_FRAGMENT | L4_KNOWN | PROTOCOL_MASK;
                    v[L4] = l4Value;
                    m[L4] = l4Mask;
                }
                case IPSEC -> {
                    if (type == FlowType.AH4 || type == FlowType.AH6) {
                        v[META] |= HAS_AH | NOT_FRAGMENT;
                        m[META] |= HAS_AH | NOT_FRAGMENT;
                        v[AH_SPI] = l4Value;
                        m[AH_SPI] = l4Mask;
                    } else {
                        v[META] |= PROTOCOL_KNOWN | NOT_FRAGMENT | L4_KNOWN | (long) type.protocol() << PROTOCOL_SHIFT;
                        m[META] |= PROTOCOL_KNOWN | NOT_FRAGMENT | L4_KNOWN | PROTOCOL_MASK;
                        v[L4] = l4Value;
                        m[L4] = l4Mask;
                    }
                }
                case USER -> {
                    int protoAt = h + (v4 ? IP4_PROTOCOL : IP6_PROTOCOL);
                    int protoMask = r.u8(protoAt + d);
                    if (protoMask != 0) {
                        v[META] |= PROTOCOL_KNOWN | (long) r.u8(protoAt) << PROTOCOL_SHIFT;
                        m[META] |= PROTOCOL_KNOWN | (long) protoMask << PROTOCOL_SHIFT;
                    }
                    if (l4Mask != 0) {
                        v[META] |= L4_KNOWN;
                        m[META] |= L4_KNOWN;
                        v[L4] = l4Value;
                        m[L4] = l4Mask;
                    }
                }
                case ETHER -> throw new AssertionError();
            }
        } else {
            v[META] = HAS_ETHERNET;
            m[META] = HAS_ETHERNET;
            v[MAC_DST] = mac(r, h + ETH_DST);
            m[MAC_DST] = mac(r, h + ETH_DST + d);
            v[MAC_SRC] = mac(r, h + ETH_SRC);
            m[MAC_SRC] = mac(r, h + ETH_SRC + d);
            v[ETHERTYPE] = r.be16(h + ETH_PROTO);
            m[ETHERTYPE] = r.be16(h + ETH_PROTO + d);
        }
        if (r.hasFlag(FlowType.FLOW_EXT)) {
            int e = EXT_OFFSET;
            v[ETHERTYPE] |= (long) r.be16(e + EXT_VLAN_ETYPE) << 16 | (long) r.be16(e + EXT_VLAN_TCI) << 32;
            m[ETHERTYPE] |= (long) r.be16(e + EXT_VLAN_ETYPE + d) << 16 | (long) r.be16(e + EXT_VLAN_TCI + d) << 32;
        }
        if (r.hasFlag(FlowType.FLOW_MAC_EXT)) {
            v[META] |= HAS_ETHERNET;
            m[META] |= HAS_ETHERNET;
            v[MAC_DST] = mac(r, EXT_OFFSET + EXT_DST_MAC);
            m[MAC_DST] = mac(r, EXT_OFFSET + EXT_DST_MAC + d);
        }
    }

    private static long mac(RxFlowSpec r, int offset) {
        return ((long) r.be16(offset) << 32) | (r.be32(offset + 2) & 0xffff_ffffL);
    }
}
