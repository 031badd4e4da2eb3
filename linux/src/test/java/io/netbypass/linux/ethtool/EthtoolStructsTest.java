package io.netbypass.linux.ethtool;

import io.netbypass.linux.ethtool.EthtoolStructs;
import io.netbypass.scaling.ntuple.NtupleParser;
import io.netbypass.scaling.rss.IndirectionTable;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The seed's own commands, {@code ethtool -X eth3 weight 1 1 1 1 0 1 1 1 1 1} and
 * {@code ethtool -N eth3 flow-type udp4 dst-port 53 action 4}, encoded to the bytes of
 * {@code struct ethtool_rxfh} and {@code struct ethtool_rxnfc} as SIOCETHTOOL takes them.
 */
class EthtoolStructsTest {
    @Test
    void theSeedsWeightCommandEncodesTheTableWithoutQueue4() {
        IndirectionTable t = IndirectionTable.weight(128, new int[] {1, 1, 1, 1, 0, 1, 1, 1, 1, 1}, 0);
        byte[] rxfh = EthtoolStructs.setRss(0, t, null);
        ByteBuffer b = ByteBuffer.wrap(rxfh).order(ByteOrder.nativeOrder());
        assertEquals(24 + 128 * 4, rxfh.length, "header, then 128 u32 entries, no key");
        assertEquals(0x47, b.getInt(0), "ETHTOOL_SRSSH");
        assertEquals(0, b.getInt(4), "rss_context 0");
        assertEquals(128, b.getInt(8), "indir_size");
        assertEquals(0, b.getInt(12), "key_size 0: the key stays");
        assertEquals(0, rxfh[16], "hfunc: unchanged");
        assertEquals(0, rxfh[17], "input_xfrm: unchanged");
        int[] counts = new int[10];
        for (int i = 0; i < 128; i++) {
            int q = b.getInt(24 + 4 * i);
            assertEquals(t.entry(i), q);
            counts[q]++;
        }
        assertEquals(0, counts[4], "weight 0: queue 4 is out of RSS");
        // ethtool's integer walk: 128 entries over 9 queues of weight 1 -> 14 or 15 each, in order.
        assertEquals(128, java.util.Arrays.stream(counts).sum());
        assertEquals(0, b.getInt(24), "the first entries go to queue 0");
        assertEquals(9, b.getInt(24 + 4 * 127), "the last to queue 9");
        for (int q : new int[] {0, 1, 2, 3, 5, 6, 7, 8, 9}) {
            assertTrue(counts[q] == 14 || counts[q] == 15, "queue " + q + ": " + counts[q]);
        }
    }

    @Test
    void theSeedsNtupleRuleEncodesAsAnEthtoolRxnfc() {
        byte[] rxnfc = EthtoolStructs.insertRule(NtupleParser.parse("flow-type udp4 dst-port 53 action 4"));
        ByteBuffer b = ByteBuffer.wrap(rxnfc).order(ByteOrder.nativeOrder());
        assertEquals(192, rxnfc.length, "sizeof(struct ethtool_rxnfc) on x86-64");
        assertEquals(0x32, b.getInt(0), "ETHTOOL_SRXCLSRLINS");
        assertEquals(0, b.getInt(4), "rxnfc.flow_type: unused for an insert");
        assertEquals(0L, b.getLong(8), "rxnfc.data");
        int fs = 16;
        assertEquals(0x02, b.getInt(fs), "fs.flow_type UDP_V4_FLOW");
        assertEquals(0, b.getInt(fs + 4), "ip4src: any");
        assertEquals(0, b.getInt(fs + 8), "ip4dst: any");
        assertEquals(0x00, rxnfc[fs + 4 + 10] & 0xff, "pdst, big-endian 53");
        assertEquals(0x35, rxnfc[fs + 4 + 11] & 0xff);
        assertEquals(0xff, rxnfc[fs + 76 + 10] & 0xff, "m_u.udp_ip4_spec.pdst: all bits count (the kernel's mask)");
        assertEquals(0xff, rxnfc[fs + 76 + 11] & 0xff);
        assertEquals(0, rxnfc[fs + 76 + 8] | rxnfc[fs + 76 + 9], "psrc mask 0: ignored");
        assertEquals(4L, b.getLong(fs + 152), "ring_cookie: queue 4");
        assertEquals(0xffffffff, b.getInt(fs + 160), "location: RX_CLS_LOC_ANY, the driver picks");
        assertEquals(0, b.getInt(184), "rss_context");

        byte[] placed = EthtoolStructs.insertRule(NtupleParser.parse("flow-type udp4 dst-port 53 action 4 loc 7"));
        assertEquals(7, ByteBuffer.wrap(placed).order(ByteOrder.nativeOrder()).getInt(fs + 160), "loc 7");
        byte[] drop = EthtoolStructs.insertRule(NtupleParser.parse("flow-type udp4 dst-port 53 action -1"));
        assertEquals(-1L, ByteBuffer.wrap(drop).order(ByteOrder.nativeOrder()).getLong(fs + 152), "RX_CLS_FLOW_DISC");
        byte[] delete = EthtoolStructs.deleteRule(7);
        ByteBuffer d = ByteBuffer.wrap(delete).order(ByteOrder.nativeOrder());
        assertEquals(0x31, d.getInt(0));
        assertEquals(7, d.getInt(fs + 160));
    }
}
