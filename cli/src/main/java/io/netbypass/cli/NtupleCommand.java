package io.netbypass.cli;

import io.netbypass.capture.CaptureFormatException;
import io.netbypass.capture.CaptureReader;
import io.netbypass.capture.CaptureRecord;
import io.netbypass.capture.Captures;
import io.netbypass.packet.FrameBuilder;
import io.netbypass.packet.IpProtocols;
import io.netbypass.packet.LinkType;
import io.netbypass.packet.PacketParser;
import io.netbypass.packet.ParsedPacket;
import io.netbypass.scaling.ntuple.NtupleClassifier;
import io.netbypass.scaling.ntuple.NtupleFormatter;
import io.netbypass.scaling.ntuple.NtupleKey;
import io.netbypass.scaling.ntuple.NtupleScript;
import io.netbypass.scaling.ntuple.NtupleTable;
import io.netbypass.scaling.rss.IndirectionTable;
import io.netbypass.scaling.rss.RssHasher;
import io.netbypass.util.SafeFiles;
import io.netbypass.util.UserException;

import java.io.IOException;
import java.io.PrintWriter;
import java.lang.foreign.MemorySegment;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code netbypass ntuple ...}: ethtool ntuple rules, checked before they reach a NIC. */
@Command(name = "ntuple", description = "ethtool -N rules: parse, print like 'ethtool -n', classify flows and captures.",
        mixinStandardHelpOptions = true, subcommands = {NtupleCommand.Check.class, NtupleCommand.Show.class})
final class NtupleCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** The device the rules are loaded into. */
    static final class Device {
        @Option(names = "--rules", required = true, paramLabel = "FILE",
                description = "one ethtool rule per line ('flow-type ...', 'delete N', or a whole 'ethtool -N DEV ...'); # comments")
        Path rules;

        @Option(names = "--rings", paramLabel = "R", defaultValue = "4", description = "RX rings of the device (default ${DEFAULT-VALUE})")
        int rings;

        @Option(names = "--rule-table", paramLabel = "N", defaultValue = "1024",
                description = "ntuple locations of the device (default ${DEFAULT-VALUE}); rules without loc take the highest free one")
        int ruleTable;

        NtupleTable load() throws IOException {
            NtupleTable table = new NtupleTable(ruleTable, rings);
            SafeFiles.checkInput(rules, 64L << 20, "rules file"); // a FIFO hung us, /dev/zero filled the heap
            List<String> lines;
            try {
                lines = Files.readAllLines(rules);
            } catch (CharacterCodingException e) {
                throw new UserException(rules + ": not UTF-8 text");
            }
            NtupleScript.apply(NtupleScript.parse(lines), table);
            return table;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = "Load the rules into a device and print them as 'ethtool -n DEV' would.")
    static final class Show implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        Device device;

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            NtupleTable table = device.load();
            out.print(NtupleFormatter.header(table.rings(), table.count()));
            for (int loc : table.locations()) {
                out.print(NtupleFormatter.block(table.rule(loc)));
            }
            out.flush();
            return 0;
        }
    }

    @Command(name = "check", mixinStandardHelpOptions = true,
            description = {"Say where traffic lands on a NIC with these ntuple rules and this RSS setup: the rule",
                    "that matches (lowest location wins) and the queue, or drop; without a match, RSS decides.",
                    "Either one flow: PROTO SRC DST [SPORT DPORT], PROTO = tcp|udp|sctp|esp|ah|icmp|icmpv6|NUMBER,",
                    "or a capture: --pcap FILE (per-queue and per-rule counts).",
                    "Example: netbypass ntuple check --rules rules.txt udp 198.18.0.1 198.18.0.2 1000 53"})
    static final class Check implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        Device device;

        @Mixin
        RssOptions rss;

        @Option(names = "--table", paramLabel = "SIZE", defaultValue = "128", description = "indirection table size (default ${DEFAULT-VALUE})")
        int tableSize;

        @Option(names = "--pcap", paramLabel = "FILE", description = "classify every packet of a capture")
        Path pcap;

        @Option(names = "--tos", paramLabel = "N", description = "IPv4 TOS / IPv6 traffic class of the flow")
        Integer tos;

        @Option(names = "--spi", paramLabel = "N", description = "IPsec SPI of the flow (esp, ah)")
        Long spi;

        @Option(names = "--vlan", paramLabel = "TCI", description = "802.1Q tag control information of the flow")
        Integer vlan;

        @Parameters(paramLabel = "PROTO SRC DST [SPORT DPORT]", arity = "0..5")
        List<String> flow;

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            NtupleTable table = device.load();
            Nic nic = new Nic(NtupleClassifier.compile(table), rss.hasher(), rss.table(tableSize, table.rings()), table.rings());
            if (pcap != null) {
                if (flow != null && !flow.isEmpty()) {
                    throw new UserException("give a flow or --pcap, not both");
                }
                return capture(out, nic, table);
            }
            if (flow == null || (flow.size() != 3 && flow.size() != 5)) {
                throw new UserException("give a flow (PROTO SRC DST [SPORT DPORT]) or --pcap FILE");
            }
            byte[] frame = frame();
            ParsedPacket p = new ParsedPacket();
            PacketParser.parse(MemorySegment.ofArray(frame), 0, frame.length, LinkType.ETHERNET, p);
            int rule = nic.classify(p);
            if (rule == NtupleClassifier.NO_MATCH) {
                out.println("rule: none");
            } else {
                out.println("rule: " + nic.rules.location(rule) + " " + NtupleFormatter.toCommand(table.rule(nic.rules.location(rule))));
            }
            out.printf("rss: hash 0x%08x index %d queue %d%n", nic.hash, nic.indirection.index(nic.hash), nic.indirection.queue(nic.hash));
            out.println("result: " + (nic.queue < 0 ? "drop" : "queue " + nic.queue));
            out.flush();
            return 0;
        }

        private byte[] frame() {
            String proto = flow.get(0);
            int protocol = switch (proto) {
                case "tcp" -> IpProtocols.TCP;
                case "udp" -> IpProtocols.UDP;
                case "sctp" -> IpProtocols.SCTP;
                case "esp" -> IpProtocols.ESP;
                case "ah" -> IpProtocols.AH;
                case "icmp" -> IpProtocols.ICMP;
                case "icmpv6" -> IpProtocols.ICMPV6;
                default -> (int) RssCommand.number(proto, "protocol", 0, 255);
            };
            FrameBuilder b = new FrameBuilder().addresses(RssCommand.address(flow.get(1)), RssCommand.address(flow.get(2)))
                    .protocol(protocol);
            if (flow.size() == 5) {
                if (protocol != IpProtocols.TCP && protocol != IpProtocols.UDP && protocol != IpProtocols.SCTP) {
                    throw new UserException("ports need tcp, udp or sctp");
                }
                b.ports(RssCommand.port(flow.get(3)), RssCommand.port(flow.get(4)));
            }
            if (tos != null) {
                b.tos((int) RssCommand.number(tos.toString(), "tos", 0, 255));
            }
            if (spi != null) {
                b.spi((int) (long) spi);
            }
            if (vlan != null) {
                b.vlan(0x8100, (int) RssCommand.number(vlan.toString(), "vlan", 0, 0xffff));
            }
            return b.build();
        }

        private Integer capture(PrintWriter out, Nic nic, NtupleTable table) throws IOException {
            long[] perQueue = new long[table.rings()];
            long[] perRule = new long[nic.rules.ruleCount()];
            long dropped = 0;
            long unmatched = 0;
            long packets = 0;
            ParsedPacket p = new ParsedPacket();
            CaptureRecord record = new CaptureRecord();
            try (CaptureReader reader = Captures.open(pcap)) {
                while (reader.next(record)) {
                    PacketParser.parse(record.segment(), record.dataOffset(), record.capturedLength(), record.linkType(), p);
                    int rule = nic.classify(p);
                    packets++;
                    if (rule == NtupleClassifier.NO_MATCH) {
                        unmatched++;
                    } else {
                        perRule[rule]++;
                    }
                    if (nic.queue < 0) {
                        dropped++;
                    } else if (nic.queue < perQueue.length) {
                        perQueue[nic.queue]++;
                    }
                }
                if (reader.truncation() != null) {
                    spec.commandLine().getErr().println("netbypass: " + pcap + ": " + reader.truncation()
                            + "; the packets before it were counted");
                }
            } catch (CaptureFormatException e) {
                throw new UserException(pcap + ": " + e.getMessage());
            }
            out.println("packets: " + packets);
            for (int q = 0; q < perQueue.length; q++) {
                out.println("queue " + q + ": " + perQueue[q]);
            }
            out.println("drop: " + dropped);
            for (int r = 0; r < perRule.length; r++) {
                int loc = nic.rules.location(r);
                out.println("rule " + loc + ": " + perRule[r] + "  (" + NtupleFormatter.toCommand(table.rule(loc)) + ")");
            }
            out.println("no rule (RSS): " + unmatched);
            out.flush();
            return 0;
        }
    }

    /** A NIC's receive decision: ntuple rules first, then RSS. */
    static final class Nic {
        final NtupleClassifier rules;
        final RssHasher hasher;
        final IndirectionTable indirection;
        final NtupleKey key = new NtupleKey();
        int hash;
        /** The queue of the last packet, -1 for drop. */
        int queue;

        Nic(NtupleClassifier rules, RssHasher hasher, IndirectionTable indirection, int rings) {
            indirection.checkRings(rings);
            this.rules = rules;
            this.hasher = hasher;
            this.indirection = indirection;
        }

        int classify(ParsedPacket p) {
            hash = hasher.hash(p);
            int rule = rules.classify(key.extract(p));
            if (rule == NtupleClassifier.NO_MATCH || rules.action(rule) == NtupleClassifier.ACTION_WAKE) {
                queue = indirection.queue(hash);
            } else if (rules.action(rule) == NtupleClassifier.ACTION_DROP) {
                queue = -1;
            } else if (rules.usesContext(rule)) {
                queue = (int) (indirection.queue(hash) + rules.queue(rule)); // context 0: the main table plus the offset
            } else {
                queue = (int) rules.queue(rule);
            }
            return rule;
        }
    }
}
