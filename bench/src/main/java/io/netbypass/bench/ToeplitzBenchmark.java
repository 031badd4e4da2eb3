package io.netbypass.bench;

import io.netbypass.scaling.rss.RssKey;
import io.netbypass.scaling.rss.Toeplitz;
import io.netbypass.scaling.rss.ToeplitzReference;

import java.nio.ByteBuffer;
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
 * ns per hashed 4-tuple, table-driven vs bit-by-bit, over a batch of 64 different tuples (so
 * nothing folds to a constant). The baseline only reads and XORs the tuple words: the floor.
 * Run with {@code -prof gc}: gc.alloc.rate.norm must be 0 for the fast path.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class ToeplitzBenchmark {
    static final int BATCH = 64;

    private final int[] src4 = new int[BATCH];
    private final int[] dst4 = new int[BATCH];
    private final int[] ports = new int[BATCH];
    private final long[] v6 = new long[BATCH * 4];
    private final byte[][] bytes4 = new byte[BATCH][];
    private final byte[][] bytes6 = new byte[BATCH][];
    private RssKey key;
    private Toeplitz fast;

    @Setup
    public void setUp() {
        key = RssKey.microsoftDefault();
        fast = new Toeplitz(key);
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < BATCH; i++) {
            src4[i] = r.nextInt();
            dst4[i] = r.nextInt();
            ports[i] = r.nextInt();
            ByteBuffer b4 = ByteBuffer.allocate(12).putInt(src4[i]).putInt(dst4[i]).putInt(ports[i]);
            bytes4[i] = b4.array();
            ByteBuffer b6 = ByteBuffer.allocate(36);
            for (int w = 0; w < 4; w++) {
                v6[i * 4 + w] = r.nextLong();
                b6.putLong(v6[i * 4 + w]);
            }
            b6.putInt(ports[i]);
            bytes6[i] = b6.array();
        }
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int baselineReadTupleIpv4() {
        int h = 0;
        for (int i = 0; i < BATCH; i++) {
            h ^= src4[i] ^ dst4[i] ^ ports[i];
        }
        return h;
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int fastIpv4FourTuple() {
        int h = 0;
        for (int i = 0; i < BATCH; i++) {
            h ^= fast.hashIpv4(src4[i], dst4[i], ports[i] >>> 16, ports[i] & 0xffff);
        }
        return h;
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int referenceIpv4FourTuple() {
        int h = 0;
        for (int i = 0; i < BATCH; i++) {
            h ^= ToeplitzReference.hash(key, bytes4[i]);
        }
        return h;
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int fastIpv6FourTuple() {
        int h = 0;
        for (int i = 0; i < BATCH; i++) {
            int w = i * 4;
            h ^= fast.hashIpv6(v6[w], v6[w + 1], v6[w + 2], v6[w + 3], ports[i] >>> 16, ports[i] & 0xffff);
        }
        return h;
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int referenceIpv6FourTuple() {
        int h = 0;
        for (int i = 0; i < BATCH; i++) {
            h ^= ToeplitzReference.hash(key, bytes6[i]);
        }
        return h;
    }
}
