package io.netbypass.cli;

import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import io.netbypass.packet.AddressText;
import io.netbypass.scaling.ntuple.EthtoolValues;
import io.netbypass.scaling.rss.IndirectionException;
import io.netbypass.scaling.rss.IndirectionTable;
import io.netbypass.scaling.rss.RssHasher;
import io.netbypass.util.UserException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code netbypass rss ...}: predict where a NIC's RSS puts a flow. */
@Command(name = "rss", description = "Toeplitz hash and indirection table, as NICs and ethtool compute them.",
        mixinStandardHelpOptions = true, subcommands = {RssCommand.Hash.class, RssCommand.Table.class})
final class RssCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "hash", mixinStandardHelpOptions = true,
            description = {"Print the RSS hash of a flow as 0x%%08x: Toeplitz over src | dst [| sport | dport].",
                    "With --table SIZE also the table index (the hash's low bits); with --equal or",
                    "--weight also the queue.",
                    "Example: netbypass rss hash 66.9.149.187 161.142.100.80 2794 1766 --table 128 --equal 4"})
    static final class Hash implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        RssOptions rss;

        @Parameters(paramLabel = "SRC DST [SPORT DPORT]", arity = "2..4",
                description = "addresses (both IPv4 or both IPv6), then optionally the ports")
        List<String> tuple;

        @Option(names = "--table", paramLabel = "SIZE", description = "indirection table size (power of two)")
        Integer table;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            if (tuple.size() == 3) {
                throw new UserException("give both ports or neither");
            }
            byte[] src = address(tuple.get(0));
            byte[] dst = address(tuple.get(1));
            if (src.length != dst.length) {
                throw new UserException("source and destination must both be IPv4 or both IPv6");
            }
            boolean ports = tuple.size() == 4;
            int sport = ports ? port(tuple.get(2)) : 0;
            int dport = ports ? port(tuple.get(3)) : 0;
            RssHasher h = rss.hasher();
            int hash;
            if (src.length == 4) {
                int s = ByteBuffer.wrap(src).getInt();
                int d = ByteBuffer.wrap(dst).getInt();
                hash = ports ? h.hashIpv4(s, d, sport, dport) : h.hashIpv4(s, d);
            } else {
                ByteBuffer s = ByteBuffer.wrap(src);
                ByteBuffer d = ByteBuffer.wrap(dst);
                hash = ports ? h.hashIpv6(s.getLong(), s.getLong(), d.getLong(), d.getLong(), sport, dport)
                        : h.hashIpv6(s.getLong(), s.getLong(), d.getLong(), d.getLong());
            }
            // Every option checked before anything is printed: an error is the only output.
            IndirectionTable t = null;
            if (table == null) {
                if (rss.hasLayout() || rss.start != null) {
                    throw new UserException("--equal, --weight and --start need --table SIZE");
                }
            } else {
                t = rss.table(table, 1);
            }
            out.printf("0x%08x%n", hash);
            if (t != null) {
                out.println("index " + t.index(hash));
                if (rss.hasLayout()) {
                    out.println("queue " + t.queue(hash));
                }
            }
            out.flush();
            return 0;
        }
    }

    @Command(name = "table", mixinStandardHelpOptions = true,
            description = {"Print an indirection table exactly as 'ethtool -x' does (rows of 8), filled the way",
                    "'ethtool -X DEV [start S] (equal N | weight W0 W1 ... | default)' fills it.",
                    "Example: netbypass rss table --size 128 weight 1 1 1 1 0 1 1 1 1 1"})
    static final class Table implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--size", required = true, paramLabel = "N", description = "table size (power of two)")
        int size;

        @Option(names = "--start", paramLabel = "S", description = "first queue (ethtool -X ... start S)")
        Integer start;

        @Option(names = "--rings", paramLabel = "R",
                description = "RX rings of the device: printed in the header and checked like the kernel does "
                        + "(default: the highest queue named + 1)")
        Integer rings;

        @Option(names = "--dev", paramLabel = "NAME", defaultValue = "sim0", description = "device name for the header (default ${DEFAULT-VALUE})")
        String dev;

        @Parameters(paramLabel = "LAYOUT", arity = "1..*",
                description = "equal N | weight W0 W1 ... | default (default needs --rings)")
        List<String> layout;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            IndirectionTable t = build();
            int r = rings != null ? rings : t.maxQueue() + 1;
            if (rings != null) {
                t.checkRings(rings);
            }
            out.print("RX flow hash indirection table for " + dev + " with " + r + " RX ring(s):\n");
            out.print(t.formatRows());
            out.flush();
            return 0;
        }

        private IndirectionTable build() {
            Integer equal = null;
            List<Long> weights = null;
            boolean useDefault = false;
            for (int i = 0; i < layout.size(); i++) {
                String w = layout.get(i);
                switch (w) {
                    case "equal" -> {
                        if (i + 1 >= layout.size()) {
                            throw new UserException("equal needs N");
                        }
                        equal = (int) number(layout.get(++i), "equal", 1, Integer.MAX_VALUE);
                    }
                    case "weight" -> {
                        weights = new ArrayList<>();
                        while (i + 1 < layout.size() && !layout.get(i + 1).isEmpty()
                                && Character.isDigit(layout.get(i + 1).charAt(0))) {
                            weights.add(number(layout.get(++i), "weight", 0, 0xffff_ffffL));
                        }
                        if (weights.isEmpty()) {
                            throw new UserException("weight needs at least one value");
                        }
                    }
                    case "default" -> useDefault = true;
                    case "start" -> {
                        if (i + 1 >= layout.size()) {
                            throw new UserException("start needs S");
                        }
                        start = (int) number(layout.get(++i), "start", 0, Integer.MAX_VALUE);
                    }
                    default -> throw new UserException("unknown word '" + w + "' (equal N | weight W... | default)");
                }
            }
            boolean hasStart = start != null && start != 0;
            if (equal != null && weights != null) {
                throw new IndirectionException("Equal and weight options are mutually exclusive");
            }
            if (equal != null && useDefault) {
                throw new IndirectionException("Equal and default options are mutually exclusive");
            }
            if (weights != null && useDefault) {
                throw new IndirectionException("Weight and default options are mutually exclusive");
            }
            if (hasStart && useDefault) {
                throw new IndirectionException("Start and default options are mutually exclusive");
            }
            if (hasStart && equal == null && weights == null) {
                throw new IndirectionException("Start must be used with equal or weight options");
            }
            int s = start == null ? 0 : start;
            if (equal != null) {
                return IndirectionTable.equal(size, equal, s);
            }
            if (weights != null) {
                return IndirectionTable.weight(size, RssOptions.u32(weights), s);
            }
            if (rings == null) {
                throw new UserException("default needs --rings R (indir[i] = i % R)");
            }
            return IndirectionTable.defaultFill(size, rings);
        }
    }

    /** ethtool's numbers (decimal, 0x hex, 0 octal; see {@link EthtoolValues#unsigned}), in range. */
    static long number(String text, String what, long min, long max) {
        long v;
        try {
            if (text.isEmpty()) {
                throw new NumberFormatException();
            }
            v = EthtoolValues.unsigned(text, 64);
        } catch (NumberFormatException e) {
            throw new UserException("bad " + what + " value '" + text + "'");
        }
        if (v < min || v > max) {
            throw new UserException(what + " " + text + " is outside " + min + ".." + max);
        }
        return v;
    }

    static byte[] address(String text) {
        byte[] a = text.indexOf(':') >= 0 ? AddressText.parseIpv6(text) : AddressText.parseIpv4(text);
        if (a == null) {
            throw new UserException("'" + text + "' is not an IPv4 or IPv6 address");
        }
        return a;
    }

    static int port(String text) {
        return (int) number(text, "port", 0, 65535);
    }
}
