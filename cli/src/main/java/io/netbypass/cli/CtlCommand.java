package io.netbypass.cli;

import io.netbypass.util.UserException;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code netbypass ctl [PID] COMMAND}: talks to a running {@code offload} over its control socket. */
@Command(name = "ctl", mixinStandardHelpOptions = true,
        description = {"Change a running 'netbypass offload' while it filters, over its",
                "Unix socket in /run/netbypass. PID: the offload (default: the only one).",
                "  add-queue N     bypass RX queue N too, on the least busy worker",
                "                  (in the seed's session isolated as the first, journaled)",
                "  remove-queue N  give queue N back to the kernel; what its ring holds",
                "                  is decided first: nothing is lost",
                "  reload          read the rules file again, as SIGHUP does, and say how",
                "  status          the workers, their queues and counters"})
final class CtlCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(paramLabel = "[PID] COMMAND [N]", arity = "1..3", description = "See above.")
    List<String> words = new ArrayList<>();

    /** Where the sockets are (tests point it elsewhere). */
    static Path directory = ControlSocket.DIRECTORY;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        List<String> w = new ArrayList<>(words);
        Long pid = null;
        if (w.getFirst().matches("[0-9]{1,10}")) {
            pid = Long.parseLong(w.removeFirst());
        }
        if (w.isEmpty()) {
            throw new UserException("ctl: which command? add-queue N, remove-queue N, reload or status");
        }
        String command = w.getFirst();
        String request = switch (command) {
            case "add-queue", "remove-queue" -> {
                if (w.size() != 2 || !w.get(1).matches("[0-9]{1,4}")) {
                    throw new UserException("ctl " + command + " takes a queue number (0-9999), as in: ctl " + command + " 4");
                }
                yield command + " " + Integer.parseInt(w.get(1));
            }
            case "reload", "status" -> {
                if (w.size() != 1) {
                    throw new UserException("ctl " + command + " takes nothing after it, not '" + w.get(1) + "'");
                }
                yield command;
            }
            default -> throw new UserException("ctl: '" + command + "' is not a command: add-queue N, remove-queue N, reload"
                    + " or status");
        };
        return send(out, pid, request);
    }

    /**
     * Sends {@code request} to offload {@code pid} (null: the only one running) and prints the
     * answer; 0 when it says ok. Shared by the commands that talk to a running offload.
     */
    static int send(PrintWriter out, Long pid, String request) throws IOException {
        if (pid == null) {
            List<Long> running = ControlSocket.running(directory);
            if (running.isEmpty()) {
                throw new UserException("no netbypass offload is running here (no control socket in " + directory + ")");
            }
            if (running.size() > 1) {
                throw new UserException("several netbypass offload processes are running (" + running
                        + "): say which, as in: netbypass ctl " + running.getFirst() + " " + request);
            }
            pid = running.getFirst();
        }
        Path socket = directory.resolve(pid + ".sock");
        if (!ControlSocket.isSocket(socket)) {
            throw new UserException("process " + pid + " has no control socket (" + socket + "): is it a netbypass offload?");
        }
        List<String> answer = ask(socket, request);
        boolean ok = !answer.isEmpty() && answer.getLast().equals("ok");
        for (String line : answer) {
            if (!line.equals("ok")) {
                out.println(line.startsWith("error: ") ? "[!] " + line.substring(7) : line);
            }
        }
        out.flush();
        if (answer.isEmpty()) {
            throw new UserException("process " + pid + " closed the connection without an answer");
        }
        return ok ? 0 : 1;
    }

    /** Sends one request and reads the answer's lines. */
    static List<String> ask(Path socket, String request) throws IOException {
        try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            try {
                c.connect(UnixDomainSocketAddress.of(socket));
            } catch (IOException e) {
                throw new UserException("cannot reach " + socket + ": " + e.getMessage()
                        + " (the process may have ended; 'netbypass ctl' needs the user that runs it, or root)");
            }
            c.write(ByteBuffer.wrap((request + "\n").getBytes(StandardCharsets.UTF_8)));
            c.shutdownOutput();
            ByteBuffer b = ByteBuffer.allocate(1 << 16);
            StringBuilder text = new StringBuilder();
            while (c.read(b) >= 0) {
                b.flip();
                text.append(StandardCharsets.UTF_8.decode(b));
                b.clear();
            }
            List<String> lines = new ArrayList<>();
            for (String l : text.toString().split("\n")) {
                if (!l.isEmpty()) {
                    lines.add(l);
                }
            }
            return lines;
        }
    }
}
