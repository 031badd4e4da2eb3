package io.netbypass.cli;

import io.netbypass.util.SafeFiles;
import io.netbypass.util.UserException;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;

import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

/**
 * The Unix socket a running {@code offload} answers {@code netbypass ctl} on:
 * {@code /run/netbypass/PID.sock}, in a directory only root (or the user running it) may enter,
 * the socket itself mode 0600 and answering only root or the user running it (SO_PEERCRED),
 * removed at exit (only while it is still the one we made). One
 * request per connection: a line of at most {@link #MAX_REQUEST} bytes, answered with lines, the
 * last {@code ok} or {@code error: ...}; one request at a time, each on the socket's own thread,
 * so a slow client delays only other clients, never the workers.
 */
final class ControlSocket implements AutoCloseable {
    static final Path DIRECTORY = Path.of("/run/netbypass");
    static final int MAX_REQUEST = 256;
    /** How long a client may take to send its request. */
    private static final int REQUEST_MILLIS = 2_000;

    private final Path path;
    private final ServerSocketChannel server;
    private final Object fileKey;
    private final Thread thread;
    private volatile boolean closed;

    /**
     * Listens on {@code dir/PID.sock}; {@code handler} answers a request line with lines (it throws
     * {@link io.netbypass.util.UserException} for a refusal: sent as {@code error: ...}).
     */
    ControlSocket(Path dir, Function<String, List<String>> handler) throws IOException {
        SafeFiles.stateDirectory(dir, "rwx------");
        // Closed to others even where it was made before with more (the socket is 0600 only once bound).
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        removeStale(dir);
        path = dir.resolve(ProcessHandle.current().pid() + ".sock");
        if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            if (!isSocket(path) || listening(path)) {
                throw new IOException(path + " exists and is not the socket of an ended process: remove it");
            }
            Files.delete(path); // a process of our PID before us left it
        }
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            server.bind(UnixDomainSocketAddress.of(path));
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
            fileKey = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
        thread = new Thread(() -> serve(handler), "ctl");
        thread.setDaemon(true);
        thread.start();
    }

    Path path() {
        return path;
    }

    /**
     * Sockets nobody listens on any more (a process killed with -9): removed. A socket whose process
     * is alive, here or in another PID namespace sharing /run, answers a connect and stays; anything
     * that is not a socket is left alone.
     */
    static void removeStale(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.toList()) {
                if (pidOf(p) != null && isSocket(p) && !listening(p)) {
                    Files.deleteIfExists(p);
                }
            }
        } catch (IOException e) {
            // an unreadable directory: nothing removed
        }
    }

    /** Whether a process accepts connections on socket {@code p}. */
    static boolean listening(Path p) {
        try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            c.connect(UnixDomainSocketAddress.of(p));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static boolean isSocket(Path p) {
        try {
            BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            return a.isOther() && !a.isSymbolicLink();
        } catch (IOException e) {
            return false;
        }
    }

    /** The PID of a {@code PID.sock} name, or null. */
    static Long pidOf(Path p) {
        String n = p.getFileName().toString();
        if (!n.matches("[0-9]{1,10}\\.sock")) {
            return null;
        }
        return Long.parseLong(n.substring(0, n.length() - 5));
    }

    /** The PIDs of the sockets in {@code dir} whose processes are alive. */
    static List<Long> running(Path dir) throws IOException {
        if (Files.isDirectory(dir) && !Files.isReadable(dir)) {
            throw new UserException(dir + ": permission denied: 'netbypass ctl' needs root, or the user that runs the offload");
        }
        List<Long> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.sorted().toList()) {
                Long pid = pidOf(p);
                if (pid != null && isSocket(p) && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                    out.add(pid);
                }
            }
        } catch (NoSuchFileException e) {
            return out;
        }
        return out;
    }

    private void serve(Function<String, List<String>> handler) {
        while (!closed) {
            try (SocketChannel c = server.accept()) {
                if (!trusted(c)) {
                    continue; // another user: no answer (the socket's mode already keeps them out)
                }
                String request = readLine(c);
                List<String> answer;
                try {
                    answer = new ArrayList<>(handler.apply(request));
                    answer.add("ok");
                } catch (RuntimeException e) {
                    answer = List.of("error: " + Errors.oneLine(e));
                }
                write(c, (String.join("\n", answer) + "\n").getBytes(StandardCharsets.UTF_8));
            } catch (IOException | RuntimeException e) {
                if (closed) {
                    return;
                }
                // one client's broken connection or bad request: the next one is served
            }
        }
    }

    /** Whether the peer runs as root or as the user this process runs as (SO_PEERCRED). */
    private static boolean trusted(SocketChannel c) {
        try {
            UnixDomainPrincipal peer = c.getOption(ExtendedSocketOptions.SO_PEERCRED);
            String user = peer.user().getName();
            return user.equals("root") || user.equals(System.getProperty("user.name"));
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    /** The answer, within the request's time: a client that does not read is cut off. */
    private static void write(SocketChannel c, byte[] answer) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(answer);
        long deadline = System.currentTimeMillis() + REQUEST_MILLIS;
        c.configureBlocking(false);
        while (b.hasRemaining()) {
            if (c.write(b) == 0) {
                if (System.currentTimeMillis() > deadline) {
                    throw new IOException("client does not read its answer");
                }
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted");
                }
            }
        }
    }

    /** One request line, bounded in length and time: a client that sends more, or nothing, is cut off. */
    private static String readLine(SocketChannel c) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(MAX_REQUEST + 1);
        long deadline = System.currentTimeMillis() + REQUEST_MILLIS;
        c.configureBlocking(false);
        while (b.hasRemaining()) {
            int n = c.read(b);
            if (n < 0) {
                break;
            }
            if (n == 0) {
                if (System.currentTimeMillis() > deadline) {
                    throw new IOException("request too slow");
                }
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted");
                }
                continue;
            }
            for (int i = 0; i < b.position(); i++) {
                if (b.get(i) == '\n') {
                    c.configureBlocking(true);
                    return new String(b.array(), 0, i, StandardCharsets.UTF_8).strip();
                }
            }
        }
        c.configureBlocking(true);
        if (b.position() > MAX_REQUEST) {
            throw new IOException("request longer than " + MAX_REQUEST + " bytes");
        }
        return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8).strip();
    }

    /** Stops accepting; waits for the request in progress. Closing twice is harmless. */
    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            // closing: nothing to do
        }
        try {
            Object now = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
            if (now != null && now.equals(fileKey)) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            // already gone
        }
        try {
            thread.join(120_000); // a queue change in progress finishes (its own waits are bounded) before the run ends
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
