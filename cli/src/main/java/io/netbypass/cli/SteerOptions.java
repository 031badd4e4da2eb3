package io.netbypass.cli;

import io.netbypass.backend.PortOptions;
import io.netbypass.backend.Ports;
import io.netbypass.scaling.ntuple.NtupleParser;
import io.netbypass.scaling.ntuple.NtupleSyntaxException;
import io.netbypass.scaling.ntuple.RxFlowSpec;
import io.netbypass.util.UserException;

import java.util.ArrayList;
import java.util.List;

import picocli.CommandLine.Option;

/** {@code --steer RULE}: flow steering in XDP for {@code xdp:} ports, in ethtool's ntuple syntax. */
final class SteerOptions {
    @Option(names = "--steer", paramLabel = "RULE",
            description = {"xdp: ports: take only packets matching this ntuple rule (ethtool -N syntax, e.g. \"udp4 dst-port 53\";",
                    "'action -1' drops in the driver); repeat for more rules, first match wins; the rest go to the kernel."})
    List<String> steer = new ArrayList<>();

    PortOptions options(Ports.Direction direction) {
        List<RxFlowSpec> rules = new ArrayList<>();
        for (String text : steer) {
            String line = text.trim().startsWith("flow-type") ? text.trim() : "flow-type " + text.trim();
            List<String> words = List.of(line.split("\\s+"));
            if (!words.contains("action") && !words.contains("queue")) {
                line += " action 0"; // the queue does not matter: a packet stays on the queue it arrived on
            }
            try {
                rules.add(NtupleParser.parse(line));
            } catch (NtupleSyntaxException e) {
                throw new UserException("--steer '" + text + "': " + e.getMessage());
            }
        }
        return new PortOptions(direction, rules);
    }
}
