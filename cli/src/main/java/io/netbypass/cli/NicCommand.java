package io.netbypass.cli;

import io.netbypass.linux.LinuxException;
import io.netbypass.linux.ethtool.EthtoolNetlink;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code netbypass nic}: ethtool's operations on a real interface, through ethtool netlink. */
@Command(name = "nic", mixinStandardHelpOptions = true,
        description = "ethtool's operations on a network interface (in this namespace), through the kernel's ethtool netlink.",
        subcommands = {NicCommand.Features.class, NicCommand.Channels.class})
final class NicCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 0;
    }

    static String fail(String ifName, String operation, LinuxException e) {
        String m = e.getMessage();
        if (m.contains("ENODEV")) {
            return "nic " + operation + " " + ifName + ": no interface " + ifName + " here";
        }
        if (m.contains("bit name not found")) {
            return "nic " + operation + " " + ifName + ": no such feature (" + m + "; 'nic features " + ifName + "' lists them)";
        }
        if (m.contains("EOPNOTSUPP")) {
            return "nic " + operation + " " + ifName + ": " + ifName + " does not support " + operation + " (" + m + ")";
        }
        return "nic " + operation + " " + ifName + ": " + m;
    }

    @Command(name = "features", mixinStandardHelpOptions = true,
            description = {"Show the interface's features (ethtool -k), or turn some on or off (ethtool -K):",
                    "kernel names (rx-gro, tx-tcp-segmentation) or ethtool's short ones (gro lro gso tso sg rx tx ...)."})
    static final class Features implements Callable<Integer> {
        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "IF")
        String ifName;

        @Parameters(index = "1..*", paramLabel = "NAME on|off", arity = "0..*")
        List<String> changes = List.of();

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            if (changes.size() % 2 != 0) {
                throw new IllegalArgumentException("nic features " + ifName + ": give NAME on|off pairs, not '" + String.join(" ", changes) + "'");
            }
            Map<String, Boolean> wanted = new LinkedHashMap<>();
            for (int i = 0; i < changes.size(); i += 2) {
                String v = changes.get(i + 1);
                if (!v.equals("on") && !v.equals("off")) {
                    throw new IllegalArgumentException("nic features " + ifName + ": '" + changes.get(i) + " " + v + "': on or off");
                }
                wanted.put(changes.get(i), v.equals("on"));
            }
            try (EthtoolNetlink e = EthtoolNetlink.open()) {
                if (wanted.isEmpty()) {
                    out.printf(Locale.ROOT, "Features for %s:%n", ifName);
                    e.features(ifName).forEach((name, f) -> out.printf(Locale.ROOT, "%s: %s%s%n", name, f.active() ? "on" : "off",
                            f.changeable() ? "" : " [fixed]"));
                } else {
                    List<String> refused = e.setFeatures(ifName, wanted);
                    if (!refused.isEmpty()) {
                        out.printf(Locale.ROOT, "Could not change: %s%n", String.join(", ", refused));
                        out.flush();
                        return 1;
                    }
                }
            } catch (LinuxException x) {
                throw new IllegalStateException(fail(ifName, "features", x));
            }
            out.flush();
            return 0;
        }
    }

    @Command(name = "channels", mixinStandardHelpOptions = true,
            description = "Show the interface's channels (ethtool -l), or set them: [rx N] [tx N] [other N] [combined N] (ethtool -L).")
    static final class Channels implements Callable<Integer> {
        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "IF")
        String ifName;

        @Parameters(index = "1..*", paramLabel = "rx|tx|other|combined N", arity = "0..*")
        List<String> changes = List.of();

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            long[] set = {-1, -1, -1, -1};
            List<String> kinds = List.of("rx", "tx", "other", "combined");
            if (changes.size() % 2 != 0) {
                throw new IllegalArgumentException("nic channels " + ifName + ": give KIND N pairs (rx, tx, other, combined)");
            }
            for (int i = 0; i < changes.size(); i += 2) {
                int k = kinds.indexOf(changes.get(i));
                if (k < 0 || !changes.get(i + 1).matches("\\d{1,9}")) {
                    throw new IllegalArgumentException("nic channels " + ifName + ": '" + changes.get(i) + " " + changes.get(i + 1)
                            + "': rx, tx, other or combined and a count");
                }
                set[k] = Long.parseLong(changes.get(i + 1));
            }
            try (EthtoolNetlink e = EthtoolNetlink.open()) {
                if (changes.isEmpty()) {
                    EthtoolNetlink.Channels c = e.channels(ifName);
                    out.printf(Locale.ROOT, "Channel parameters for %s:%nPre-set maximums:%n", ifName);
                    print(out, c.rxMax(), c.txMax(), c.otherMax(), c.combinedMax());
                    out.println("Current hardware settings:");
                    print(out, c.rx(), c.tx(), c.other(), c.combined());
                } else {
                    e.setChannels(ifName, set[0], set[1], set[2], set[3]);
                }
            } catch (LinuxException x) {
                throw new IllegalStateException(fail(ifName, "channels", x));
            }
            out.flush();
            return 0;
        }

        private static void print(PrintWriter out, long rx, long tx, long other, long combined) {
            out.printf(Locale.ROOT, "RX:\t\t%s%nTX:\t\t%s%nOther:\t\t%s%nCombined:\t%s%n", n(rx), n(tx), n(other), n(combined));
        }

        private static String n(long v) {
            return v == 0 ? "n/a" : Long.toString(v);
        }
    }
}
