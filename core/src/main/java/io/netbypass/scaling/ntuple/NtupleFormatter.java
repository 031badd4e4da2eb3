package io.netbypass.scaling.ntuple;

import java.util.ArrayList;
import java.util.List;

import io.netbypass.packet.AddressText;
import io.netbypass.util.UserException;

import static io.netbypass.scaling.ntuple.RxFlowSpecDescriptor.*;

/**
 * Rules as text: the block {@code ethtool -n} prints for a rule (masks shown in the command
 * line's meaning, 1 = ignore) and the canonical {@code ethtool -N} words that rebuild exactly
 * the same rule.
 */
public final class NtupleFormatter {
    private static final int H = HEADER_OFFSET;
    private static final int E = EXT_OFFSET;
    private static final int M = MASK_DISTANCE;

    private NtupleFormatter() {
    }

    /** {@code ethtool -n DEV}'s header: {@code "%d RX rings available"} and {@code "Total %d rules"} plus a blank line. */
    public static String header(int rings, int rules) {
        return rings + " RX rings available\nTotal " + rules + " rules\n\n";
    }

    /** {@code ethtool -n DEV rule N}: the rule's block, ending with an empty line. */
    public static String block(RxFlowSpec r) {
        StringBuilder b = new StringBuilder(256);
        FlowType type = r.flowType();
        if (type == null) {
            throw new UserException("rxclass: Unknown flow type");
        }
        b.append("Filter: ").append(r.location()).append('\n');
        switch (type.fields()) {
            case PORTS -> {
                rule(b, type);
                ipBlock(b, r, type.ipVersion());
                int ports = H + (type.ipVersion() == 4 ? IP4_SRC_PORT : IP6_SRC_PORT);
                line(b, "\tSrc port: %d mask: 0x%x", r.be16(ports), ~r.be16(ports + M) & 0xffff);
                line(b, "\tDest port: %d mask: 0x%x", r.be16(ports + 2), ~r.be16(ports + 2 + M) & 0xffff);
            }
            case IPSEC -> {
                rule(b, type);
                ipBlock(b, r, type.ipVersion());
                int spi = H + (type.ipVersion() == 4 ? IP4_SPI : IP6_SPI);
                line(b, "\tSPI: %d mask: 0x%x", r.be32(spi), ~r.be32(spi + M));
            }
            case USER -> {
                if (type == FlowType.IP4 && r.u8(H + IP4_IP_VERSION) != IP_VERSION_4) {
                    throw new UserException("IPV4_USER_FLOW with wrong ip_ver");
                }
                rule(b, type);
                ipBlock(b, r, type.ipVersion());
                int proto = H + (type.ipVersion() == 4 ? IP4_PROTOCOL : IP6_PROTOCOL);
                int l4 = H + (type.ipVersion() == 4 ? IP4_L4_BYTES : IP6_L4_BYTES);
                line(b, "\tProtocol: %d mask: 0x%x", r.u8(proto), ~r.u8(proto + M) & 0xff);
                line(b, "\tL4 bytes: 0x%x mask: 0x%x", r.be32(l4), ~r.be32(l4 + M));
            }
            case ETHER -> {
                b.append("\tFlow Type: Raw Ethernet\n");
                b.append("\tSrc MAC addr: ").append(macUpper(r, H + ETH_SRC, false))
                        .append(" mask: ").append(macUpper(r, H + ETH_SRC + M, true)).append('\n');
                b.append("\tDest MAC addr: ").append(macUpper(r, H + ETH_DST, false))
                        .append(" mask: ").append(macUpper(r, H + ETH_DST + M, true)).append('\n');
                line(b, "\tEthertype: 0x%X mask: 0x%X", r.be16(H + ETH_PROTO), ~r.be16(H + ETH_PROTO + M) & 0xffff);
            }
        }
        if (r.hasFlag(FlowType.FLOW_EXT)) {
            line(b, "\tVLAN EtherType: 0x%x mask: 0x%x", r.be16(E + EXT_VLAN_ETYPE), ~r.be16(E + EXT_VLAN_ETYPE + M) & 0xffff);
            line(b, "\tVLAN: 0x%x mask: 0x%x", r.be16(E + EXT_VLAN_TCI), ~r.be16(E + EXT_VLAN_TCI + M) & 0xffff);
            line(b, "\tUser-defined: 0x%x mask: 0x%x", r.be64(E + EXT_DATA), ~r.be64(E + EXT_DATA + M));
        }
        if (r.hasFlag(FlowType.FLOW_MAC_EXT)) {
            // ethtool prints this one mask as the kernel stores it (not inverted)
            b.append("\tDest MAC addr: ").append(macUpper(r, E + EXT_DST_MAC, false))
                    .append(" mask: ").append(macUpper(r, E + EXT_DST_MAC + M, false)).append('\n');
        }
        if (r.hasFlag(FlowType.FLOW_RSS)) {
            b.append("\tRSS Context ID: ").append(Integer.toUnsignedString(r.rssContext())).append('\n');
        }
        b.append("\tAction: ").append(action(r)).append("\n\n");
        return b.toString();
    }

    /** The {@code Action:} text: Drop, Wake-on-LAN, Direct to queue N, Direct to VF V queue N. */
    public static String action(RxFlowSpec r) {
        if (r.isDrop()) {
            return "Drop";
        }
        if (r.isWake()) {
            return "Wake-on-LAN";
        }
        long cookie = r.ringCookie();
        long vf = (cookie >>> RING_COOKIE_VF_SHIFT) & 0xff;
        long queue = cookie & RING_COOKIE_QUEUE_MASK;
        return vf != 0 ? "Direct to VF " + (vf - 1) + " queue " + queue : "Direct to queue " + queue;
    }

    private static void rule(StringBuilder b, FlowType type) {
        b.append("\tRule Type: ").append(type.label()).append('\n');
    }

    private static void ipBlock(StringBuilder b, RxFlowSpec r, int version) {
        if (version == 4) {
            b.append("\tSrc IP addr: ").append(ipv4(r, H + IP4_SRC, false)).append(" mask: ").append(ipv4(r, H + IP4_SRC + M, true)).append('\n');
            b.append("\tDest IP addr: ").append(ipv4(r, H + IP4_DST, false)).append(" mask: ").append(ipv4(r, H + IP4_DST + M, true)).append('\n');
            line(b, "\tTOS: 0x%x mask: 0x%x", r.u8(H + IP4_TOS), ~r.u8(H + IP4_TOS + M) & 0xff);
        } else {
            b.append("\tSrc IP addr: ").append(ipv6(r, H + IP6_SRC, false)).append(" mask: ").append(ipv6(r, H + IP6_SRC + M, true)).append('\n');
            b.append("\tDest IP addr: ").append(ipv6(r, H + IP6_DST, false)).append(" mask: ").append(ipv6(r, H + IP6_DST + M, true)).append('\n');
            line(b, "\tTraffic Class: 0x%x mask: 0x%x", r.u8(H + IP6_TCLASS), ~r.u8(H + IP6_TCLASS + M) & 0xff);
        }
    }

    private static void line(StringBuilder b, String format, Object... args) {
        b.append(String.format(format, args)).append('\n');
    }

    private static byte[] maybeInverted(RxFlowSpec r, int offset, int length, boolean invert) {
        byte[] v = r.bytes(offset, length);
        if (invert) {
            for (int i = 0; i < v.length; i++) {
                v[i] = (byte) ~v[i];
            }
        }
        return v;
    }

    private static String ipv4(RxFlowSpec r, int offset, boolean invert) {
        byte[] a = maybeInverted(r, offset, 4, invert);
        return (a[0] & 0xff) + "." + (a[1] & 0xff) + "." + (a[2] & 0xff) + "." + (a[3] & 0xff);
    }

    private static String ipv6(RxFlowSpec r, int offset, boolean invert) {
        return AddressText.ipv6(maybeInverted(r, offset, 16, invert));
    }

    private static String macUpper(RxFlowSpec r, int offset, boolean invert) {
        byte[] a = maybeInverted(r, offset, 6, invert);
        return String.format("%02X:%02X:%02X:%02X:%02X:%02X", a[0], a[1], a[2], a[3], a[4], a[5]);
    }

    private static String mac(byte[] a) {
        return String.format("%02x:%02x:%02x:%02x:%02x:%02x", a[0], a[1], a[2], a[3], a[4], a[5]);
    }

    /**
     * The {@code ethtool -N} words (after the device) that rebuild this exact rule: every field
     * whose value or mask is set, a mask only where some bits are ignored, then the action,
     * {@code context} and {@code loc}.
     */
    public static String toCommand(RxFlowSpec r) {
        FlowType type = r.flowType();
        if (type == null) {
            return "flow-type <unknown " + Integer.toHexString(r.flowTypeCode()) + ">";
        }
        List<String> w = new ArrayList<>();
        w.add("flow-type");
        w.add(type.word());
        boolean v4 = type.ipVersion() == 4;
        switch (type.fields()) {
            case PORTS, IPSEC, USER -> {
                int src = H + (v4 ? IP4_SRC : IP6_SRC);
                int dst = H + (v4 ? IP4_DST : IP6_DST);
                int len = v4 ? 4 : 16;
                address(w, r, "src-ip", src, len);
                address(w, r, "dst-ip", dst, len);
                number(w, r, v4 ? "tos" : "tclass", H + (v4 ? IP4_TOS : IP6_TCLASS), 1);
                int l4 = H + (v4 ? IP4_L4_BYTES : IP6_L4_BYTES);
                if (type.fields() == FlowType.Fields.PORTS) {
                    number(w, r, "src-port", l4, 2);
                    number(w, r, "dst-port", l4 + 2, 2);
                } else if (type.fields() == FlowType.Fields.IPSEC) {
                    number(w, r, "spi", l4, 4);
                } else {
                    number(w, r, "l4proto", H + (v4 ? IP4_PROTOCOL : IP6_PROTOCOL), 1);
                    number(w, r, "l4data", l4, 4);
                }
            }
            case ETHER -> {
                macField(w, r, "src", H + ETH_SRC);
                macField(w, r, "dst", H + ETH_DST);
                number(w, r, "proto", H + ETH_PROTO, 2);
            }
        }
        int before = w.size();
        number(w, r, "vlan-etype", E + EXT_VLAN_ETYPE, 2);
        number(w, r, "vlan", E + EXT_VLAN_TCI, 2);
        number(w, r, "user-def", E + EXT_DATA, 8);
        if (r.hasFlag(FlowType.FLOW_EXT) && w.size() == before) {
            w.addAll(List.of("vlan", "0x0", "m", "0xffff")); // the flag alone: an all-ignored field sets it
        }
        if (type != FlowType.ETHER) {
            int beforeMac = w.size();
            macField(w, r, "dst-mac", E + EXT_DST_MAC);
            if (r.hasFlag(FlowType.FLOW_MAC_EXT) && w.size() == beforeMac) {
                w.addAll(List.of("dst-mac", "00:00:00:00:00:00", "m", "ff:ff:ff:ff:ff:ff"));
            }
        }
        long cookie = r.ringCookie();
        long vf = (cookie >>> RING_COOKIE_VF_SHIFT) & 0xff;
        if (r.isDrop() || r.isWake()) {
            w.addAll(List.of("action", Long.toString(cookie)));
        } else if (vf != 0 && (cookie >>> 40) == 0) {
            w.addAll(List.of("vf", Long.toString(vf - 1), "queue", Long.toString(cookie & RING_COOKIE_QUEUE_MASK)));
        } else {
            w.addAll(List.of("action", Long.toUnsignedString(cookie)));
        }
        if (r.hasFlag(FlowType.FLOW_RSS)) {
            w.addAll(List.of("context", Integer.toUnsignedString(r.rssContext())));
        }
        if (r.hasLocation()) {
            w.addAll(List.of("loc", Integer.toString(r.location())));
        }
        return String.join(" ", w);
    }

    private static boolean allOnes(byte[] b) {
        for (byte x : b) {
            if (x != (byte) 0xff) {
                return false;
            }
        }
        return true;
    }

    private static void address(List<String> w, RxFlowSpec r, String name, int offset, int length) {
        if (!r.isSet(offset, length)) {
            return;
        }
        byte[] mask = r.bytes(offset + M, length);
        w.add(name);
        w.add(length == 4 ? ipv4(r, offset, false) : ipv6(r, offset, false));
        if (!allOnes(mask)) {
            w.add("m");
            w.add(length == 4 ? ipv4(r, offset + M, true) : ipv6(r, offset + M, true));
        }
    }

    private static void macField(List<String> w, RxFlowSpec r, String name, int offset) {
        if (!r.isSet(offset, 6)) {
            return;
        }
        byte[] mask = r.bytes(offset + M, 6);
        w.add(name);
        w.add(mac(r.bytes(offset, 6)));
        if (!allOnes(mask)) {
            w.add("m");
            w.add(mac(maybeInverted(r, offset + M, 6, true)));
        }
    }

    private static void number(List<String> w, RxFlowSpec r, String name, int offset, int length) {
        if (!r.isSet(offset, length)) {
            return;
        }
        long value = read(r, offset, length);
        long mask = read(r, offset + M, length);
        long all = length == 8 ? -1L : (1L << (8 * length)) - 1;
        w.add(name);
        boolean hex = length > 2 || name.equals("proto") || name.startsWith("vlan") || name.equals("tos") || name.equals("tclass");
        w.add(hex ? "0x" + Long.toHexString(value) : Long.toString(value));
        if (mask != all) {
            w.add("m");
            w.add("0x" + Long.toHexString(~mask & all));
        }
    }

    private static long read(RxFlowSpec r, int offset, int length) {
        return switch (length) {
            case 1 -> r.u8(offset);
            case 2 -> r.be16(offset);
            case 4 -> r.be32(offset) & 0xffff_ffffL;
            default -> r.be64(offset);
        };
    }
}
