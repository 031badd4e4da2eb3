package io.netbypass.linux.xdp;

import io.netbypass.linux.Native;
import io.netbypass.linux.bpf.Bpf;
import io.netbypass.linux.xdp.FlowSteering;
import io.netbypass.packet.EtherTypes;
import io.netbypass.packet.IpProtocols;
import io.netbypass.packet.LinkType;
import io.netbypass.packet.PacketParser;
import io.netbypass.packet.ParsedPacket;
import io.netbypass.scaling.ntuple.NtupleClassifier;
import io.netbypass.scaling.ntuple.NtupleKey;
import io.netbypass.scaling.ntuple.NtupleParser;
import io.netbypass.scaling.ntuple.RxFlowSpec;
import io.netbypass.testing.Privileged;
import io.netbypass.util.UserException;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import static io.netbypass.testing.Frames.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The flow-mode XDP program, run by the kernel on frames with BPF_PROG_TEST_RUN, decides every
 * frame exactly as our ntuple matcher does over our parser: random rule sets (every flow type
 * XDP takes, prefixes, port masks, VLAN, MACs, TOS, drop and queue actions) against valid,
 * tagged, fragmented, extension-chained, truncated and corrupted frames.
 */
@Privileged
class FlowSteeringPrivilegedTest {
    private static final String[] V4 = {"198.18.0.1", "198.18.0.2", "198.18.1.7", "198.19.4.4"};
    private static final String[] V6 = {"2001:db8::1", "2001:db8::2", "2001:db8:1::7", "2001:db9::4"};

    /**
     * What the reference says: the first rule whose masked words all equal its values; an IPv6
     * packet with more extension headers than the program walks goes to user space unjudged
     * when any rule could match IPv6 (fail closed: our parser walks the whole chain).
     */
    private static int expected(List<RxFlowSpec> rules, long[][] values, long[][] masks, NtupleKey key, ParsedPacket parsed) {
        int walked = FlowSteering.EXTENSION_HEADERS_WALKED;
        boolean deeper = parsed.ipVersion() == 6 && (parsed.extensionHeaders() > walked
                || (parsed.extensionHeaders() == walked && parsed.ipProtocol() == ParsedPacket.NONE && parsed.fragmentOffset() == 0));
        if (deeper && rules.stream().anyMatch(r -> r.flowType().ipVersion() != 4)) {
            return FlowSteering.TEST_MATCH;
        }
        for (int r = 0; r < rules.size(); r++) {
            boolean hit = true;
            for (int i = 0; i < NtupleKey.WORDS && hit; i++) {
                hit = (key.word(i) & masks[r][i]) == values[r][i];
            }
            if (hit) {
                return rules.get(r).isDrop() ? Bpf.XDP_DROP : FlowSteering.TEST_MATCH;
            }
        }
        return Bpf.XDP_PASS;
    }

    private static String randomRule(SplittableRandom r) {
        String[] types = {"udp4", "tcp4", "sctp4", "esp4", "ip4", "udp6", "tcp6", "ip6", "ether"};
        String type = types[r.nextInt(types.length)];
        boolean v6 = type.endsWith("6");
        StringBuilder b = new StringBuilder("flow-type ").append(type);
        if (type.equals("ether")) {
            switch (r.nextInt(3)) {
                case 0 -> b.append(" proto 0x").append(Integer.toHexString(r.nextBoolean() ? 0x0800 : 0x86dd));
                case 1 -> b.append(" src 02:00:00:00:00:01");
                default -> b.append(" dst 02:00:00:00:00:02 proto 0x0800");
            }
        } else {
            String[] hosts = v6 ? V6 : V4;
            if (r.nextInt(3) == 0) {
                b.append(" src-ip ").append(hosts[r.nextInt(hosts.length)]);
                if (r.nextBoolean()) {
                    b.append(v6 ? " m ::ffff:ffff" : " m 0.0.255.255");
                }
            }
            if (r.nextInt(3) == 0) {
                b.append(" dst-ip ").append(hosts[r.nextInt(hosts.length)]);
            }
            if (type.startsWith("udp") || type.startsWith("tcp") || type.startsWith("sctp")) {
                if (r.nextBoolean()) {
                    b.append(" dst-port ").append(50 + r.nextInt(6));
                    if (r.nextInt(3) == 0) {
                        b.append(" m 0x3");
                    }
                }
                if (r.nextInt(4) == 0) {
                    b.append(" src-port ").append(1000 + r.nextInt(3));
                }
            } else if (type.startsWith("esp")) {
                b.append(" spi ").append(r.nextInt(3));
            } else if (r.nextBoolean()) {
                b.append(" l4proto ").append(new int[] {6, 17, 1, 58}[r.nextInt(4)]);
            }
            if (r.nextInt(5) == 0) {
                b.append(v6 ? " tclass " : " tos ").append(r.nextBoolean() ? "0" : "0xb8");
            }
        }
        if (r.nextInt(6) == 0) {
            b.append(" vlan ").append(100 + r.nextInt(2));
        }
        if (!type.equals("ether") && r.nextInt(8) == 0) {
            b.append(" dst-mac 02:00:00:00:00:02");
        }
        b.append(" action ").append(r.nextInt(4) == 0 ? -1 : r.nextInt(4));
        return b.toString();
    }

    private static byte[] transport(SplittableRandom r, int protocol) {
        int sport = 1000 + r.nextInt(3);
        int dport = 50 + r.nextInt(6);
        return switch (protocol) {
            case IpProtocols.UDP -> udp(sport, dport, new byte[r.nextInt(20)]);
            case IpProtocols.TCP -> tcp(sport, dport, 1, 0, 0x18, new byte[4 * r.nextInt(3)], new byte[r.nextInt(20)]);
            case IpProtocols.SCTP -> concat(u16(sport), u16(dport), new byte[8 + r.nextInt(8)]);
            case IpProtocols.ESP -> concat(u32(r.nextInt(3)), u32(1), new byte[16]);
            default -> concat(new byte[] {8, 0, 0, 0}, new byte[4 + r.nextInt(8)]);
        };
    }

    private static byte[] randomFrame(SplittableRandom r) {
        int[] protocols = {IpProtocols.UDP, IpProtocols.TCP, IpProtocols.SCTP, IpProtocols.ESP, IpProtocols.ICMP};
        int protocol = protocols[r.nextInt(protocols.length)];
        byte[] ip;
        int type;
        if (r.nextBoolean()) {
            type = EtherTypes.IPV4;
            byte[] options = new byte[4 * (r.nextInt(4) == 0 ? r.nextInt(4) : 0)];
            int frag = switch (r.nextInt(6)) {
                case 0 -> 0x2000;               // first fragment
                case 1 -> 0x0000 | 1 + r.nextInt(100); // later fragment
                default -> 0x4000;              // DF, whole
            };
            ip = ipv4(V4[r.nextInt(V4.length)], V4[r.nextInt(V4.length)], protocol, 7, frag, 64, options, transport(r, protocol));
            if (r.nextInt(8) == 0) {
                ip[1] = (byte) 0xb8;
            }
        } else {
            type = EtherTypes.IPV6;
            int upper = protocol == IpProtocols.ICMP ? IpProtocols.ICMPV6 : protocol;
            ByteArrayOutputStream chain = new ByteArrayOutputStream();
            int headers = r.nextInt(3) == 0 ? r.nextInt(13) : 0;
            int[] kinds = {IpProtocols.HOPOPTS, IpProtocols.ROUTING, IpProtocols.DSTOPTS, IpProtocols.FRAGMENT, IpProtocols.AH};
            int[] chosen = new int[headers];
            for (int h = 0; h < headers; h++) {
                chosen[h] = kinds[r.nextInt(kinds.length)];
            }
            for (int h = 0; h < headers; h++) {
                int next = h + 1 < headers ? chosen[h + 1] : upper;
                chain.writeBytes(switch (chosen[h]) {
                    case IpProtocols.FRAGMENT -> ipv6Fragment(next, r.nextInt(3) == 0 ? 8 * r.nextInt(4) : 0, r.nextBoolean(), 9);
                    case IpProtocols.AH -> concat(new byte[] {(byte) next, 4, 0, 0}, u32(5), u32(1), new byte[12]);
                    default -> ipv6Extension(next, 1 + r.nextInt(2));
                });
            }
            int first = headers > 0 ? chosen[0] : upper;
            byte[] payload = concat(chain.toByteArray(), transport(r, upper));
            ip = ipv6(V6[r.nextInt(V6.length)], V6[r.nextInt(V6.length)], first, payload, -1, upper);
            if (r.nextInt(8) == 0) {
                ip[0] = 0x6b; // traffic class 0xb8
                ip[1] = (byte) 0x80;
            }
        }
        byte[] frame;
        int tags = r.nextInt(4) == 0 ? r.nextInt(6) : 0;
        if (tags == 0) {
            frame = ethernet(type, ip);
        } else {
            int[][] t = new int[tags][];
            for (int i = 0; i < tags; i++) {
                t[i] = new int[] {new int[] {EtherTypes.VLAN, EtherTypes.QINQ_8021AD, EtherTypes.QINQ_9100}[r.nextInt(3)],
                        100 + r.nextInt(2)};
            }
            frame = ethernetTagged(t, type, ip);
        }
        switch (r.nextInt(6)) {
            case 0 -> frame = Arrays.copyOf(frame, 14 + r.nextInt(Math.max(1, frame.length - 14))); // cut short
            case 1 -> {
                for (int k = 0; k < 1 + r.nextInt(3); k++) { // damage after the link header
                    frame[14 + r.nextInt(frame.length - 14)] = (byte) r.nextInt(256);
                }
            }
            case 2 -> frame = concat(frame, new byte[r.nextInt(30)]); // trailer past the datagram
            default -> { }
        }
        return frame;
    }

    @Test
    void theKernelRunningOurProgramDecidesEveryFrameAsOurMatcherDoes() throws Exception {
        SplittableRandom r = new SplittableRandom(20261122);
        ParsedPacket parsed = new ParsedPacket();
        NtupleKey key = new NtupleKey();
        int frames = 0;
        int[] outcomes = new int[5];
        for (int set = 0; set < 40; set++) {
            List<RxFlowSpec> rules = new ArrayList<>();
            int n = 1 + r.nextInt(12);
            for (int i = 0; i < n; i++) {
                rules.add(NtupleParser.parse(randomRule(r)));
            }
            long[][] values = new long[n][NtupleKey.WORDS];
            long[][] masks = new long[n][NtupleKey.WORDS];
            for (int i = 0; i < n; i++) {
                NtupleClassifier.ruleWords(rules.get(i), values[i], masks[i]);
            }
            int prog = Bpf.loadXdp("nb_flow_test", FlowSteering.program(rules, -1));
            try {
                for (int f = 0; f < 2500; f++) {
                    byte[] frame = randomFrame(r);
                    PacketParser.parse(MemorySegment.ofArray(frame), 0, frame.length, LinkType.ETHERNET, parsed);
                    int want = expected(rules, values, masks, key.extract(parsed), parsed);
                    int got = Bpf.testRun(prog, frame);
                    if (got != want) {
                        fail("rules " + rules + "\nframe " + java.util.HexFormat.of().formatHex(frame) + "\nexpected " + want
                                + ", the XDP program returned " + got);
                    }
                    outcomes[got]++;
                    frames++;
                }
            } finally {
                Native.close(prog);
            }
        }
        assertEquals(100_000, frames);
        assertTrue(outcomes[Bpf.XDP_DROP] > 1000 && outcomes[FlowSteering.TEST_MATCH] > 1000 && outcomes[Bpf.XDP_PASS] > 1000,
                "drops, matches and passes all happen: " + Arrays.toString(outcomes));
    }

    @Test
    void rulesXdpCannotHonourAreRefusedInOneLine() {
        assertEquals("'flow-type ah4 spi 0x1 action 2': AH rules are not matched in XDP (use esp4/esp6 or ip4/ip6 l4proto 51)",
                assertThrows(UserException.class,
                        () -> FlowSteering.check(NtupleParser.parse("flow-type ah4 spi 1 action 2"))).getMessage());
        assertThrows(UserException.class,
                () -> FlowSteering.check(NtupleParser.parse("flow-type udp4 dst-port 53 context 1 action 2")));
    }
}
