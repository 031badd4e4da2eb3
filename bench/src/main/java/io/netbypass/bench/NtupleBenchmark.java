package io.netbypass.bench;

import io.netbypass.packet.AddressText;
import io.netbypass.packet.FrameBuilder;
import io.netbypass.packet.IpProtocols;
import io.netbypass.packet.LinkType;
import io.netbypass.packet.PacketParser;
import io.netbypass.packet.ParsedPacket;
import io.netbypass.scaling.ntuple.NtupleClassifier;
import io.netbypass.scaling.ntuple.NtupleKey;
import io.netbypass.scaling.ntuple.NtupleParser;
import io.netbypass.scaling.ntuple.NtupleTable;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * ns per lookup in 1,000 ntuple rules shaped like a DDoS rule set (sources by /32 and /24,
 * destination ports, a few protocol and catch-all rules), over 64 parsed packets of which about
 * half match. Tuple-space search vs testing every rule in location order (the baseline).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class NtupleBenchmark {
    static final int BATCH = 64;
    static final int RULES = 1000;

    private final NtupleKey[] keys = new NtupleKey[BATCH];
    private final ParsedPacket[] packets = new ParsedPacket[BATCH];
    private final NtupleKey scratch = new NtupleKey();
    private NtupleClassifier classifier;

    @Setup
    public void setUp() {
        SplittableRandom r = new SplittableRandom(7);
        NtupleTable table = new NtupleTable(2048, 16);
        for (int i = 0; i < RULES; i++) {
            String rule = switch (i % 5) {
                case 0 -> "flow-type udp4 src-ip 198.18." + (i / 250) + "." + (i % 250) + " action -1";
                case 1 -> "flow-type tcp4 src-ip 198.19." + (i % 200) + ".0 m 0.0.0.255 dst-port 80 action 1";
                case 2 -> "flow-type udp4 dst-port " + (1000 + i) + " action 2";
                case 3 -> "flow-type udp4 src-ip 198.18." + (i % 200) + "." + (i % 7) + " src-port 53 action -1";
                default -> "flow-type ip4 src-ip 10." + (i % 256) + ".0.0 m 0.0.255.255 l4proto 17 action 3";
            };
            table.insert(NtupleParser.parse(rule));
        }
        classifier = NtupleClassifier.compile(table);
        for (int i = 0; i < BATCH; i++) {
            boolean hit = (i & 1) == 0;
            String src = hit ? "198.18." + r.nextInt(4) + "." + r.nextInt(250) : "203.0.113." + r.nextInt(250);
            byte[] frame = new FrameBuilder()
                    .addresses(AddressText.parseIpv4(src), AddressText.parseIpv4("198.51.100.1"))
                    .protocol(IpProtocols.UDP).ports(hit ? 53 : 40000 + i, 9999).payload(18).build();
            packets[i] = new ParsedPacket();
            PacketParser.parse(MemorySegment.ofArray(frame), 0, frame.length, LinkType.ETHERNET, packets[i]);
            keys[i] = new NtupleKey().extract(packets[i]);
        }
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int tupleSpaceSearch() {
        int s = 0;
        for (int i = 0; i < BATCH; i++) {
            s += classifier.classify(keys[i]);
        }
        return s;
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int baselineLinearWalk() {
        int s = 0;
        for (int i = 0; i < BATCH; i++) {
            s += classifier.classifyLinear(keys[i]);
        }
        return s;
    }

    /** Key extraction from the parsed packet plus the lookup: the per-packet cost in a NIC model. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int extractAndClassify() {
        int s = 0;
        for (int i = 0; i < BATCH; i++) {
            s += classifier.classify(scratch.extract(packets[i]));
        }
        return s;
    }
}
