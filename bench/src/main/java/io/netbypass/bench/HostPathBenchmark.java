package io.netbypass.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import io.netbypass.hostpath.ChecksumCompletion;
import io.netbypass.hostpath.Gro;
import io.netbypass.packet.Bytes;
import io.netbypass.packet.Checksums;
import io.netbypass.packet.IpProtocols;
import io.netbypass.packet.LinkType;
import io.netbypass.packet.PacketParser;
import io.netbypass.packet.ParsedPacket;

/**
 * The host path's work per frame before the TAP write, on a batch of 64 full-size TCP segments
 * of one flow laid out like an RX ring: GRO alone (the path before checksums were checked, its
 * baseline), the checksum check then GRO told the checksum is right (the path now), the same on
 * segments whose checksum the sender left partial (completed first), and the check alone, in full
 * and as the path with --no-gro makes it (only a field holding the pseudo-header sum is summed),
 * against parsing alone. Run with {@code -prof gc}: gc.alloc.rate.norm must be 0.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class HostPathBenchmark {
    static final int BATCH = 64;
    static final int SLOT = 2048;
    static final int PAYLOAD = 1448;
    static final int LENGTH = 14 + 20 + 32 + PAYLOAD;
    static final int CHECKSUM_AT = 14 + 20 + 16;

    private Arena arena;
    private MemorySegment ring;
    private final int[] complete = new int[BATCH];
    private final int[] partial = new int[BATCH];
    private final ChecksumCompletion completion = new ChecksumCompletion();
    private final ParsedPacket parsed = new ParsedPacket();
    private Gro gro;
    private Blackhole hole;

    @Setup(Level.Trial)
    public void setUp(Blackhole bh) {
        hole = bh;
        gro = new Gro((s, offset, length, type, size, headers) -> hole.consume(length));
        arena = Arena.ofShared();
        ring = arena.allocate((long) BATCH * SLOT, 64);
        long seq = 1000;
        for (int i = 0; i < BATCH; i++) {
            long at = (long) i * SLOT;
            MemorySegment f = ring.asSlice(at, LENGTH);
            // Ethernet, IPv4 (DF, counting IDs), TCP with timestamps, ACK
            Bytes.put16(f, 12, 0x0800);
            Bytes.put8(f, 14, 0x45);
            Bytes.put16(f, 16, LENGTH - 14);
            Bytes.put16(f, 18, 0x100 + i);
            Bytes.put16(f, 20, 0x4000);
            Bytes.put8(f, 22, 64);
            Bytes.put8(f, 23, IpProtocols.TCP);
            Bytes.put32(f, 26, 0xc6120101);
            Bytes.put32(f, 30, 0xc6120102);
            Checksums.fillIpv4Header(f, 14, 20);
            Bytes.put16(f, 34, 40000);
            Bytes.put16(f, 36, 80);
            Bytes.put32(f, 38, (int) seq);
            Bytes.put32(f, 42, 7);
            Bytes.put16(f, 46, (8 << 12) | 0x10);
            Bytes.put16(f, 48, 65535);
            Bytes.put32(f, 54, 0x0101080a);
            for (int b = 0; b < PAYLOAD; b++) {
                Bytes.put8(f, 66 + b, (b * 31 + i) & 0xff);
            }
            seq += PAYLOAD;
            Checksums.fillTransport(f, 14, IpProtocols.TCP, 34, LENGTH - 34, 16);
            complete[i] = Bytes.u16(f, 16 + 34);
            partial[i] = Checksums.fold(Checksums.pseudoHeaderV4(f, 14, IpProtocols.TCP, LENGTH - 34));
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    private void fields(int[] values) {
        for (int i = 0; i < BATCH; i++) {
            Bytes.put16(ring, (long) i * SLOT + CHECKSUM_AT, values[i]);
        }
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void baselineGroAlone() {
        fields(complete);
        for (int i = 0; i < BATCH; i++) {
            gro.receive(ring, (long) i * SLOT, LENGTH);
        }
        gro.flush();
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void checkThenGro() {
        fields(complete);
        for (int i = 0; i < BATCH; i++) {
            int c = completion.check(ring, (long) i * SLOT, LENGTH);
            gro.receive(ring, (long) i * SLOT, LENGTH, completion.headers(), c == ChecksumCompletion.VALID);
        }
        gro.flush();
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void completePartialThenGro() {
        fields(partial);
        for (int i = 0; i < BATCH; i++) {
            int c = completion.check(ring, (long) i * SLOT, LENGTH);
            gro.receive(ring, (long) i * SLOT, LENGTH, completion.headers(), c == ChecksumCompletion.COMPLETED);
        }
        gro.flush();
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int fullCheckAlone() {
        fields(complete);
        int sum = 0;
        for (int i = 0; i < BATCH; i++) {
            sum += completion.check(ring, (long) i * SLOT, LENGTH, true);
        }
        return sum;
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int partialCheckAlone() {
        fields(complete);
        int sum = 0;
        for (int i = 0; i < BATCH; i++) {
            sum += completion.check(ring, (long) i * SLOT, LENGTH, false);
        }
        return sum;
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int baselineParseAlone() {
        fields(complete);
        int sum = 0;
        for (int i = 0; i < BATCH; i++) {
            PacketParser.parse(ring, (long) i * SLOT, LENGTH, LinkType.ETHERNET, parsed);
            sum += parsed.l4Offset();
        }
        return sum;
    }
}
