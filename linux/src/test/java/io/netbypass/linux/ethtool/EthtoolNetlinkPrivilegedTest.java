package io.netbypass.linux.ethtool;

import io.netbypass.linux.InNamespace;
import io.netbypass.linux.LinuxException;
import io.netbypass.linux.ethtool.EthtoolNetlink;
import io.netbypass.testing.Privileged;
import io.netbypass.testing.TestNetwork;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Features and channels through our ethtool netlink agree with the ethtool command's own view of
 * a veth in a namespace of ours, before and after we change them.
 */
@Privileged
class EthtoolNetlinkPrivilegedTest {
    /** ethtool -k's "name: on|off [fixed]" lines, by name. */
    private static Map<String, String> ethtoolK(TestNetwork net) throws Exception {
        String out = net.exec(net.nsB, 10, "ethtool", "-k", net.ifB).orFail("ethtool -k").stdout();
        Map<String, String> m = new HashMap<>();
        Matcher x = Pattern.compile("(?m)^\\s*([a-z0-9-]+): (on|off)( \\[fixed\\])?").matcher(out);
        while (x.find()) {
            m.put(x.group(1), x.group(2) + (x.group(3) == null ? "" : " [fixed]"));
        }
        return m;
    }

    private static String view(EthtoolNetlink.Feature f) {
        return (f.active() ? "on" : "off") + (f.changeable() ? "" : " [fixed]");
    }

    @Test
    void featuresAndChannelsRoundTripAndAgreeWithEthtool() throws Exception {
        try (TestNetwork net = TestNetwork.create(4); InNamespace b = new InNamespace(net.nsB)) {
            Map<String, EthtoolNetlink.Feature> ours = b.call(() -> {
                try (EthtoolNetlink e = EthtoolNetlink.open()) {
                    return e.features(net.ifB);
                }
            });
            Map<String, String> theirs = ethtoolK(net);
            int compared = 0;
            for (Map.Entry<String, EthtoolNetlink.Feature> f : ours.entrySet()) {
                String t = theirs.get(f.getKey());
                if (t != null) {
                    assertEquals(t, view(f.getValue()), f.getKey());
                    compared++;
                }
            }
            assertTrue(compared > 30, "ethtool -k prints most kernel names as they are: " + compared + " compared");
            // ethtool shows rx-gro as generic-receive-offload: turn it off and on through ours, read it through theirs.
            for (boolean on : new boolean[] {false, true}) {
                List<String> refused = b.call(() -> {
                    try (EthtoolNetlink e = EthtoolNetlink.open()) {
                        return e.setFeatures(net.ifB, Map.of("gro", on, "rx-udp-gro-forwarding", on));
                    }
                });
                assertEquals(List.of(), refused);
                Map<String, String> k = ethtoolK(net);
                assertEquals(on ? "on" : "off", k.get("generic-receive-offload"));
                assertEquals(on ? "on" : "off", k.get("rx-udp-gro-forwarding"));
            }
            List<String> fixed = b.call(() -> {
                try (EthtoolNetlink e = EthtoolNetlink.open()) {
                    return e.setFeatures(net.ifB, Map.of("loopback", true));
                }
            });
            assertEquals(List.of("loopback (fixed)"), fixed, "a fixed feature is reported, not silently ignored");

            EthtoolNetlink.Channels c = b.call(() -> {
                try (EthtoolNetlink e = EthtoolNetlink.open()) {
                    return e.channels(net.ifB);
                }
            });
            String l = net.exec(net.nsB, 10, "ethtool", "-l", net.ifB).orFail("ethtool -l").stdout();
            assertTrue(l.contains("Current hardware settings:\nRX:\t\t" + c.rx() + "\nTX:\t\t" + c.tx()), l + "\nours: " + c);
            assertEquals(4, c.rx());
            b.call(() -> {
                try (EthtoolNetlink e = EthtoolNetlink.open()) {
                    e.setChannels(net.ifB, 2, 3, -1, -1);
                }
                return null;
            });
            l = net.exec(net.nsB, 10, "ethtool", "-l", net.ifB).orFail("ethtool -l").stdout();
            assertTrue(l.contains("Current hardware settings:\nRX:\t\t2\nTX:\t\t3"), l);
            LinuxException bad = assertThrows(LinuxException.class, () -> b.call(() -> {
                try (EthtoolNetlink e = EthtoolNetlink.open()) {
                    e.setChannels(net.ifB, 9, -1, -1, -1);
                }
                return null;
            }));
            assertTrue(bad.getMessage().startsWith("ethtool -L " + net.ifB + " (CHANNELS_SET): EINVAL"), bad.getMessage());
            LinuxException none = assertThrows(LinuxException.class, () -> b.call(() -> {
                try (EthtoolNetlink e = EthtoolNetlink.open()) {
                    return e.channels("nbnosuch0");
                }
            }));
            assertTrue(none.getMessage().contains("ENODEV"), none.getMessage());
        }
    }
}
