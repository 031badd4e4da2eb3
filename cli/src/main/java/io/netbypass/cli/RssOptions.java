package io.netbypass.cli;

import java.util.List;

import io.netbypass.scaling.rss.IndirectionTable;
import io.netbypass.scaling.rss.RssHasher;
import io.netbypass.scaling.rss.RssKey;
import io.netbypass.scaling.rss.RssTransform;
import io.netbypass.util.UserException;
import picocli.CommandLine.Option;

/** How a NIC spreads flows: key, input transform, indirection table size and layout. */
final class RssOptions {
    @Option(names = "--key", paramLabel = "HEX",
            description = "Toeplitz key, 6d:5a:... or plain hex (default: Microsoft's 40-byte sample key)")
    String key;

    @Option(names = "--symmetric", description = "use the symmetric key 6d5a repeated (40 bytes)")
    boolean symmetric;

    @Option(names = "--xfrm", paramLabel = "XFRM", description = "input transform: none, symmetric-xor, symmetric-or-xor")
    String xfrm;

    @Option(names = "--equal", paramLabel = "N", description = "indirection table like 'ethtool -X equal N'")
    Integer equal;

    @Option(names = "--weight", paramLabel = "W", arity = "1..*", split = ",",
            description = "indirection table like 'ethtool -X weight W0 W1 ...' (give it last, or comma-separated)")
    List<Long> weights;

    @Option(names = "--start", paramLabel = "S", description = "first queue for --equal/--weight (ethtool -X ... start S)")
    Integer start;

    RssKey key() {
        if (key != null && symmetric) {
            throw new UserException("--key and --symmetric are mutually exclusive");
        }
        if (symmetric) {
            return RssKey.symmetric(RssKey.MICROSOFT_LENGTH);
        }
        return key == null ? RssKey.microsoftDefault() : RssKey.parse(key);
    }

    RssTransform transform() {
        return xfrm == null ? RssTransform.NONE : RssTransform.fromName(xfrm);
    }

    RssHasher hasher() {
        return new RssHasher(key(), transform());
    }

    boolean hasLayout() {
        return equal != null || weights != null;
    }

    /** The table for {@code size} entries; without --equal/--weight the kernel default over {@code rings}. */
    IndirectionTable table(int size, int rings) {
        if (equal != null && weights != null) {
            throw new UserException("Equal and weight options are mutually exclusive");
        }
        int s = start == null ? 0 : start;
        if (start != null && !hasLayout()) {
            throw new UserException("Start must be used with equal or weight options");
        }
        if (equal != null) {
            return IndirectionTable.equal(size, equal, s);
        }
        if (weights != null) {
            return IndirectionTable.weight(size, u32(weights), s);
        }
        return IndirectionTable.defaultFill(size, rings);
    }

    static int[] u32(List<Long> weights) {
        int[] w = new int[weights.size()];
        for (int i = 0; i < w.length; i++) {
            long v = weights.get(i);
            if (v < 0 || v > 0xffff_ffffL) {
                throw new UserException("weight " + v + " is outside 0..4294967295");
            }
            w[i] = (int) v;
        }
        return w;
    }
}
