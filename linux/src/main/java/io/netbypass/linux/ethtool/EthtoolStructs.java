package io.netbypass.linux.ethtool;

import io.netbypass.scaling.ntuple.RxFlowSpec;
import io.netbypass.scaling.rss.IndirectionTable;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The SIOCETHTOOL argument structures for what ethtool netlink does not do (linux/ethtool.h,
 * x86-64 and arm64 layout, host byte order): {@code struct ethtool_rxnfc} for ntuple rules
 * (ETHTOOL_SRXCLSRLINS / SRXCLSRLDEL, 192 bytes with the 168-byte flow spec at 16) and
 * {@code struct ethtool_rxfh} for the RSS table and key (ETHTOOL_SRSSH: 24 bytes, then the
 * table as u32s, then the key).
 */
public final class EthtoolStructs {
    public static final int ETHTOOL_SRXCLSRLDEL = 0x31;
    public static final int ETHTOOL_SRXCLSRLINS = 0x32;
    public static final int ETHTOOL_SRSSH = 0x47;
    public static final int RXNFC_LENGTH = 192;
    public static final int RXNFC_FLOW_TYPE = 4;
    public static final int RXNFC_DATA = 8;
    public static final int RXNFC_FS = 16;
    public static final int RXNFC_RSS_CONTEXT = 184;
    public static final int RXFH_HEADER_LENGTH = 24;
    /** fs.location asking the driver to pick the place (drivers with RX_CLS_LOC_SPECIAL). */
    public static final int RX_CLS_LOC_ANY = 0xffffffff;

    private EthtoolStructs() {
    }

    /** ETHTOOL_SRXCLSRLINS for {@code spec} (its location, or RX_CLS_LOC_ANY when it has none). */
    public static byte[] insertRule(RxFlowSpec spec) {
        ByteBuffer b = ByteBuffer.allocate(RXNFC_LENGTH).order(ByteOrder.nativeOrder());
        b.putInt(0, ETHTOOL_SRXCLSRLINS);
        b.put(RXNFC_FS, spec.toBytes());
        if (!spec.hasLocation()) {
            b.putInt(RXNFC_FS + 160, RX_CLS_LOC_ANY);
        }
        b.putInt(RXNFC_RSS_CONTEXT, spec.rssContext());
        return b.array();
    }

    /** ETHTOOL_SRXCLSRLDEL of the rule at {@code location}. */
    public static byte[] deleteRule(int location) {
        ByteBuffer b = ByteBuffer.allocate(RXNFC_LENGTH).order(ByteOrder.nativeOrder());
        b.putInt(0, ETHTOOL_SRXCLSRLDEL);
        b.putInt(RXNFC_FS + 160, location);
        return b.array();
    }

    /** ETHTOOL_SRSSH changing only the hash key (indir_size ETH_RXFH_INDIR_NO_CHANGE). */
    public static byte[] setRssKey(int context, byte[] key) {
        ByteBuffer b = ByteBuffer.allocate(RXFH_HEADER_LENGTH + key.length).order(ByteOrder.nativeOrder());
        b.putInt(0, ETHTOOL_SRSSH);
        b.putInt(4, context);
        b.putInt(8, 0xffffffff);
        b.putInt(12, key.length);
        b.put(RXFH_HEADER_LENGTH, key);
        return b.array();
    }

    /**
     * ETHTOOL_SRSSH for RSS context {@code context}: the table ({@code null}: indir_size 0, the
     * driver's default table, as {@code ethtool -X default}), the key ({@code null}: key_size 0,
     * left as it is); hash function and input transform left as they are (0).
     */
    public static byte[] setRss(int context, IndirectionTable table, byte[] key) {
        int entries = table == null ? 0 : table.size();
        int keyLength = key == null ? 0 : key.length;
        ByteBuffer b = ByteBuffer.allocate(RXFH_HEADER_LENGTH + 4 * entries + keyLength).order(ByteOrder.nativeOrder());
        b.putInt(0, ETHTOOL_SRSSH);
        b.putInt(4, context);
        b.putInt(8, entries);
        b.putInt(12, keyLength);
        for (int i = 0; i < entries; i++) {
            b.putInt(RXFH_HEADER_LENGTH + 4 * i, table.entry(i));
        }
        if (key != null) {
            b.put(RXFH_HEADER_LENGTH + 4 * entries, key);
        }
        return b.array();
    }
}
