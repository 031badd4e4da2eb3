package io.netbypass.util;

import io.netbypass.capture.CaptureRecord;
import io.netbypass.capture.CaptureReader;
import io.netbypass.capture.Captures;
import io.netbypass.capture.PcapWriter;
import io.netbypass.filter.rules.RuleParser;
import io.netbypass.metrics.CountersReader;
import io.netbypass.packet.LinkType;
import io.netbypass.testing.Privileged;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.*;

/** Files a local user could point us at: never written over, never hanging us, never followed. */
class SafeFilesTest {
    @TempDir
    Path dir;

    private Path capture(String name) throws IOException {
        Path p = dir.resolve(name);
        byte[] frame = new byte[60];
        try (PcapWriter w = new PcapWriter(p, LinkType.ETHERNET, 65535, false, ByteOrder.LITTLE_ENDIAN)) {
            for (int i = 0; i < 10; i++) {
                w.write(new CaptureRecord().set(MemorySegment.ofArray(frame), 0, frame.length, frame.length, i, 0, LinkType.ETHERNET));
            }
        }
        return p;
    }

    private Path fifo(String name) throws Exception {
        Path p = dir.resolve(name);
        assertEquals(0, new ProcessBuilder("mkfifo", p.toString()).inheritIO().start().waitFor());
        return p;
    }

    @Test
    void anOutputIsNeverAnOpenInputEvenThroughAHardLink() throws Exception {
        // 'pcap convert X X' truncated X while it was mapped: 784 bytes became 100 and the read faulted.
        Path in = capture("in.pcap");
        Path hard = Files.createLink(dir.resolve("hard.pcap"), in);
        byte[] before = Files.readAllBytes(in);
        try (CaptureReader r = Captures.open(in)) {
            for (Path out : new Path[] {in, hard}) {
                IOException e = assertThrows(IOException.class,
                        () -> new PcapWriter(out, LinkType.ETHERNET, 65535, false, ByteOrder.LITTLE_ENDIAN));
                assertEquals(out + " is an input of this command (the same file): write the output elsewhere", e.getMessage());
            }
            CaptureRecord rec = new CaptureRecord();
            int n = 0;
            while (r.next(rec)) {
                n++;
            }
            assertEquals(10, n);
        }
        assertArrayEquals(before, Files.readAllBytes(in));
        // Once closed, the same path is an ordinary output again.
        new PcapWriter(in, LinkType.ETHERNET, 65535, false, ByteOrder.LITTLE_ENDIAN).close();
    }

    @Test
    void outputsAreNotFollowedThroughLinksNorWrittenIntoFifos() throws Exception {
        Path target = dir.resolve("victim");
        Files.writeString(target, "mine");
        Path link = Files.createSymbolicLink(dir.resolve("out.pcap"), target);
        IOException e = assertThrows(IOException.class,
                () -> new PcapWriter(link, LinkType.ETHERNET, 65535, false, ByteOrder.LITTLE_ENDIAN));
        assertEquals(link + " is a symbolic link: output is written to a new or regular file only", e.getMessage());
        assertEquals("mine", Files.readString(target));
        Path fifo = fifo("out.fifo");
        e = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> assertThrows(IOException.class,
                () -> new PcapWriter(fifo, LinkType.ETHERNET, 65535, false, ByteOrder.LITTLE_ENDIAN)));
        assertEquals(fifo + " is a FIFO, socket or device: output is written to a new or regular file only", e.getMessage());
    }

    @Test
    void readersRefuseFifosDevicesAndDirectoriesInOneLine() throws Exception {
        Path fifo = fifo("in.fifo");
        Path zeroLink = Files.createSymbolicLink(dir.resolve("zero.rules"), Path.of("/dev/zero"));
        Path sub = Files.createDirectory(dir.resolve("sub"));
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            for (Path p : new Path[] {fifo, zeroLink, sub}) {
                String kind = p == sub ? "a directory" : "a FIFO, socket or device";
                assertEquals(p + " is " + kind + ": a rules or list file must be a regular file",
                        assertThrows(IOException.class, () -> RuleParser.parse(p)).getMessage());
                assertEquals(p + " is " + kind + ": a capture must be a regular file",
                        assertThrows(IOException.class, () -> Captures.open(p)).getMessage());
                assertEquals(p + " is " + kind + ": a counters file must be a regular file",
                        assertThrows(IOException.class, () -> new CountersReader(p)).getMessage());
            }
        });
        // A list named from a rules file is read the same way.
        Files.writeString(dir.resolve("r.rules"), "drop src list in.fifo\n");
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> assertTrue(assertThrows(Exception.class,
                () -> RuleParser.parse(dir.resolve("r.rules"))).getMessage().contains("in.fifo does not exist or is not a file")));
    }

    @Test
    void aRulesFileLargerThanTheCapIsRefusedBeforeItIsRead() throws Exception {
        Path big = dir.resolve("big.rules");
        try (var ch = java.nio.channels.FileChannel.open(big, java.nio.file.StandardOpenOption.CREATE_NEW,
                java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(new byte[] {'#'}), (256L << 20) + 10); // sparse: nothing on disk
        }
        IOException e = assertThrows(IOException.class, () -> RuleParser.parse(big));
        assertEquals(big + " holds 268435467 bytes: more than a rules or list file may (268435456)", e.getMessage());
    }

    @Test
    void stateDirectoriesMustBeOursAndClosed() throws Exception {
        Path made = SafeFiles.stateDirectory(dir.resolve("a/b"), "rwx------");
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(made)));
        assertEquals(made, SafeFiles.stateDirectory(made, "rwx------"), "an existing safe one is fine");
        Path open = Files.createDirectory(dir.resolve("open"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
        assertEquals(open + " is writable by others (rwxrwxrwx): chmod go-w it or remove it",
                assertThrows(IOException.class, () -> SafeFiles.stateDirectory(open, "rwx------")).getMessage());
        Path shared = Files.createDirectory(dir.resolve("shared"));
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxrwx")); // no sticky bit
        assertTrue(assertThrows(IOException.class, () -> SafeFiles.stateDirectory(shared.resolve("ours"), "rwx------"))
                .getMessage().contains("which others may write to (mode 777, no sticky bit)"));
        Path link = Files.createSymbolicLink(dir.resolve("link"), made);
        assertEquals(link + " is a symbolic link, not a directory: remove it (someone else may have put it there)",
                assertThrows(IOException.class, () -> SafeFiles.stateDirectory(link, "rwx------")).getMessage());
        Path file = Files.writeString(dir.resolve("file"), "x");
        assertEquals(file + " is a regular file, not a directory: remove it (someone else may have put it there)",
                assertThrows(IOException.class, () -> SafeFiles.stateDirectory(file, "rwx------")).getMessage());
    }

    @Test
    @Privileged
    void aStateDirectoryAnotherUserMadeIsRefused() throws Exception {
        // A local user could pre-create /dev/shm/netbypass: its files would be theirs to fake or link.
        Path theirs = Files.createDirectory(dir.resolve("theirs"));
        Files.setAttribute(theirs, "unix:uid", 65534);
        assertEquals(theirs + " belongs to uid 65534, not to us (uid 0): remove it or choose another path (a local user may"
                + " have made it)", assertThrows(IOException.class, () -> SafeFiles.stateDirectory(theirs, "rwxr-xr-x")).getMessage());
    }

    @Test
    void errorsNeverQuoteAFileThatIsNotARulesOrListFile() throws Exception {
        // 'drop src list /etc/shadow' printed the shadow file's first line.
        String secret = "root:$y$j9T$Secret/Hash.Value:19000:0:99999:7:::";
        Path shadow = Files.writeString(dir.resolve("shadow"), secret + "\ndaemon:*:19000:0:99999:7:::\n");
        Files.writeString(dir.resolve("r.rules"), "drop src list shadow\n");
        for (Path p : new Path[] {dir.resolve("r.rules"), shadow}) {
            Exception e = assertThrows(Exception.class, () -> RuleParser.parse(p));
            assertFalse(e.getMessage().contains("root") || e.getMessage().contains("Secret"), e.getMessage());
            assertTrue(e.getMessage().contains("(its text is not shown: it may not be ours to show)"), e.getMessage());
        }
        // A list or rules file with a typo still hears what is wrong.
        Files.writeString(dir.resolve("typo.rules"), "dorp udp\n");
        assertTrue(assertThrows(Exception.class, () -> RuleParser.parse(dir.resolve("typo.rules"))).getMessage()
                .endsWith("not 'dorp'"));
    }
}
