package io.netbypass.cli;

import io.netbypass.filter.engine.FilterProgram;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.*;

/**
 * --watch died silently after the rules file became a link to /dev/zero, ignored edits of list
 * files, missed a swap to a file with the same mtime, and loaded a half-written file; two
 * overlapping reloads of a huge list filled the heap.
 */
class RulesReloaderTest {
    @TempDir
    Path dir;

    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final AtomicReference<FilterProgram> running = new AtomicReference<>();

    private RulesReloader start(Path rules, boolean watch) throws Exception {
        running.set(FilterProgram.load(rules));
        return new RulesReloader(rules, running::get, running::set, watch, 50, lines::add, p -> { });
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long until = System.nanoTime() + 20_000_000_000L;
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < until, what);
            Thread.sleep(10);
        }
    }

    private String names() {
        StringBuilder b = new StringBuilder();
        running.get().rules().rules().forEach(r -> b.append(r.name()).append(' '));
        return b.toString().strip();
    }

    @Test
    void aBadFileOfAnyKindIsReportedAndTheWatchGoesOn() throws Exception {
        Path rules = Files.writeString(dir.resolve("r.rules"), "drop udp name one\n");
        try (RulesReloader r = start(rules, true)) {
            Files.delete(rules);
            Files.createSymbolicLink(rules, Path.of("/dev/zero"));
            await(() -> lines.stream().anyMatch(l -> l.contains("/dev/zero") || l.contains("FIFO, socket or device")), "the link reported: " + lines);
            assertEquals("one", names(), "the old rules run on");
            Path good = Files.writeString(dir.resolve("good.rules"), "drop tcp name two\n");
            Files.delete(rules);
            Files.move(good, rules);
            await(() -> names().equals("two"), "a valid file after the bad one is loaded: " + lines);
        }
    }

    @Test
    void listFilesAreWatchedAndASwapWithTheSameTimeIsSeen() throws Exception {
        Files.writeString(dir.resolve("block.txt"), "192.0.2.0/24\n");
        Path rules = Files.writeString(dir.resolve("r.rules"), "drop src list block.txt name blocked\n");
        try (RulesReloader r = start(rules, true)) {
            Files.writeString(dir.resolve("block.txt"), "192.0.2.0/24\n198.51.100.0/24\n");
            await(() -> running.get().rules().rule(0).matches().toString().contains("block.txt") && lines.size() == 1, "list edit: " + lines);
            assertTrue(lines.getFirst().startsWith("[+] file changed: reloaded"), lines.toString());
            // A new file renamed into place with the old one's modification time and size.
            FileTime t = Files.getLastModifiedTime(rules);
            Path next = Files.writeString(dir.resolve("next.rules"), "drop src list block.txt name blockee\n");
            Files.setLastModifiedTime(next, t);
            Files.move(next, rules, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            await(() -> names().equals("blockee"), "the swap is seen by its inode: " + lines);
        }
    }

    @Test
    void aFileIsLoadedOnlyOnceItHasStoppedChanging() throws Exception {
        Path rules = Files.writeString(dir.resolve("r.rules"), "drop udp name one\n");
        try (RulesReloader r = start(rules, true)) {
            // Written in place in pieces, each alone invalid: never loaded half-way, never an error.
            for (String piece : new String[] {"drop udp name two\ndrop ", "tcp ", "name three\n"}) {
                Files.writeString(rules, piece, java.nio.file.StandardOpenOption.APPEND);
                Thread.sleep(20);
            }
            await(() -> names().equals("one two three"), "the whole file: " + lines);
            assertTrue(lines.stream().noneMatch(l -> l.startsWith("[!]")), "no half file was tried: " + lines);
        }
    }

    @Test
    void requestsNeverWaitAndManyMakeOneMoreCompile() throws Exception {
        StringBuilder big = new StringBuilder();
        for (int i = 0; i < 200_000; i++) {
            big.append(10 + (i >>> 16)).append('.').append((i >>> 8) & 255).append('.').append(i & 255).append(".0/24\n");
        }
        Files.writeString(dir.resolve("big.txt"), big);
        Path rules = Files.writeString(dir.resolve("r.rules"), "drop src list big.txt name big\n");
        try (RulesReloader r = start(rules, false)) {
            long t0 = System.nanoTime();
            for (int i = 0; i < 50; i++) {
                r.request("SIGHUP");
            }
            assertTrue(System.nanoTime() - t0 < 1_000_000_000L, "requests return at once");
            await(() -> lines.size() >= 1 && r.compiles() >= 1, "reloaded: " + lines);
            Thread.sleep(300);
            await(() -> lines.size() == r.compiles(), "every compile reported");
            assertTrue(r.compiles() <= 2, "50 requests made " + r.compiles() + " compiles, one at a time");
        }
    }
}
