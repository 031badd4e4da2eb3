package io.netbypass.backend.vnic;

import io.netbypass.packet.LinkType;
import io.netbypass.packet.PacketParser;
import io.netbypass.packet.ParsedPacket;
import io.netbypass.scaling.ntuple.NtupleClassifier;
import io.netbypass.scaling.ntuple.NtupleKey;
import io.netbypass.scaling.ntuple.NtupleTable;
import io.netbypass.scaling.rss.IndirectionTable;
import io.netbypass.scaling.rss.RssHasher;
import io.netbypass.scaling.rss.RssKey;
import io.netbypass.scaling.rss.RssTransform;

import java.lang.foreign.MemorySegment;

/**
 * The software NIC's receive steering, as an ixgbe-class device does it: an ntuple rule (Flow
 * Director) first, else the Toeplitz hash over the RSS key spread by the indirection table, with
 * the real {@code io.netbypass.scaling} code. Changed and used only by the holder of the NIC's
 * hardware context.
 */
final class VnicSteering {
    private final int queues;
    private final ParsedPacket parsed = new ParsedPacket();
    private final NtupleKey key = new NtupleKey();
    RssKey rssKey = RssKey.microsoftDefault();
    RssTransform rssTransform = RssTransform.NONE;
    RssHasher hasher = new RssHasher(rssKey, rssTransform);
    IndirectionTable indirection;
    final NtupleTable ntuple;
    NtupleClassifier classifier;
    boolean rss = true;
    boolean ntupleFilter = true;
    long fdirMatch;
    long fdirMiss;

    VnicSteering(int queues, int ntupleTableSize) {
        this.queues = queues;
        this.indirection = IndirectionTable.defaultFill(128, queues);
        this.ntuple = new NtupleTable(ntupleTableSize, queues);
        this.classifier = NtupleClassifier.compile(ntuple);
    }

    /** The RX queue for a frame: ntuple rule first, then RSS; -1 when a rule drops it. */
    int queueOf(MemorySegment segment, long offset, int length) {
        if (!rss && !ntupleFilter) {
            return 0;
        }
        PacketParser.parse(segment, offset, length, LinkType.ETHERNET, parsed);
        if (ntupleFilter && classifier.ruleCount() > 0) {
            int rule = classifier.classify(key.extract(parsed, classifier.usedWords()));
            if (rule != NtupleClassifier.NO_MATCH) {
                int action = classifier.action(rule);
                if (action == NtupleClassifier.ACTION_DROP) {
                    fdirMatch++;
                    return -1;
                }
                if (action == NtupleClassifier.ACTION_QUEUE) {
                    fdirMatch++;
                    int q = (int) classifier.queue(rule);
                    if (classifier.usesContext(rule)) {
                        q += indirection.queue(hasher.hash(parsed));
                    }
                    return q < queues ? q : 0;
                }
            } else {
                fdirMiss++;
            }
        }
        if (!rss) {
            return 0;
        }
        return indirection.queue(hasher.hash(parsed));
    }
}
