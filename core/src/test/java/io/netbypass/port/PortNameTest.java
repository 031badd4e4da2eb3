package io.netbypass.port;

import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.netbypass.port.PortName.Flag;
import io.netbypass.port.PortName.Register;
import io.netbypass.util.UserException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PortNameTest {
    private static PortName p(String text) {
        return PortName.parse(text, "vnic");
    }

    @Test
    void netmapModesBehindABackendPrefix() {
        PortName all = p("vnic:eth3");
        assertEquals("vnic", all.backend());
        assertEquals("eth3", all.device());
        assertEquals(Register.ALL_NIC, all.register());
        PortName pair = p("vnic:eth3-4");
        assertEquals(Register.ONE_NIC, pair.register());
        assertEquals(4, pair.ring());
        assertFalse(pair.rxOnly());
        PortName single = p("vnic:eth3-4/R");
        assertEquals(Register.ONE_NIC, single.register());
        assertEquals(4, single.ring());
        assertTrue(single.rxOnly());
        assertEquals(single, p("vnic:eth3~4"), "Cloudflare's ~N is -N/R");
        assertEquals("vnic:eth3-4/R", p("vnic:eth3~4").toString());
        assertTrue(p("vnic:eth3/T").txOnly());
        assertEquals(Register.SW, p("vnic:eth3^").register());
        PortName oneHost = p("vnic:eth3^1");
        assertEquals(Register.ONE_SW, oneHost.register());
        assertEquals(1, oneHost.ring());
        assertEquals(Register.NIC_SW, p("vnic:eth3*").register());
        assertEquals(Register.PIPE_MASTER, p("vnic:eth3{2").register());
        assertEquals(Register.PIPE_SLAVE, p("vnic:eth3}2").register());
        assertEquals(Set.of(Flag.EXCLUSIVE, Flag.RX_ONLY), p("vnic:eth3-0/Rx").flags());
        assertEquals("xdp", p("xdp:ens1f0-4/R").backend());
        assertEquals("vnic", p("netmap:eth3").backend(), "netmap: means the default backend");
        assertEquals("vnic", p("eth3-4/R").backend(), "no prefix: the default backend");
        assertEquals("br-lan", p("vnic:br-lan").device(), "a dash not followed by a number belongs to the name");
        assertEquals(Register.ALL_NIC, p("vnic:br-lan").register());
        assertEquals("/tmp/a-1.pcap", p("pcap:/tmp/a-1.pcap").device(), "pcap: takes the rest as a path");
    }

    @Test
    void confSetsRingAndSlotCounts() {
        PortName c = p("vnic:eth3@conf:rings=4,slots=1024,host-rings=2");
        assertEquals(new PortName.PortConfig(4, 4, 2, 1024, 1024), c.config());
        assertEquals("vnic:eth3@conf:rx-rings=4,tx-rings=4,host-rings=2,rx-slots=1024,tx-slots=1024", c.toString());
        assertEquals(c, p(c.toString()), "the canonical form parses back to the same port");
        PortName x = p("xdp:eth3-1/R@conf:mode=generic,slots=512");
        assertEquals("generic", x.config().xdpMode());
        assertEquals("xdp:eth3-1/R@conf:rx-slots=512,tx-slots=512,mode=generic", x.toString());
        assertEquals(x, p(x.toString()));
        PortName f = p("afpacket:eth3@conf:rings=4,fanout=qm");
        assertEquals("qm", f.config().fanout());
        assertEquals("afpacket:eth3@conf:rx-rings=4,tx-rings=4,fanout=qm", f.toString());
        assertEquals(f, p(f.toString()));

        PortName d = p("vnic:eth3-1/R@conf:rx-slots=256");
        assertEquals(256, d.config().rxSlots());
        assertEquals(1, d.ring());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "|empty port name",
        "foo:eth3|unknown backend 'foo' (vnic, xdp, afpacket, tap, pcap)",
        "vnic:|missing interface name",
        "vnic:-4|missing interface name",
        "vnic:eth3-4/Q|unknown flag 'Q' after '/' (R, T, x, z, t, r)",
        "vnic:eth3/|empty flags after '/'",
        "vnic:eth3~x|ring number 'x' after '~' is not a number 0..65535",
        "vnic:eth3^y|ring number 'y' after '^' is not a number 0..65535",
        "vnic:eth3-70000|ring number '70000' after '-' is not a number 0..65535",
        "vnic:eth3*2|unexpected '2' after '*'",
        "vnic:eth3{|missing pipe id after '{'",
        "vnic:eth3/RT|flags R and T exclude each other",
        "vnic:averyveryverylongname|interface name 'averyveryverylongname' is longer than 15 characters",
        "vnic:eth3@rings=4|unknown option '@rings=4' (only @conf:KEY=VALUE,...)",
        "vnic:eth3@conf:ringz=4|unknown @conf: key 'ringz' (rings, rx-rings, tx-rings, host-rings, slots, rx-slots, tx-slots, mode, fanout)",
        "xdp:eth3@conf:mode=turbo|@conf: mode=turbo is not native or generic",
        "afpacket:eth3@conf:fanout=roundrobin|@conf: fanout=roundrobin is not hash, cpu, qm, lb or rnd",
        "vnic:eth3@conf:slots=0|@conf: slots=0 is not a count 1..65535",
        "vnic:eth3@conf:slots|'slots' in @conf: is not KEY=VALUE",
        "pcap:|missing capture file after 'pcap:'",
    })
    void badNamesSayWhichPartIsWrong(String testCase) {
        String[] parts = testCase.split("\\|", 2);
        UserException e = assertThrows(UserException.class, () -> p(parts[0]));
        assertEquals("port '" + parts[0] + "': " + parts[1], e.getMessage());
    }
}
