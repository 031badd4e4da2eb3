package io.netbypass.control;

import io.netbypass.util.UserException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.*;

/** Changes are written before they are made and undone newest first, by the run or by restore after a crash. */
class JournalTest {
    @TempDir
    Path dir;

    private final Map<String, String> device = new HashMap<>();
    private final Map<String, Journal.Applier> appliers = Map.of("set", (target, value) -> {
        if (value.equals("refuse")) {
            throw new IOException("refused");
        }
        device.put(target, value);
    });

    @Test
    void aRunUndoesItsChangesNewestFirstAndRemovesItsFile() throws Exception {
        device.put("a", "1");
        try (Journal j = Journal.create(dir, "ns", 42, appliers)) {
            j.change("set", "a", "1", "2");
            j.change("set", "a", "2", "3"); // a second change of the same thing: undone first
            j.change("set", "b\\twith tab", "x", "y\\nz");
            assertEquals("3", device.get("a"));
            assertTrue(Files.exists(j.file()));
            assertEquals(3, Files.readAllLines(j.file()).size(), "one line per change, written before it was made");
            assertEquals(List.of(), j.rollback());
            assertEquals("1", device.get("a"));
            assertEquals("x", device.get("b\\twith tab"));
            assertFalse(Files.exists(j.file()));
        }
    }

    @Test
    void aCorruptJournalIsReportedUndoesWhatItCanAndIsKept() throws Exception {
        // A corrupt journal used to be restored up to the bad line and deleted, with "restored" printed.
        device.put("a", "1");
        device.put("c", "old");
        Journal j = Journal.create(dir, "ns", 999_999_970L, appliers);
        j.change("set", "a", "1", "2");
        j.keep();
        String good = Files.readString(j.file());
        Files.writeString(j.file(), good + "garbage line\nformat\t/dev/sda\tx\ty\t5\n" + good.replace("\ta\t1\t2", "\tc\told\tnew"));
        device.put("c", "new");
        byte[] before = Files.readAllBytes(j.file());
        List<String> failed = Journal.restore(j.file(), appliers, null);
        assertEquals(List.of(j.file() + ":2: not a journal line (nothing done for it; the journal is kept)",
                j.file() + ":3: format /dev/sda: 'format' is not a change netbypass makes (nothing done for it; the journal is kept)"), failed);
        assertEquals("1", device.get("a"), "what could be read is undone");
        assertEquals("old", device.get("c"), "also after the bad lines");
        assertArrayEquals(before, Files.readAllBytes(j.file()), "kept as it was, for the operator");
    }

    @Test
    void aTargetItsKindMayNotTouchIsRefusedWhenWrittenAndWhenRestored() throws Exception {
        Map<String, Journal.Applier> guarded = Map.of("set", new Journal.Applier() {
            @Override
            public void apply(String target, String value) {
                device.put(target, value);
            }

            @Override
            public String refuse(String target) {
                return target.startsWith("ok/") ? null : "only ok/ targets";
            }
        });
        try (Journal j = Journal.create(dir, "ns", 999_999_969L, guarded)) {
            assertEquals("set /etc/passwd: only ok/ targets",
                    assertThrows(UserException.class, () -> j.change("set", "/etc/passwd", "", "x")).getMessage());
            assertFalse(device.containsKey("/etc/passwd"));
        }
        Path forged = dir.resolve("ns-999999968.journal");
        Files.writeString(forged, "set\t/etc/passwd\troot::0:0\tx\t1\nset\tok/a\t1\t2\t2\n");
        assertEquals(List.of(forged + ":1: set /etc/passwd: only ok/ targets (nothing done for it; the journal is kept)"),
                Journal.restore(forged, guarded, null));
        assertFalse(device.containsKey("/etc/passwd"));
        assertEquals("1", device.get("ok/a"));
    }

    @Test
    void journalsAreReadOnlyFromADirectoryNobodyElseCanWrite() throws Exception {
        Path open = Files.createDirectory(dir.resolve("open"));
        Files.setPosixFilePermissions(open, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
        Files.writeString(open.resolve("ns-999999967.journal"), "set\ta\t1\t2\t1\n");
        assertTrue(assertThrows(IOException.class, () -> Journal.leftBehind(open, "ns", false)).getMessage()
                .startsWith(open + " is writable by others"));
        assertThrows(IOException.class, () -> Journal.create(open, "ns", 1, appliers));
        Path linked = Files.createSymbolicLink(dir.resolve("linked"), open);
        assertTrue(assertThrows(IOException.class, () -> Journal.leftBehind(linked, "ns", false)).getMessage()
                .startsWith(linked + " is a symbolic link"));
    }

    @Test
    void aCrashedRunsJournalIsRestoredAndATornLastLineIsSkipped() throws Exception {
        device.put("a", "1");
        Journal j = Journal.create(dir, "ns", 999_999_999L, appliers);
        j.change("set", "a", "1", "2");
        j.change("set", "c", "old", "new");
        j.keep(); // as if killed: the file stays
        Files.writeString(j.file(), "set\\tpartial", StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.APPEND);
        assertEquals(List.of(j.file()), Journal.leftBehind(dir, "ns", false), "pid 999999999 is not running");
        assertEquals(List.of(), Journal.leftBehind(dir, "other-ns", false), "another namespace's journals are not ours");
        assertEquals(List.of(), Journal.restore(j.file(), appliers, null));
        assertEquals("1", device.get("a"));
        assertEquals("old", device.get("c"));
        assertFalse(Files.exists(j.file()));
    }

    @Test
    void restoringOneTargetLeavesTheRestAndAFailureIsReportedNotFatal() throws Exception {
        Journal j = Journal.create(dir, "ns", 999_999_998L, appliers);
        j.change("set", "/sys/class/net/a0/x", "refuse", "1");
        j.change("set", "/sys/class/net/b0/x", "0", "1");
        j.keep();
        assertEquals(List.of(), Journal.restore(j.file(), appliers, t -> t.contains("/b0/")));
        assertEquals("0", device.get("/sys/class/net/b0/x"));
        assertEquals(1, Files.readAllLines(j.file()).size(), "a0's change is still recorded");
        List<String> failed = Journal.restore(j.file(), appliers, null);
        assertEquals(1, failed.size());
        assertTrue(failed.get(0).contains("refused"), failed.toString());
        assertEquals(1, Files.readAllLines(j.file()).size(), "what could not be undone stays recorded for another try");
    }

    @Test
    void severalJournalsAreUndoneAsOneHistoryNewestChangeFirstWhateverTheirFileNames() throws Exception {
        // The operator's runs, in this order: gro on (a later pid's file), gro off, rx 2 -> ... as nic commands do.
        device.put("eth0:gro", "off");
        device.put("eth0:rx", "4");
        Journal first = Journal.create(dir, "ns", 999_999_990L, appliers);
        first.change("set", "eth0:gro", "off", "on");
        first.change("set", "eth0:rx", "4", "2");
        first.keep();
        Journal second = Journal.create(dir, "ns", 999_999_980L, appliers); // sorts before the first by name
        second.change("set", "eth0:gro", "on", "off");
        second.keep();
        Journal third = Journal.create(dir, "ns", 999_999_985L, appliers);
        third.change("set", "eth0:rx", "2", "1");
        third.change("set", "eth1:rx", "8", "3");
        third.keep();
        assertEquals("off", device.get("eth0:gro"));
        assertEquals("1", device.get("eth0:rx"));
        List<Path> left = Journal.leftBehind(dir, "ns", false);
        assertEquals(3, left.size());
        assertEquals(List.of(), Journal.restore(left, appliers, t -> t.startsWith("eth0:")));
        assertEquals("off", device.get("eth0:gro"), "gro as before the first change");
        assertEquals("4", device.get("eth0:rx"), "rx as before the first change");
        assertEquals("3", device.get("eth1:rx"), "another interface's change is not touched");
        assertFalse(Files.exists(first.file()));
        assertFalse(Files.exists(second.file()));
        assertEquals(1, Files.readAllLines(third.file()).size(), "eth1's change stays recorded");
        assertEquals(List.of(), Journal.restore(Journal.leftBehind(dir, "ns", false), appliers, null));
        assertEquals("8", device.get("eth1:rx"));
        assertFalse(Files.exists(third.file()));
    }

    @Test
    void aJournalWithoutTimesCountsAsWrittenWhenItsFileWasLastModified() throws Exception {
        device.put("x", "0");
        Path old = dir.resolve("ns-999999970.journal");
        Files.writeString(old, "set\tx\t0\t1\nset\tx\t1\t2\n", StandardCharsets.UTF_8);
        Files.setLastModifiedTime(old, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() - 60_000));
        Journal later = Journal.create(dir, "ns", 999_999_960L, appliers);
        later.change("set", "x", "2", "3");
        later.keep();
        assertEquals(List.of(), Journal.restore(Journal.leftBehind(dir, "ns", false), appliers, null));
        assertEquals("0", device.get("x"), "the newer journal's change undone first, then the old file's lines last to first");
    }

    @Test
    void aSettingThatDependsOnOneUndoneAfterItIsTriedAgain() throws Exception {
        // A child feature turns on only while its parent is on, as the kernel's TSO features do.
        Map<String, String> nic = new HashMap<>(Map.of("parent", "on", "child", "on"));
        Map<String, Journal.Applier> features = Map.of("feature", (target, value) -> {
            if (target.equals("child") && value.equals("on") && nic.get("parent").equals("off")) {
                throw new IOException("not changed: child (still off: a feature it depends on?)");
            }
            nic.put(target, value);
        });
        Journal j = Journal.create(dir, "ns", 999_999_950L, features);
        j.change("feature", "parent", "on", "off");
        j.change("feature", "child", "on", "off");
        j.keep();
        assertEquals(List.of(), Journal.restore(j.file(), features, null));
        assertEquals(Map.of("parent", "on", "child", "on"), nic);
        assertFalse(Files.exists(j.file()));
        try (Journal k = Journal.create(dir, "ns", 999_999_951L, features)) {
            k.change("feature", "parent", "on", "off");
            k.change("feature", "child", "on", "off");
            assertEquals(List.of(), k.rollback(), "a run's own rollback too");
        }
        assertEquals(Map.of("parent", "on", "child", "on"), nic);
    }
}
