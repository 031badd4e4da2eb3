package io.netbypass.cli;

import io.netbypass.demo.SingleQueueDemo;
import io.netbypass.filter.engine.FilterProgram;
import io.netbypass.util.UserException;

import java.nio.file.Path;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code netbypass demo}: the single RX queue offload on the embedded software NIC. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Cloudflare's single RX queue offload, in process: a 10-queue software NIC under a UDP flood to",
                "port 53; queue 4 is taken from the host (vnic:eth3-4/R), the flood dropped, valid DNS queries passed",
                "to the host, every other queue left to the host. Prints '[+] UDP pps: N' each second, then a summary.",
                "The filter is netbypass offload's, running examples/dns-flood.rules unless --rules says otherwise.",
                "Exits 0 when every valid query reached the host and every flood packet was dropped."})
final class DemoCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--seconds", paramLabel = "S", description = "How long to run (default ${DEFAULT-VALUE}).")
    int seconds = 10;

    @Option(names = "--rate", paramLabel = "PPS", description = "Packets per second on the wire (default ${DEFAULT-VALUE}).")
    long rate = 1_000_000;

    @Option(names = "--queues", paramLabel = "N", description = "RX queues of the NIC (default ${DEFAULT-VALUE}).")
    int queues = 10;

    @Option(names = "--rules", paramLabel = "FILE",
            description = "Filter rules for the bypassed queue (default: the shipped " + SingleQueueDemo.DEFAULT_RULES + ").")
    Path rules;

    @Override
    public Integer call() throws Exception {
        Checks.range("--seconds", seconds, 1, 86_400);
        Checks.range("--rate", rate, 1, 1_000_000_000);
        if (queues > 256) { // fewer than five: the demo itself says why (it bypasses queue 4)
            throw new UserException("--queues " + queues + ": at most 256 RX queues");
        }
        FilterProgram program = rules == null ? FilterProgram.shipped(SingleQueueDemo.DEFAULT_RULES) : FilterProgram.load(rules);
        SingleQueueDemo.Result r = SingleQueueDemo.run(seconds, rate, queues, program, spec.commandLine().getOut());
        return r.allValidDelivered() && r.allFloodDropped() ? 0 : 1;
    }
}
