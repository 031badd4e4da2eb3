package io.netbypass.linux.xdp;

import io.netbypass.filter.rules.Prefix;
import io.netbypass.filter.rules.PrefixList;
import io.netbypass.linux.Native;
import io.netbypass.linux.bpf.Bpf;
import io.netbypass.packet.AddressText;
import io.netbypass.packet.FrameBuilder;
import io.netbypass.packet.IpProtocols;
import io.netbypass.testing.Privileged;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A prefix list as the kernel's LPM tries, and as hash maps probed per prefix length, looked up by
 * an XDP program run with BPF_PROG_TEST_RUN: it drops exactly the frames whose source {@link PrefixList#longestLinear}
 * finds (IPv4 and IPv6, nested prefixes, /0 to /32 and /128), and passes the rest (other
 * sources, frames that are not IP, frames cut short).
 */
@Privileged
class PrefixMapPrivilegedTest {
    private static Prefix random4(SplittableRandom r) {
        int len = r.nextInt(26, 33); // narrow within the /15 the frames come from: hits and misses
        int a = (198 << 24 | 18 << 16) + r.nextInt(1 << 17); // inside 198.18.0.0/15: hits and misses both
        return Prefix.parse(AddressText.ipv4(len == 32 ? a : a & (-1 << (32 - len))) + "/" + len);
    }

    private static Prefix random6(SplittableRandom r) {
        int len = r.nextInt(48, 129);
        long high = 0x20010db8_00000000L | (long) r.nextInt(4) << 16 | r.nextInt(1 << 16);
        return new Prefix(6, high, r.nextLong(), len).network();
    }

    /** A frame from a random source in 198.18.0.0/15 or 2001:db8::/32; for IPv6, half inside one of {@code six}. */
    private static byte[] frame(SplittableRandom r, boolean v6, List<Prefix> six) {
        if (v6) {
            long high = 0x20010db8_00000000L | (long) r.nextInt(4) << 16 | r.nextInt(1 << 16);
            long low = r.nextLong();
            if (r.nextBoolean()) {
                Prefix p = six.get(r.nextInt(six.size()));
                long hostHigh = p.length() >= 64 ? 0 : -1L >>> p.length();
                long hostLow = p.length() <= 64 ? -1L : p.length() == 128 ? 0 : -1L >>> (p.length() - 64);
                high = p.high() | (r.nextLong() & hostHigh);
                low = p.low() | (r.nextLong() & hostLow);
            }
            byte[] src = new byte[16];
            for (int b = 0; b < 8; b++) {
                src[b] = (byte) (high >>> (56 - 8 * b));
                src[8 + b] = (byte) (low >>> (56 - 8 * b));
            }
            return new FrameBuilder().addresses(src, AddressText.parseIpv6("2001:db8::53"))
                    .protocol(IpProtocols.UDP).ports(1000, 53).payload(10).build();
        }
        int a = (198 << 24 | 18 << 16) + r.nextInt(1 << 17);
        byte[] src = {(byte) (a >>> 24), (byte) (a >>> 16), (byte) (a >>> 8), (byte) a};
        return new FrameBuilder().addresses(src, new byte[] {(byte) 198, 18, 0, 53}).protocol(IpProtocols.UDP).ports(1000, 53)
                .payload(10).build();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"tries", "hash maps"})
    void theKernelsMapsFindWhatOurListFinds(String structure) throws Exception {
        SplittableRandom r = new SplittableRandom(20261207);
        List<Prefix> prefixes = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            prefixes.add(random4(r));
        }
        List<Prefix> six = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            six.add(random6(r));
        }
        prefixes.addAll(six);
        prefixes.add(Prefix.parse("198.19.128.0/28"));
        PrefixList list = PrefixList.of("random", prefixes);
        int counts = Bpf.mapCreate(Bpf.MAP_TYPE_PERCPU_ARRAY, 4, 8, 1, "nb_test_drops");
        try (ListLookup map = structure.equals("tries") ? PrefixMap.load(list) : PrefixHash.load(list)) {
            int prog = Bpf.loadXdp("nb_list_test", map instanceof PrefixHash h ? XdpPrograms.sourceHashDrop(h, counts)
                    : XdpPrograms.sourceListDrop(map.ipv4(), map.ipv6(), counts));
            try {
                int[] outcomes = new int[5];
                for (int i = 0; i < 40_000; i++) {
                    boolean v6 = r.nextInt(4) == 0;
                    byte[] frame = frame(r, v6, six);
                    if (r.nextInt(50) == 0) {
                        frame = Arrays.copyOf(frame, 14 + r.nextInt(frame.length - 14)); // cut short (the kernel test-runs no less than a MAC header)
                    }
                    int want = Bpf.XDP_PASS;
                    if (frame.length >= (v6 ? 54 : 34)) {
                        long high = 0;
                        long low = 0;
                        if (v6) {
                            for (int b = 0; b < 8; b++) {
                                high = high << 8 | (frame[22 + b] & 0xff);
                                low = low << 8 | (frame[30 + b] & 0xff);
                            }
                        } else {
                            for (int b = 0; b < 4; b++) {
                                low = low << 8 | (frame[26 + b] & 0xff);
                            }
                        }
                        want = list.longestLinear(v6 ? 6 : 4, high, low) >= 0 ? Bpf.XDP_DROP : Bpf.XDP_PASS;
                    }
                    int got = Bpf.testRun(prog, frame);
                    if (got != want) {
                        fail("frame " + HexFormat.of().formatHex(frame) + ": expected " + want + ", the program returned " + got);
                    }
                    outcomes[got]++;
                }
                assertTrue(outcomes[Bpf.XDP_DROP] > 2000 && outcomes[Bpf.XDP_PASS] > 2000, "listed and unlisted sources both met: "
                        + outcomes[Bpf.XDP_DROP] + " dropped, " + outcomes[Bpf.XDP_PASS] + " passed");
                assertEquals(outcomes[Bpf.XDP_DROP], Bpf.perCpuSum(counts, 0, "drops"), "every drop counted");
            } finally {
                Native.close(prog);
            }
        } finally {
            Native.close(counts);
        }
    }
}
