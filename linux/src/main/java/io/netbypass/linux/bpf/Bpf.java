package io.netbypass.linux.bpf;

import io.netbypass.linux.Errno;
import io.netbypass.linux.LinuxException;
import io.netbypass.linux.Native;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * bpf(2) commands netbypass uses: maps (XSKMAP), program load with the verifier's log on
 * failure, and XDP links (BPF_LINK_CREATE), which detach by themselves when the last descriptor
 * closes, also when the process dies. Offsets: ../shared/reference/afxdp-abi.md, linux/bpf.h.
 */
public final class Bpf {
    public static final int MAP_CREATE = 0;
    public static final int MAP_LOOKUP_ELEM = 1;
    public static final int MAP_UPDATE_ELEM = 2;
    public static final int MAP_DELETE_ELEM = 3;
    public static final int PROG_LOAD = 5;
    public static final int PROG_TEST_RUN = 10;
    public static final int LINK_CREATE = 28;
    public static final int LINK_UPDATE = 29;
    public static final int PROG_GET_FD_BY_ID = 13;
    public static final int OBJ_GET_INFO_BY_FD = 15;
    public static final int LINK_GET_FD_BY_ID = 30;
    public static final int LINK_GET_NEXT_ID = 31;
    public static final int LINK_TYPE_XDP = 6;

    public static final int MAP_TYPE_HASH = 1;
    public static final int MAP_TYPE_ARRAY = 2;
    /** Longest-prefix match: keys are {u32 prefix length, address bytes in network order}. */
    public static final int MAP_TYPE_LPM_TRIE = 11;
    /** map_flags: allocate entries as they are added (an LPM trie requires it). */
    public static final int MAP_F_NO_PREALLOC = 1;
    public static final int MAP_TYPE_PERCPU_ARRAY = 6;
    public static final int MAP_TYPE_XSKMAP = 17;
    public static final int PROG_TYPE_XDP = 6;
    public static final int ATTACH_XDP = 37;

    public static final int XDP_FLAGS_SKB_MODE = 2;
    public static final int XDP_FLAGS_DRV_MODE = 4;

    /** XDP return codes. */
    public static final int XDP_ABORTED = 0, XDP_DROP = 1, XDP_PASS = 2, XDP_TX = 3, XDP_REDIRECT = 4;
    /** Helper ids. */
    public static final int HELPER_MAP_LOOKUP_ELEM = 1, HELPER_KTIME_GET_NS = 5, HELPER_REDIRECT_MAP = 51,
            HELPER_XDP_GET_BUFF_LEN = 188;
    /** struct xdp_md offsets. */
    public static final int XDP_MD_DATA = 0, XDP_MD_DATA_END = 4, XDP_MD_RX_QUEUE_INDEX = 16;

    static final int ATTR_SIZE = 144;
    /** prog_flags: the XDP program handles multi-buffer frames (BPF_F_XDP_HAS_FRAGS). */
    static final int F_XDP_HAS_FRAGS = 1 << 5;
    /** BPF_F_REPLACE: a link update that names the program it replaces. */
    static final int F_REPLACE = 1 << 2;
    private static final int LOG_SIZE = 1 << 20;

    private Bpf() {
    }

    /** Creates a map; returns its fd. */
    public static int mapCreate(int type, int keySize, int valueSize, int maxEntries, String name) throws LinuxException {
        return mapCreate(type, keySize, valueSize, maxEntries, 0, name);
    }

    /** Creates a map with {@code flags} (map_flags: {@link #MAP_F_NO_PREALLOC}...); returns its fd. */
    public static int mapCreate(int type, int keySize, int valueSize, int maxEntries, int flags, String name)
            throws LinuxException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment attr = a.allocate(ATTR_SIZE, 8);
            attr.set(ValueLayout.JAVA_INT, 0, type);
            attr.set(ValueLayout.JAVA_INT, 4, keySize);
            attr.set(ValueLayout.JAVA_INT, 8, valueSize);
            attr.set(ValueLayout.JAVA_INT, 12, maxEntries);
            attr.set(ValueLayout.JAVA_INT, 16, flags);
            name(attr, 28, name);
            return Native.bpf(MAP_CREATE, attr, "bpf(BPF_MAP_CREATE, " + name + ")");
        }
    }

    /** {@code map[key] = value} for a map with u32 keys and u32 values (XSKMAP: a socket fd). */
    public static void mapUpdate(int mapFd, int key, int value, String what) throws LinuxException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment k = a.allocate(ValueLayout.JAVA_INT);
            k.set(ValueLayout.JAVA_INT, 0, key);
            MemorySegment v = a.allocate(ValueLayout.JAVA_INT);
            v.set(ValueLayout.JAVA_INT, 0, value);
            MemorySegment attr = a.allocate(ATTR_SIZE, 8);
            attr.set(ValueLayout.JAVA_INT, 0, mapFd);
            attr.set(ValueLayout.JAVA_LONG, 8, k.address());
            attr.set(ValueLayout.JAVA_LONG, 16, v.address());
            Native.bpf(MAP_UPDATE_ELEM, attr, "bpf(BPF_MAP_UPDATE_ELEM, " + what + ")");
        }
    }

    /** {@code map[key] = value} with the key and value as the map lays them out (their sizes are the map's). */
    public static void mapUpdate(int mapFd, MemorySegment key, MemorySegment value, String what) throws LinuxException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment attr = a.allocate(ATTR_SIZE, 8);
            attr.set(ValueLayout.JAVA_INT, 0, mapFd);
            attr.set(ValueLayout.JAVA_LONG, 8, key.address());
            attr.set(ValueLayout.JAVA_LONG, 16, value.address());
            Native.bpf(MAP_UPDATE_ELEM, attr, "bpf(BPF_MAP_UPDATE_ELEM, " + what + ")");
        }
    }

    /** Deletes {@code map[key]} with the key as the map lays it out; false when there was none. */
    public static boolean mapDelete(int mapFd, MemorySegment key, String what) throws LinuxException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment attr = a.allocate(ATTR_SIZE, 8);
            attr.set(ValueLayout.JAVA_INT, 0, mapFd);
            attr.set(ValueLayout.JAVA_LONG, 8, key.address());
            int rc = Native.bpfRaw(MAP_DELETE_ELEM, attr);
            if (rc == -Errno.ENOENT) {
                return false;
            }
            if (rc < 0) {
                throw new LinuxException("bpf(BPF_MAP_DELETE_ELEM, " + what + ")", -rc);
            }
            return true;
        }
    }

    public static void mapDelete(int mapFd, int key, String what) throws LinuxException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment k = a.allocate(ValueLayout.JAVA_INT);
            k.set(ValueLayout.JAVA_INT, 0, key);
            MemorySegment attr = a.allocate(ATTR_SIZE, 8);
            attr.set(ValueLayout.JAVA_INT, 0, mapFd);
            attr.set(ValueLayout.JAVA_LONG, 8, k.address());
            Native.bpf(MAP_DELETE_ELEM, attr, "bpf(BPF_MAP_DELETE_ELEM, " + what + ")");
        }
    }

    /**
     * Reads {@code map[key]} (u32 key) into {@code value}, which must hold the map's value size;
     * for a per-CPU map that is the value size, rounded up to 8, times {@link #possibleCpus()}.
     */
    public static void mapLookup(int mapFd, int key, MemorySegment value, String what) throws LinuxException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment k = a.allocate(ValueLayout.JAVA_INT);
            k.set(ValueLayout.JAVA_INT, 0, key);
            MemorySegment attr = a.allocate(ATTR_SIZE, 8);
            attr.set(ValueLayout.JAVA_INT, 0, mapFd);
            attr.set(ValueLayout.JAVA_LONG, 8, k.address());
            attr.set(ValueLayout.JAVA_LONG, 16, value.address());
            Native.bpf(MAP_LOOKUP_ELEM, attr, "bpf(BPF_MAP_LOOKUP_ELEM, " + what + ")");
        }
    }

    /**
     * The u64 at {@code key} of a per-CPU map, summed over every CPU (a counter each CPU adds to
     * without atomics). Control plane: allocates its buffer per call.
     */
    public static long perCpuSum(int mapFd, int key, String what) throws LinuxException {
        long[] sum = new long[1];
        perCpuSums(mapFd, key, sum, what);
        return sum[0];
    }

    /**
     * The {@code width} u64s at {@code key} of a per-CPU map whose values are {@code width} u64s,
     * each summed over every CPU, into {@code out}. Control plane: allocates its buffer per call.
     */
    public static void perCpuSums(int mapFd, int key, long[] out, String what) throws LinuxException {
        int cpus = possibleCpus();
        int width = out.length;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment values = a.allocate(8L * width * cpus, 8);
            mapLookup(mapFd, key, values, what);
            Arrays.fill(out, 0);
            for (int c = 0; c < cpus; c++) {
                for (int i = 0; i < width; i++) {
                    out[i] += values.get(ValueLayout.JAVA_LONG, 8L * (c * width + i));
                }
            }
        }
    }

    private static volatile int possible;

    /**
     * How many CPUs this kernel may ever have (/sys/devices/system/cpu/possible, read once: it is
     * fixed at boot): per-CPU maps hold one value each.
     */
    public static int possibleCpus() {
        int n = possible;
        if (n == 0) {
            n = readPossibleCpus();
            possible = n;
        }
        return n;
    }

    private static int readPossibleCpus() {
        try {
            String text = Files.readString(Path.of("/sys/devices/system/cpu/possible")).strip();
            int highest = 0;
            for (String range : text.split(",")) {
                String[] ends = range.split("-");
                highest = Math.max(highest, Integer.parseInt(ends[ends.length - 1]));
            }
            return highest + 1;
        } catch (IOException | RuntimeException e) {
            return Runtime.getRuntime().availableProcessors();
        }
    }

    /**
     * Loads an XDP program. When the kernel refuses it, loads it again with the verifier log on
     * and puts the log's end into the exception, so the reason is in front of whoever reads it.
     */
    public static int loadXdp(String name, BpfAssembler program) throws LinuxException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment insns = program.assemble(a);
            MemorySegment license = a.allocateFrom("GPL");
            MemorySegment attr = a.allocate(ATTR_SIZE, 8);
            attr.set(ValueLayout.JAVA_INT, 0, PROG_TYPE_XDP);
            attr.set(ValueLayout.JAVA_INT, 4, program.size());
            attr.set(ValueLayout.JAVA_LONG, 8, insns.address());
            attr.set(ValueLayout.JAVA_LONG, 16, license.address());
            name(attr, 48, name);
            attr.set(ValueLayout.JAVA_INT, 68, ATTACH_XDP);
            // Fragment-aware (xdp.frags): it reads headers in the first buffer only, so a driver may hand
            // it multi-buffer frames, and jumbo MTUs (veth's > 3.5 KB, say) accept it; kernels before 5.18
            // know no such flag.
            attr.set(ValueLayout.JAVA_INT, 44, F_XDP_HAS_FRAGS);
            int fd = Native.bpfRaw(PROG_LOAD, attr);
            if (fd >= 0) {
                return fd;
            }
            attr.set(ValueLayout.JAVA_INT, 44, 0);
            fd = Native.bpfRaw(PROG_LOAD, attr);
            if (fd >= 0) {
                return fd;
            }
            MemorySegment log = a.allocate(LOG_SIZE);
            attr.set(ValueLayout.JAVA_INT, 24, 1);
            attr.set(ValueLayout.JAVA_INT, 28, LOG_SIZE);
            attr.set(ValueLayout.JAVA_LONG, 32, log.address());
            int again = Native.bpfRaw(PROG_LOAD, attr);
            if (again >= 0) {
                return again; // loaded with the log on (it should not differ, but take it)
            }
            throw new LinuxException("bpf(BPF_PROG_LOAD, " + name + ")", -again, verifierTail(log.getString(0)));
        }
    }

    private static String verifierTail(String log) {
        String[] lines = log.strip().split("\n");
        int from = Math.max(0, lines.length - 12);
        StringBuilder b = new StringBuilder("verifier:");
        for (int i = from; i < lines.length; i++) {
            b.append("\n  ").append(lines[i]);
        }
        return lines.length == 0 || log.isBlank() ? "" : b.toString();
    }

    /**
     * BPF_PROG_TEST_RUN: runs the program once on {@code frame} (an XDP program sees it as a
     * packet on queue 0) and returns its return value.
     */
    public static int testRun(int progFd, byte[] frame) throws LinuxException {
        return testRun(progFd, frame, 1).returnValue();
    }

    /** What {@link #testRun(int, byte[], int)} measured: the program's return value and its mean time per run. */
    public record TestRun(int returnValue, long nanosPerRun) {
    }

    /**
     * BPF_PROG_TEST_RUN {@code repeat} times on {@code frame}, in the kernel: the return value and
     * the kernel's mean duration of one run (the program alone, no syscall per run).
     */
    public static TestRun testRun(int progFd, byte[] frame, int repeat) throws LinuxException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment in = a.allocate(Math.max(1, frame.length), 8);
            MemorySegment.copy(frame, 0, in, ValueLayout.JAVA_BYTE, 0, frame.length);
            MemorySegment attr = a.allocate(ATTR_SIZE, 8);
            attr.set(ValueLayout.JAVA_INT, 0, progFd);
            attr.set(ValueLayout.JAVA_INT, 8, frame.length);
            attr.set(ValueLayout.JAVA_LONG, 16, in.address());
            attr.set(ValueLayout.JAVA_INT, 32, repeat);
            Native.bpf(PROG_TEST_RUN, attr, "bpf(BPF_PROG_TEST_RUN)");
            return new TestRun(attr.get(ValueLayout.JAVA_INT, 4), attr.get(ValueLayout.JAVA_INT, 36) & 0xffff_ffffL);
        }
    }

    /** Attaches an XDP program to an interface with a link; closing the returned fd detaches it. */
    public static int linkXdp(int progFd, int ifIndex, int flags, String what) throws LinuxException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment attr = a.allocate(ATTR_SIZE, 8);
            attr.set(ValueLayout.JAVA_INT, 0, progFd);
            attr.set(ValueLayout.JAVA_INT, 4, ifIndex);
            attr.set(ValueLayout.JAVA_INT, 8, ATTACH_XDP);
            attr.set(ValueLayout.JAVA_INT, 12, flags);
            return Native.bpf(LINK_CREATE, attr, "bpf(BPF_LINK_CREATE, XDP on " + what + ")");
        }
    }

    /**
     * BPF_LINK_UPDATE: the link runs {@code newProgFd} from the next packet on, in one step (no
     * packet sees neither program); with {@code oldProgFd >= 0} only if the link still runs that one.
     */
    public static void linkUpdate(int linkFd, int newProgFd, int oldProgFd, String what) throws LinuxException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment attr = a.allocate(ATTR_SIZE, 8);
            attr.set(ValueLayout.JAVA_INT, 0, linkFd);
            attr.set(ValueLayout.JAVA_INT, 4, newProgFd);
            if (oldProgFd >= 0) {
                attr.set(ValueLayout.JAVA_INT, 8, F_REPLACE);
                attr.set(ValueLayout.JAVA_INT, 12, oldProgFd);
            }
            Native.bpf(LINK_UPDATE, attr, "bpf(BPF_LINK_UPDATE, " + what + ")");
        }
    }

    /** A loaded program as the kernel describes it (struct bpf_prog_info: id, name). */
    public record ProgramInfo(int id, String name) {
    }

    /** A BPF link (struct bpf_link_info: type, id, prog_id; for XDP links the interface index). */
    public record LinkInfo(int type, int id, int programId, int ifIndex) {
    }

    /** The program with id {@code id}, or null when there is none (or it cannot be read here). */
    public static ProgramInfo program(int id) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment attr = a.allocate(ATTR_SIZE, 8);
            attr.set(ValueLayout.JAVA_INT, 0, id);
            int fd = Native.bpfRaw(PROG_GET_FD_BY_ID, attr);
            if (fd < 0) {
                return null;
            }
            try {
                MemorySegment info = objectInfo(a, fd, 256);
                if (info == null) {
                    return null;
                }
                return new ProgramInfo(info.get(ValueLayout.JAVA_INT, 4), info.asSlice(64, 16).getString(0));
            } finally {
                Native.close(fd);
            }
        }
    }

    /** Every BPF link of this kernel (all namespaces) that can be read here. */
    public static List<LinkInfo> links() {
        List<LinkInfo> out = new ArrayList<>();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment attr = a.allocate(ATTR_SIZE, 8);
            int next = 0;
            while (true) {
                attr.fill((byte) 0);
                attr.set(ValueLayout.JAVA_INT, 0, next);
                if (Native.bpfRaw(LINK_GET_NEXT_ID, attr) < 0) {
                    return out; // ENOENT: no more
                }
                next = attr.get(ValueLayout.JAVA_INT, 4);
                attr.fill((byte) 0);
                attr.set(ValueLayout.JAVA_INT, 0, next);
                int fd = Native.bpfRaw(LINK_GET_FD_BY_ID, attr);
                if (fd < 0) {
                    continue; // gone meanwhile
                }
                try {
                    MemorySegment info = objectInfo(a, fd, 64);
                    if (info != null) {
                        out.add(new LinkInfo(info.get(ValueLayout.JAVA_INT, 0), info.get(ValueLayout.JAVA_INT, 4),
                                info.get(ValueLayout.JAVA_INT, 8), info.get(ValueLayout.JAVA_INT, 16)));
                    }
                } finally {
                    Native.close(fd);
                }
            }
        }
    }

    /** BPF_OBJ_GET_INFO_BY_FD into a zeroed buffer of {@code size} bytes, or null. */
    private static MemorySegment objectInfo(Arena a, int fd, int size) {
        MemorySegment info = a.allocate(size, 8);
        MemorySegment attr = a.allocate(ATTR_SIZE, 8);
        attr.set(ValueLayout.JAVA_INT, 0, fd);
        attr.set(ValueLayout.JAVA_INT, 4, size);
        attr.set(ValueLayout.JAVA_LONG, 8, info.address());
        return Native.bpfRaw(OBJ_GET_INFO_BY_FD, attr) < 0 ? null : info;
    }

    private static void name(MemorySegment attr, long offset, String name) {
        byte[] b = name.getBytes(StandardCharsets.US_ASCII);
        int n = Math.min(b.length, 15); // BPF_OBJ_NAME_LEN 16 with the terminating NUL
        for (int i = 0; i < n; i++) {
            byte c = b[i];
            attr.set(ValueLayout.JAVA_BYTE, offset + i, Character.isLetterOrDigit(c) || c == '_' || c == '.' ? c : (byte) '_');
        }
    }
}
