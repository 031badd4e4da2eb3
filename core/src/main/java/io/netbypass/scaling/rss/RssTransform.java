package io.netbypass.scaling.rss;

import io.netbypass.util.UserException;

/**
 * How the hash input is rearranged before Toeplitz ({@code ethtool -X dev xfrm ...}). The
 * symmetric transforms make both directions of a flow hash alike with any key.
 */
public enum RssTransform {
    /** src | dst | sport | dport as they are. */
    NONE("none"),
    /** Linux RXH_XFRM_SYM_XOR: (src^dst, src^dst, sport^dport, sport^dport). */
    SYMMETRIC_XOR("symmetric-xor"),
    /** Linux RXH_XFRM_SYM_OR_XOR: (src|dst, src^dst, sport|dport, sport^dport); keeps more entropy. */
    SYMMETRIC_OR_XOR("symmetric-or-xor");

    private final String ethtoolName;

    RssTransform(String ethtoolName) {
        this.ethtoolName = ethtoolName;
    }

    public String ethtoolName() {
        return ethtoolName;
    }

    public static RssTransform fromName(String name) {
        for (RssTransform t : values()) {
            if (t.ethtoolName.equals(name)) {
                return t;
            }
        }
        throw new UserException("unknown RSS input transform '" + name
                + "' (none, symmetric-xor, symmetric-or-xor)");
    }
}
