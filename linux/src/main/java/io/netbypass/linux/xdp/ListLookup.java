package io.netbypass.linux.xdp;

import io.netbypass.filter.rules.Prefix;
import io.netbypass.filter.rules.PrefixList;
import io.netbypass.linux.LinuxException;

import java.util.HashSet;
import java.util.Set;

/**
 * A prefix list in the kernel as a program looks a source up in it: LPM tries ({@link PrefixMap})
 * or hash maps probed once per prefix length ({@link PrefixHash}), one of each per IP version.
 */
public sealed interface ListLookup extends AutoCloseable permits PrefixMap, PrefixHash {
    /**
     * Lists holding at most this many IPv4 prefix lengths go into hash maps: a probe costs about
     * 5 ns, a lookup in the trie of a 100,000-prefix list 80-95 ns (xdp-drop --src-list, which
     * measures both on the list it is given: 100,000 /32s 9-11 ns against 82-89; 17 lengths 83 ns
     * against 79-94 for a source not listed).
     */
    int HASH_MAX_LENGTHS_V4 = 16;
    /** The same for IPv6, whose probe hashes a 20-byte key: about 8 ns (97 lengths: 807 ns against 72). */
    int HASH_MAX_LENGTHS_V6 = 8;

    int ipv4();

    int ipv6();

    @Override
    void close();

    /** The list in the structure that looks it up faster: hash maps for few prefix lengths, else tries. */
    static ListLookup load(PrefixList list) throws LinuxException {
        Set<Integer> v4 = new HashSet<>();
        Set<Integer> v6 = new HashSet<>();
        for (int i = 0; i < list.size(); i++) {
            Prefix p = list.prefix(i);
            (p.version() == 4 ? v4 : v6).add(p.length());
        }
        return v4.size() <= HASH_MAX_LENGTHS_V4 && v6.size() <= HASH_MAX_LENGTHS_V6 ? PrefixHash.load(list) : PrefixMap.load(list);
    }
}
