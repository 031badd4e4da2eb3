package io.netbypass.scaling.ntuple;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static io.netbypass.scaling.ntuple.RxFlowSpecDescriptor.*;

/**
 * ethtool's {@code -N/-U} rule syntax ({@code flow-type udp4 dst-port 53 m 0xff action 4 loc 7}),
 * parsed into an {@link RxFlowSpec} with ethtool's keyword tables, number rules, mask meaning
 * (on the command line a 1 bit means "ignore"; the kernel stores the inverse) and messages.
 */
public final class NtupleParser {
    private NtupleParser() {
    }

    enum Kind { IPV4, IPV6, U8, BE16, BE32, BE64, MAC, ACTION, VF, QUEUE, LOC }

    /** One option of a flow type's table: where its value goes and which "seen" flag it sets. */
    record Option(String name, Kind kind, int offset, boolean maskable, int flag) {
    }

    private static final int F_SRC_IP = 1, F_DST_IP = 1 << 1, F_TOS = 1 << 2, F_SRC_PORT = 1 << 4,
            F_DST_PORT = 1 << 5, F_L4_BYTES = F_SRC_PORT | F_DST_PORT, F_PROTO = 1 << 6, F_SRC_MAC = 1 << 7,
            F_DST_MAC = 1 << 8, F_ETH_PROTO = 1 << 9, F_ACTION = 1 << 10, F_VF = 1 << 11, F_QUEUE = 1 << 12,
            F_LOC = 1 << 13, F_VLAN_ETYPE = 1 << 14, F_VLAN = 1 << 15, F_USER_DEF = 1 << 16, F_EXT_MAC = 1 << 17;

    private static final int H = HEADER_OFFSET;
    private static final int E = EXT_OFFSET;

    private static List<Option> common(boolean dstMac) {
        List<Option> o = new ArrayList<>(List.of(
                new Option("action", Kind.ACTION, RING_COOKIE_OFFSET, false, F_ACTION),
                new Option("vf", Kind.VF, RING_COOKIE_OFFSET, false, F_VF),
                new Option("queue", Kind.QUEUE, RING_COOKIE_OFFSET, false, F_QUEUE),
                new Option("loc", Kind.LOC, LOCATION_OFFSET, false, F_LOC),
                new Option("vlan-etype", Kind.BE16, E + EXT_VLAN_ETYPE, true, F_VLAN_ETYPE),
                new Option("vlan", Kind.BE16, E + EXT_VLAN_TCI, true, F_VLAN),
                new Option("user-def", Kind.BE64, E + EXT_DATA, true, F_USER_DEF)));
        if (dstMac) {
            o.add(new Option("dst-mac", Kind.MAC, E + EXT_DST_MAC, true, F_EXT_MAC));
        }
        return o;
    }

    private static List<Option> table(FlowType.Fields fields, int ipVersion) {
        List<Option> o = new ArrayList<>();
        boolean v4 = ipVersion == 4;
        Kind addr = v4 ? Kind.IPV4 : Kind.IPV6;
        String tos = v4 ? "tos" : "tclass";
        int tosAt = H + (v4 ? IP4_TOS : IP6_TCLASS);
        int l4 = H + (v4 ? IP4_L4_BYTES : IP6_L4_BYTES);
        switch (fields) {
            case PORTS -> {
                o.add(new Option("src-ip", addr, H + (v4 ? IP4_SRC : IP6_SRC), true, F_SRC_IP));
                o.add(new Option("dst-ip", addr, H + (v4 ? IP4_DST : IP6_DST), true, F_DST_IP));
                o.add(new Option(tos, Kind.U8, tosAt, true, F_TOS));
                o.add(new Option("src-port", Kind.BE16, l4, true, F_SRC_PORT));
                o.add(new Option("dst-port", Kind.BE16, l4 + 2, true, F_DST_PORT));
            }
            case IPSEC -> {
                o.add(new Option("src-ip", addr, H + (v4 ? IP4_SRC : IP6_SRC), true, F_SRC_IP));
                o.add(new Option("dst-ip", addr, H + (v4 ? IP4_DST : IP6_DST), true, F_DST_IP));
                o.add(new Option(tos, Kind.U8, tosAt, true, F_TOS));
                o.add(new Option("spi", Kind.BE32, l4, true, F_L4_BYTES));
            }
            case USER -> {
                o.add(new Option("src-ip", addr, H + (v4 ? IP4_SRC : IP6_SRC), true, F_SRC_IP));
                o.add(new Option("dst-ip", addr, H + (v4 ? IP4_DST : IP6_DST), true, F_DST_IP));
                o.add(new Option(tos, Kind.U8, tosAt, true, F_TOS));
                o.add(new Option("l4proto", Kind.U8, H + (v4 ? IP4_PROTOCOL : IP6_PROTOCOL), true, F_PROTO));
                // l4data, spi and the ports all write the first four bytes of the L4 header
                o.add(new Option("l4data", Kind.BE32, l4, true, F_L4_BYTES));
                o.add(new Option("spi", Kind.BE32, l4, true, F_L4_BYTES));
                o.add(new Option("src-port", Kind.BE16, l4, true, F_SRC_PORT));
                o.add(new Option("dst-port", Kind.BE16, l4 + 2, true, F_DST_PORT));
            }
            case ETHER -> {
                o.add(new Option("src", Kind.MAC, H + ETH_SRC, true, F_SRC_MAC));
                o.add(new Option("dst", Kind.MAC, H + ETH_DST, true, F_DST_MAC));
                o.add(new Option("proto", Kind.BE16, H + ETH_PROTO, true, F_ETH_PROTO));
            }
        }
        o.addAll(common(fields != FlowType.Fields.ETHER));
        return o;
    }

    /** The options {@code type} accepts, in ethtool's table order. */
    public static List<String> optionNames(FlowType type) {
        return table(type.fields(), type.ipVersion()).stream().map(Option::name).toList();
    }

    /**
     * Parses the words after {@code ethtool -N DEV}, starting with {@code flow-type}.
     *
     * @throws NtupleSyntaxException with ethtool's message naming the offending word
     */
    public static RxFlowSpec parse(List<String> words) {
        if (words.isEmpty() || !words.get(0).equals("flow-type")) {
            throw new NtupleSyntaxException("Add rule, invalid syntax");
        }
        if (words.size() < 2) {
            throw new NtupleSyntaxException("Add rule, invalid syntax");
        }
        FlowType type = FlowType.fromWord(words.get(1));
        if (type == null) {
            throw new NtupleSyntaxException("Add rule, invalid syntax");
        }
        RxFlowSpec spec = new RxFlowSpec();
        int flowType = type.code();
        spec.setLocation(LOCATION_ANY);
        if (type == FlowType.IP4) {
            spec.putU8(H + IP4_IP_VERSION, IP_VERSION_4);
        }
        List<Option> options = table(type.fields(), type.ipVersion());
        int seen = 0;
        int i = 2;
        while (i < words.size()) {
            String word = words.get(i);
            if (word.equals("context")) {
                if (i + 1 >= words.size()) {
                    throw new NtupleSyntaxException("'context' missing value");
                }
                String v = words.get(i + 1);
                long context;
                try {
                    context = EthtoolValues.unsigned(v, 32);
                } catch (NumberFormatException e) {
                    throw new NtupleSyntaxException("Invalid context value[" + v + "]");
                }
                if (context == 0xffff_ffffL) {
                    throw new NtupleSyntaxException("Bad context value ffffffff");
                }
                spec.setRssContext((int) context);
                flowType |= FlowType.FLOW_RSS;
                i += 2;
                continue;
            }
            Option option = find(options, word);
            if (option == null) {
                throw new NtupleSyntaxException("Add rule, unrecognized option[" + word + "]");
            }
            if (i + 1 >= words.size()) {
                // ethtool silently drops a trailing option with no value; a filter must not
                throw new NtupleSyntaxException("'" + word + "' missing value");
            }
            String value = words.get(i + 1);
            if ((seen & option.flag()) != 0) {
                throw new NtupleSyntaxException("Invalid " + word + " value[" + value + "]");
            }
            seen |= option.flag();
            try {
                store(spec, option, value, false);
            } catch (NumberFormatException e) {
                throw new NtupleSyntaxException("Invalid " + word + " value[" + value + "]");
            }
            i += 2;
            if (option.offset() >= E && option.offset() < E + EXT_LENGTH) {
                flowType |= option.kind() == Kind.MAC ? FlowType.FLOW_MAC_EXT : FlowType.FLOW_EXT;
            }
            boolean maskNext = i < words.size()
                    && (words.get(i).equals("m") || words.get(i).equals(word + "-mask"));
            if (maskNext) {
                if (i + 1 >= words.size()) {
                    throw new NtupleSyntaxException("Add rule, invalid syntax");
                }
                String mask = words.get(i + 1);
                if (!option.maskable()) {
                    throw new NtupleSyntaxException("Invalid " + word + " mask[" + mask + "]");
                }
                try {
                    store(spec, option, mask, true);
                } catch (NumberFormatException e) {
                    throw new NtupleSyntaxException("Invalid " + word + " mask[" + mask + "]");
                }
                i += 2;
            }
        }
        if ((seen & F_ACTION) != 0 && (seen & F_QUEUE) != 0) {
            throw new NtupleSyntaxException("action and queue are not compatible");
        }
        if ((seen & F_ACTION) != 0 && (seen & F_VF) != 0) {
            throw new NtupleSyntaxException("action and vf are not compatible");
        }
        spec.setFlowTypeCode(flowType);
        return spec;
    }

    /** Parses one line of words separated by white space. */
    public static RxFlowSpec parse(String line) {
        return parse(List.of(line.trim().split("\\s+")));
    }

    private static Option find(List<Option> options, String word) {
        for (Option o : options) {
            if (o.name().equals(word)) {
                return o;
            }
        }
        return null;
    }

    /** Stores a value (all-ones mask) or a CLI mask (stored inverted). */
    private static void store(RxFlowSpec spec, Option o, String text, boolean mask) {
        int at = mask ? o.offset() + MASK_DISTANCE : o.offset();
        switch (o.kind()) {
            case IPV4 -> put(spec, o, at, EthtoolValues.ipv4(text), mask);
            case IPV6 -> put(spec, o, at, EthtoolValues.ipv6(text), mask);
            case MAC -> put(spec, o, at, EthtoolValues.mac(text), mask);
            case U8 -> {
                int v = (int) EthtoolValues.unsigned(text, 8);
                spec.putU8(at, mask ? ~v : v);
                if (!mask) {
                    spec.putU8(at + MASK_DISTANCE, 0xff);
                }
            }
            case BE16 -> {
                int v = (int) EthtoolValues.unsigned(text, 16);
                spec.putBe16(at, mask ? ~v : v);
                if (!mask) {
                    spec.putBe16(at + MASK_DISTANCE, 0xffff);
                }
            }
            case BE32 -> {
                int v = (int) EthtoolValues.unsigned(text, 32);
                spec.putBe32(at, mask ? ~v : v);
                if (!mask) {
                    spec.putBe32(at + MASK_DISTANCE, -1);
                }
            }
            case BE64 -> {
                long v = EthtoolValues.unsigned(text, 64);
                spec.putBe64(at, mask ? ~v : v);
                if (!mask) {
                    spec.putBe64(at + MASK_DISTANCE, -1L);
                }
            }
            case ACTION -> spec.setRingCookie(EthtoolValues.unsigned(text, 64));
            case VF -> {
                long vf = EthtoolValues.unsigned(text, 8);
                // not masked to 8 bits after the +1, exactly as ethtool (vf 255 spills into bit 40)
                spec.setRingCookie((spec.ringCookie() & ~RING_COOKIE_VF_MASK) | ((vf + 1) << RING_COOKIE_VF_SHIFT));
            }
            case QUEUE -> spec.setRingCookie((spec.ringCookie() & ~RING_COOKIE_QUEUE_MASK) | EthtoolValues.unsigned(text, 32));
            case LOC -> spec.setLocation((int) EthtoolValues.unsigned(text, 32));
        }
    }

    private static void put(RxFlowSpec spec, Option o, int at, byte[] value, boolean mask) {
        if (mask) {
            byte[] inverted = new byte[value.length];
            for (int i = 0; i < value.length; i++) {
                inverted[i] = (byte) ~value[i];
            }
            spec.putBytes(at, inverted);
        } else {
            spec.putBytes(at, value);
            byte[] ones = new byte[value.length];
            Arrays.fill(ones, (byte) 0xff);
            spec.putBytes(at + MASK_DISTANCE, ones);
        }
    }
}
