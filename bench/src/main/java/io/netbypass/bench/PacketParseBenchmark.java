package io.netbypass.bench;

import io.netbypass.packet.Bytes;
import io.netbypass.packet.Checksums;
import io.netbypass.packet.LinkType;
import io.netbypass.packet.PacketParser;
import io.netbypass.packet.ParsedPacket;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
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

/**
 * Parser cost per packet on frames laid out like an RX ring: 64 frames in 2 KiB slots of one
 * off-heap region, parsed as a batch. Run with {@code -prof gc}: gc.alloc.rate.norm must be 0.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class PacketParseBenchmark {
    static final int BATCH = 64;
    static final int SLOT = 2048;

    private Arena arena;
    private MemorySegment ring4;
    private MemorySegment ring6;
    private int length4;
    private int length6;
    private final ParsedPacket parsed = new ParsedPacket();

    @Setup(Level.Trial)
    public void setUp() {
        arena = Arena.ofShared();
        ring4 = arena.allocate((long) BATCH * SLOT, 64);
        ring6 = arena.allocate((long) BATCH * SLOT, 64);
        byte[] udp4 = ipv4Udp();
        byte[] tcp6 = ipv6Tcp();
        length4 = udp4.length;
        length6 = tcp6.length;
        for (int i = 0; i < BATCH; i++) {
            // vary the ports so that nothing folds to a constant
            udp4[34] = (byte) i;
            tcp6[55] = (byte) i;
            MemorySegment.copy(udp4, 0, ring4, ValueLayout.JAVA_BYTE, (long) i * SLOT, udp4.length);
            MemorySegment.copy(tcp6, 0, ring6, ValueLayout.JAVA_BYTE, (long) i * SLOT, tcp6.length);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    /** Baseline: read the same fields at fixed offsets without validating anything (the floor of any parser). */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long baselineFixedOffsetsIpv4Udp() {
        long sum = 0;
        for (int i = 0; i < BATCH; i++) {
            long base = (long) i * SLOT;
            sum += Bytes.u16(ring4, base + 12) + Bytes.u16(ring4, base + 34)
                    + Bytes.u16(ring4, base + 38) + length4;
        }
        return sum;
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long ethernetIpv4Udp() {
        long sum = 0;
        for (int i = 0; i < BATCH; i++) {
            PacketParser.parse(ring4, (long) i * SLOT, length4, LinkType.ETHERNET, parsed);
            sum += parsed.sourcePort() + parsed.payloadLength();
        }
        return sum;
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long ethernetIpv6Tcp() {
        long sum = 0;
        for (int i = 0; i < BATCH; i++) {
            PacketParser.parse(ring6, (long) i * SLOT, length6, LinkType.ETHERNET, parsed);
            sum += parsed.sourcePort() + parsed.tcpFlags() + parsed.payloadLength();
        }
        return sum;
    }

    /** 64-byte Ethernet/IPv4/UDP frame (18 bytes of payload). */
    static byte[] ipv4Udp() {
        byte[] f = new byte[64];
        MemorySegment s = MemorySegment.ofArray(f);
        f[12] = 0x08;
        f[14] = 0x45;
        f[16] = 0;
        f[17] = 50; // total length
        f[22] = 64;
        f[23] = 17;
        byte[] src = {(byte) 198, 18, 0, 1};
        byte[] dst = {(byte) 198, 18, 0, 2};
        System.arraycopy(src, 0, f, 26, 4);
        System.arraycopy(dst, 0, f, 30, 4);
        Checksums.fillIpv4Header(s, 14, 20);
        f[34] = 0x30;
        f[35] = 0x39;
        f[36] = 0;
        f[37] = 53;
        f[39] = 30; // UDP length
        return f;
    }

    /** 86-byte Ethernet/IPv6/TCP frame (20-byte header, 12-byte timestamp option). */
    static byte[] ipv6Tcp() {
        byte[] f = new byte[86];
        f[12] = (byte) 0x86;
        f[13] = (byte) 0xdd;
        f[14] = 0x60;
        f[19] = 32; // payload length
        f[20] = 6;
        f[21] = 64;
        f[22] = 0x20;
        f[23] = 0x01;
        f[37] = 1;
        f[38] = 0x20;
        f[39] = 0x01;
        f[53] = 2;
        f[54] = (byte) 0xc3;
        f[55] = 0x50;
        f[56] = 0x01;
        f[57] = (byte) 0xbb;
        f[66] = (byte) 0x80; // data offset 8 words
        f[67] = 0x10; // ACK
        return f;
    }
}
