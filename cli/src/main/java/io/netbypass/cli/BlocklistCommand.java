package io.netbypass.cli;

import io.netbypass.filter.rules.Action;
import io.netbypass.util.UserException;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code netbypass blocklist [PID] list | add ADDRESS [DURATION] | del ADDRESS}: a running offload's blocked sources. */
@Command(name = "blocklist", mixinStandardHelpOptions = true,
        description = {"Show and edit the sources a running 'netbypass offload' blocks: every",
                "packet from them is dropped before the rules (in the driver too, when the",
                "rules are in XDP) until the time is up. 'ratelimit ... per src block D'",
                "rules add the sources that go over their rate. PID: as for 'ctl'.",
                "  list                       the blocked sources and the time left",
                "  add ADDRESS [DURATION]     block an IPv4 or IPv6 address (default 10m;",
                "                             60s, 10m, 1h, 1d: at most 7d)",
                "  del ADDRESS                unblock it"})
final class BlocklistCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(paramLabel = "[PID] list|add|del [ADDRESS] [DURATION]", arity = "0..4", description = "See above.")
    List<String> words = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        List<String> w = new ArrayList<>(words);
        Long pid = null;
        if (!w.isEmpty() && w.getFirst().matches("[0-9]{1,10}")) {
            pid = Long.parseLong(w.removeFirst());
        }
        String usage = "blocklist list, blocklist add ADDRESS [DURATION] or blocklist del ADDRESS";
        if (w.isEmpty()) {
            throw new UserException("which: " + usage);
        }
        String request = switch (w.getFirst()) {
            case "list" -> {
                if (w.size() != 1) {
                    throw new UserException("blocklist list takes nothing after it, not '" + w.get(1) + "'");
                }
                yield "blocklist list";
            }
            case "add" -> {
                if (w.size() < 2 || w.size() > 3) {
                    throw new UserException("blocklist add takes an address and optionally a duration, as in: blocklist add"
                            + " 198.51.100.7 10m");
                }
                yield "blocklist add " + address(w.get(1)) + " " + seconds(w.size() == 3 ? w.get(2) : "10m");
            }
            case "del" -> {
                if (w.size() != 2) {
                    throw new UserException("blocklist del takes an address, as in: blocklist del 198.51.100.7");
                }
                yield "blocklist del " + address(w.get(1));
            }
            default -> throw new UserException("'" + w.getFirst() + "' is not one of: " + usage);
        };
        return CtlCommand.send(out, pid, request);
    }

    private static String address(String a) {
        if (a.isEmpty() || a.length() > 45 || !a.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == '.' || c == ':')) {
            throw new UserException("'" + a + "' is not an IPv4 or IPv6 address");
        }
        return a;
    }

    /** 60s, 10m, 1h, 1d as seconds, 1 s to 7 days (the rule language's durations). */
    static long seconds(String d) {
        long s = Action.durationSeconds(d);
        if (s < 0) {
            throw new UserException("a block lasts a number of seconds, minutes, hours or days (60s, 10m, 1h, 1d), not '" + d + "'");
        }
        if (s < 1 || s > Action.MAX_BLOCK_SECONDS) {
            throw new UserException("a block lasts 1s to 7d, not '" + d + "'");
        }
        return s;
    }
}
