package io.netbypass.linux.netlink;

import io.netbypass.linux.ethtool.EthtoolNetlink;
import io.netbypass.linux.netlink.Attributes;
import io.netbypass.linux.netlink.NetlinkMessage;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** Netlink messages byte for byte, attribute walks over good and lying input, ethtool's short feature names. */
class NetlinkCodecTest {
    private static byte[] bytes(int... b) {
        byte[] out = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            out[i] = (byte) b[i];
        }
        return out;
    }

    @Test
    void aFamilyLookupEncodesAsTheKernelReadsIt() {
        byte[] m = new NetlinkMessage(0x10, NetlinkMessage.NLM_F_REQUEST | NetlinkMessage.NLM_F_ACK, 7, 3, 1)
                .string(2, "ethtool").finish();
        ByteBuffer b = ByteBuffer.wrap(m).order(ByteOrder.nativeOrder());
        assertEquals(32, m.length, "16 header + 4 genl + 4 attribute header + 8 for the NUL-terminated name");
        assertEquals(32, b.getInt(0), "nlmsg_len");
        assertEquals(0x10, b.getShort(4), "nlmsg_type: GENL_ID_CTRL");
        assertEquals(0x05, b.getShort(6), "NLM_F_REQUEST | NLM_F_ACK");
        assertEquals(7, b.getInt(8), "sequence");
        assertEquals(0, b.getInt(12), "port id 0: the kernel");
        assertEquals(3, m[16], "CTRL_CMD_GETFAMILY");
        assertEquals(1, m[17], "version");
        assertEquals(12, b.getShort(20), "nla_len: 4 + 8, the padding not counted");
        assertEquals(2, b.getShort(22), "CTRL_ATTR_FAMILY_NAME");
        assertEquals("ethtool", new String(m, 24, 7));
        assertEquals(0, m[31], "NUL");
    }

    @Test
    void nestsCarryTheirLengthAndTheNestedFlagAndStringsArePadded() {
        NetlinkMessage n = new NetlinkMessage(20, 1, 1, 18, 1);
        int h = n.begin(1);
        n.string(2, "veth0");
        n.end(h);
        n.u32(6, 2).flag(3);
        byte[] m = n.finish();
        ByteBuffer b = ByteBuffer.wrap(m).order(ByteOrder.nativeOrder());
        assertEquals(16, b.getShort(20), "nest: 4 + (4 + 6 padded to 8)");
        assertEquals(1 | NetlinkMessage.NLA_F_NESTED, b.getShort(22) & 0xffff);
        assertEquals(10, b.getShort(24), "the string attribute's own length excludes padding");
        assertEquals(8, b.getShort(36));
        assertEquals(6, b.getShort(38));
        assertEquals(2, b.getInt(40));
        assertEquals(4, b.getShort(44), "a flag is a bare header");
        assertEquals(48, m.length);

        Attributes a = new Attributes(m, 20, m.length);
        assertEquals("veth0", a.nested(1).string(2));
        assertEquals(2, a.u32(6, -1));
        assertTrue(a.has(3));
        assertFalse(a.has(4));
        assertEquals(-1, a.u32(9, -1));
    }

    @Test
    void lyingLengthsEndTheWalkWithoutReadingPastTheEnd() {
        // A good u32 attribute, then one claiming 200 bytes in a 16-byte buffer, then nothing more is read.
        byte[] m = new byte[16];
        ByteBuffer b = ByteBuffer.wrap(m).order(ByteOrder.nativeOrder());
        b.putShort(0, (short) 8).putShort(2, (short) 5).putInt(4, 42);
        b.putShort(8, (short) 200).putShort(10, (short) 6);
        Attributes a = new Attributes(m, 0, m.length);
        assertEquals(42, a.u32(5, -1));
        assertFalse(a.has(6));
        assertEquals(List.of(), new Attributes(bytes(3, 0, 1, 0), 0, 4).all(1), "a length under 4 ends it too");
        assertNull(new Attributes(new byte[2], 0, 2).string(1));
    }

    @Test
    void ethtoolShortNamesExpandToKernelFeatures() {
        Map<String, Boolean> asked = new LinkedHashMap<>();
        asked.put("gro", false);
        asked.put("tso", true);
        asked.put("rx-udp-gro-forwarding", true);
        // A 6.18 kernel's features: tso is every tx-tcp*-segmentation, the accecn one it added too (as ethtool's table says).
        List<String> known = List.of("rx-gro", "tx-tcp-segmentation", "tx-tcp-ecn-segmentation", "tx-tcp-mangleid-segmentation",
                "tx-tcp6-segmentation", "tx-tcp-accecn-segmentation", "tx-udp-segmentation", "rx-udp-gro-forwarding");
        Map<String, Boolean> e = EthtoolNetlink.expand(asked, known);
        assertEquals(Boolean.FALSE, e.get("rx-gro"));
        assertEquals(java.util.Set.of("rx-gro", "tx-tcp-segmentation", "tx-tcp-ecn-segmentation", "tx-tcp-mangleid-segmentation",
                "tx-tcp6-segmentation", "tx-tcp-accecn-segmentation", "rx-udp-gro-forwarding"), e.keySet(),
                "tso takes every tx-tcp*-segmentation and no other; gro is rx-gro");
        assertEquals(Boolean.TRUE, e.get("tx-tcp-accecn-segmentation"));
        assertEquals(Boolean.TRUE, e.get("rx-udp-gro-forwarding"), "a kernel name stays as it is");
        assertFalse(e.containsKey("gro"));
    }
}
