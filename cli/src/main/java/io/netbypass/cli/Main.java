package io.netbypass.cli;

import java.io.PrintWriter;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code netbypass} command: one line of error at worst, never a stack trace. */
@Command(name = "netbypass", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Kernel-bypass packet engine: take flows or RX queues away from the kernel, "
                + "filter them at line rate, hand valid packets back.",
        subcommands = {DemoCommand.class, OffloadCommand.class, CtlCommand.class, BlocklistCommand.class, StatCommand.class, BenchCommand.class, GenCommand.class, RxCommand.class, XdpDropCommand.class, NicCommand.class, TuneCommand.class, RestoreCommand.class, RssCommand.class, NtupleCommand.class, PcapCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        System.exit(execute(args, new PrintWriter(System.out, false), new PrintWriter(System.err, true)));
    }

    /** Runs the command line with the given streams; returns the exit code. */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(out);
        cl.setErr(err);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            err.println("netbypass: " + Errors.oneLine(e));
            if (System.getenv("NETBYPASS_DEBUG") != null) {
                e.printStackTrace(err);
            }
            return 1;
        });
        cl.setParameterExceptionHandler((e, a) -> {
            err.println("netbypass: " + e.getMessage() + " (see 'netbypass " + commandPath(e.getCommandLine()) + " --help')");
            return 2;
        });
        try {
            int code = cl.execute(args);
            out.flush();
            return code;
        } catch (Throwable t) {
            out.flush();
            err.println("netbypass: " + Errors.oneLine(t));
            return 1;
        }
    }

    private static String commandPath(CommandLine cl) {
        String name = cl.getCommandSpec().qualifiedName(" ");
        return name.startsWith("netbypass ") ? name.substring("netbypass ".length()) : "";
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"netbypass " + (v == null ? "development build" : v)
                    + " (Java " + Runtime.version() + ")"};
        }
    }
}
