package io.netbypass.linux.ethtool;

import io.netbypass.linux.Errno;
import io.netbypass.linux.LinuxException;
import io.netbypass.linux.Native;
import io.netbypass.util.UserException;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The SIOCETHTOOL ioctl: {@code struct ifreq} naming the interface, its data pointer at a
 * command struct. Calls run in the calling thread's network namespace (the socket's).
 */
public final class Ethtool {
    public static final long SIOCETHTOOL = 0x8946;
    public static final int ETHTOOL_GCHANNELS = 0x3c;
    static final int IFREQ_LENGTH = 40;
    static final int IFREQ_DATA = 16;
    private static final int AF_INET = 2;
    private static final int SOCK_DGRAM = 2;

    /** {@code struct ethtool_channels}: the maxima and current counts of each kind of channel. */
    public record Channels(int maxRx, int maxTx, int maxOther, int maxCombined, int rx, int tx, int other, int combined) {
        /** RX queues: dedicated RX channels plus combined ones. */
        public int rxQueues() {
            return rx + combined;
        }
    }

    private Ethtool() {
    }

    /** ETHTOOL_GCHANNELS (ethtool -l). */
    public static Channels channels(String ifName) throws LinuxException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cmd = a.allocate(36, 4);
            cmd.set(ValueLayout.JAVA_INT, 0, ETHTOOL_GCHANNELS);
            call(ifName, cmd, a, "ETHTOOL_GCHANNELS");
            int[] v = new int[8];
            for (int i = 0; i < 8; i++) {
                v[i] = cmd.get(ValueLayout.JAVA_INT, 4 + 4L * i);
            }
            return new Channels(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]);
        }
    }

    /**
     * How many RX queues {@code ifName} has: ETHTOOL_GCHANNELS, or, for a driver without it, the
     * {@code rx-N} entries in sysfs (valid only where /sys belongs to the caller's namespace).
     */
    public static int rxQueues(String ifName) throws LinuxException {
        try {
            int n = channels(ifName).rxQueues();
            if (n > 0) {
                return n;
            }
        } catch (LinuxException e) {
            if (e.errno() != Errno.EOPNOTSUPP) {
                throw e;
            }
        }
        try (var s = Files.list(Path.of("/sys/class/net", ifName, "queues"))) {
            return (int) Math.max(1, s.filter(p -> p.getFileName().toString().startsWith("rx-")).count());
        } catch (IOException e) {
            return 1;
        }
    }

    /** ETHTOOL_GRXFH with sizes 0: the device's RSS indirection table size and key size (ethtool -x). */
    public static int[] rssSizes(String ifName) throws LinuxException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cmd = a.allocate(EthtoolStructs.RXFH_HEADER_LENGTH, 8);
            cmd.set(ValueLayout.JAVA_INT, 0, 0x46); // ETHTOOL_GRXFH
            call(ifName, cmd, a, "ETHTOOL_GRXFH");
            return new int[] {cmd.get(ValueLayout.JAVA_INT, 8), cmd.get(ValueLayout.JAVA_INT, 12)};
        }
    }

    /** ETHTOOL_GDRVINFO: the driver's name (ethtool -i). */
    public static String driver(String ifName) throws LinuxException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cmd = a.allocate(196, 8);
            cmd.set(ValueLayout.JAVA_INT, 0, 0x03);
            call(ifName, cmd, a, "ETHTOOL_GDRVINFO");
            return cmd.asSlice(4, 32).getString(0);
        }
    }

    /** ETHTOOL_GRXFH: the RSS indirection table (ethtool -x); empty when the device has none. */
    public static int[] rssTable(String ifName) throws LinuxException {
        int size = rssSizes(ifName)[0];
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cmd = a.allocate(EthtoolStructs.RXFH_HEADER_LENGTH + 4L * size, 8);
            cmd.set(ValueLayout.JAVA_INT, 0, 0x46);
            cmd.set(ValueLayout.JAVA_INT, 8, size);
            call(ifName, cmd, a, "ETHTOOL_GRXFH");
            int[] t = new int[size];
            for (int i = 0; i < size; i++) {
                t[i] = cmd.get(ValueLayout.JAVA_INT, EthtoolStructs.RXFH_HEADER_LENGTH + 4L * i);
            }
            return t;
        }
    }

    /** ETHTOOL_GRXCLSRLALL then GRXCLSRULE for each: the ntuple rules (ethtool -n), as 168-byte flow specs. */
    public static List<byte[]> ntupleRules(String ifName) throws LinuxException {
        List<byte[]> rules = new ArrayList<>();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment count = a.allocate(EthtoolStructs.RXNFC_LENGTH, 8);
            count.set(ValueLayout.JAVA_INT, 0, 0x2e); // ETHTOOL_GRXCLSRLCNT
            call(ifName, count, a, "ETHTOOL_GRXCLSRLCNT");
            int n = count.get(ValueLayout.JAVA_INT, EthtoolStructs.RXNFC_RSS_CONTEXT);
            MemorySegment all = a.allocate(EthtoolStructs.RXNFC_LENGTH + 4L * n, 8);
            all.set(ValueLayout.JAVA_INT, 0, 0x30); // ETHTOOL_GRXCLSRLALL
            all.set(ValueLayout.JAVA_INT, EthtoolStructs.RXNFC_RSS_CONTEXT, n);
            call(ifName, all, a, "ETHTOOL_GRXCLSRLALL");
            for (int i = 0; i < n; i++) {
                int loc = all.get(ValueLayout.JAVA_INT, 188 + 4L * i);
                MemorySegment one = a.allocate(EthtoolStructs.RXNFC_LENGTH, 8);
                one.set(ValueLayout.JAVA_INT, 0, 0x2f); // ETHTOOL_GRXCLSRULE
                one.set(ValueLayout.JAVA_INT, EthtoolStructs.RXNFC_FS + 160, loc);
                call(ifName, one, a, "ETHTOOL_GRXCLSRULE");
                rules.add(one.asSlice(EthtoolStructs.RXNFC_FS, 168).toArray(ValueLayout.JAVA_BYTE));
            }
        }
        return rules;
    }

    /**
     * Sends one prepared SIOCETHTOOL structure ({@link EthtoolStructs}) and returns it as the
     * kernel left it (an inserted rule's location, say).
     */
    public static byte[] send(String ifName, byte[] structure, String what) throws LinuxException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cmd = a.allocate(structure.length, 8);
            MemorySegment.copy(structure, 0, cmd, ValueLayout.JAVA_BYTE, 0, structure.length);
            call(ifName, cmd, a, what);
            return cmd.toArray(ValueLayout.JAVA_BYTE);
        }
    }

    static void call(String ifName, MemorySegment command, Arena a, String what) throws LinuxException {
        byte[] name = ifName.getBytes(StandardCharsets.US_ASCII);
        if (name.length > 15) {
            throw new UserException("interface name '" + ifName + "' is longer than 15 characters");
        }
        MemorySegment ifr = a.allocate(IFREQ_LENGTH, 8);
        MemorySegment.copy(name, 0, ifr, ValueLayout.JAVA_BYTE, 0, name.length);
        ifr.set(ValueLayout.ADDRESS, IFREQ_DATA, command);
        int fd = Native.socket(AF_INET, SOCK_DGRAM, 0, "AF_INET, for ethtool on " + ifName);
        try {
            Native.ioctl(fd, SIOCETHTOOL, ifr, "ioctl(SIOCETHTOOL " + what + ", " + ifName + ")");
        } finally {
            Native.close(fd);
        }
    }
}
