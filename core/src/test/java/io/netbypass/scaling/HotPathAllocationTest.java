package io.netbypass.scaling;

import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;

import org.junit.jupiter.api.Test;

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
import io.netbypass.scaling.rss.IndirectionTable;
import io.netbypass.scaling.rss.RssHasher;
import io.netbypass.scaling.rss.RssKey;
import io.netbypass.scaling.rss.RssTransform;
import io.netbypass.scaling.steering.Backlogs;
import io.netbypass.scaling.steering.CpuMask;
import io.netbypass.scaling.steering.FlowLimit;
import io.netbypass.scaling.steering.FlowRef;
import io.netbypass.scaling.steering.ReceiveSteering;
import io.netbypass.scaling.steering.SockFlowTable;
import io.netbypass.scaling.steering.TransmitSteering;
import io.netbypass.scaling.steering.TxFlow;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The per-packet path of receive scaling (parse, RSS hash, indirection, ntuple lookup, RPS/RFS
 * steering with flow limit, XPS) allocates nothing: measured with the JVM's per-thread
 * allocation counter over a million packets after warm-up.
 */
class HotPathAllocationTest {
    @Test
    void aMillionPacketsThroughTheScalingPathAllocateNothing() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        byte[][] frames = new byte[64][];
        for (int i = 0; i < frames.length; i++) {
            frames[i] = new FrameBuilder().addresses(AddressText.parseIpv4("198.18.0." + i), AddressText.parseIpv4("198.19.0.1"))
                    .protocol(i % 2 == 0 ? IpProtocols.UDP : IpProtocols.TCP).ports(1000 + i, i % 3 == 0 ? 53 : 80).build();
        }
        MemorySegment[] segments = new MemorySegment[frames.length];
        for (int i = 0; i < frames.length; i++) {
            segments[i] = MemorySegment.ofArray(frames[i]);
        }
        RssHasher hasher = new RssHasher(RssKey.microsoftDefault(), RssTransform.NONE);
        IndirectionTable indirection = IndirectionTable.equal(128, 4, 0);
        NtupleTable rules = new NtupleTable(1024, 4);
        rules.insert(NtupleParser.parse("flow-type udp4 dst-port 53 action 1"));
        rules.insert(NtupleParser.parse("flow-type tcp4 src-ip 198.18.0.0 m 0.0.0.15 action -1"));
        NtupleClassifier classifier = NtupleClassifier.compile(rules);
        Backlogs backlogs = new Backlogs(4);
        ReceiveSteering steering = new ReceiveSteering(4, backlogs);
        steering.setRpsCpus(0, CpuMask.first(4));
        steering.setRpsFlowCount(0, 1024);
        SockFlowTable sock = SockFlowTable.ofEntries(4096, 4);
        steering.useSockFlowTable(sock);
        TransmitSteering xps = new TransmitSteering(4, 4, backlogs);
        xps.setXpsCpus(1, CpuMask.of(1));
        ParsedPacket p = new ParsedPacket();
        NtupleKey key = new NtupleKey();
        FlowRef flow = new FlowRef();
        FlowLimit limit = new FlowLimit();
        TxFlow tx = new TxFlow(true);
        long sink = 0;
        for (int round = 0; round < 2; round++) {
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int n = 0; n < 1_000_000; n++) {
                int i = n & 63;
                PacketParser.parse(segments[i], 0, frames[i].length, LinkType.ETHERNET, p);
                int hash = hasher.hash(p);
                int queue = indirection.queue(hash);
                int rule = classifier.classify(key.extract(p));
                int cpu = steering.getRpsCpu(0, hash, flow);
                if (cpu >= 0 && steering.enqueue(cpu, hash, flow, limit)) {
                    backlogs.dequeued(cpu, 1);
                    sock.record(hash, (cpu + 1) & 3);
                }
                sink += queue + rule + xps.pickTx(tx, hash, n & 3, (n & 7) == 0, -1);
            }
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            if (round == 1) {
                assertTrue(allocated < 4096, "allocated " + allocated + " bytes over a million packets");
            }
        }
        assertTrue(sink != 0);
    }
}
