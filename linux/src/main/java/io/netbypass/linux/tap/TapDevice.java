package io.netbypass.linux.tap;

import io.netbypass.hostpath.VirtioNetHeader;
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

/**
 * A TAP interface through {@code /dev/net/tun} (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR): a frame we
 * write enters the kernel's stack as if the interface had received it; a frame the kernel sends
 * out of the interface is one we read. Every frame carries a {@code virtio_net_hdr} in front.
 * The interface exists while a descriptor (a queue) is open (not persistent), so it goes away
 * with the process. Set-up (up, MTU, MAC, sysctls) is done here, in the calling thread's namespace.
 */
public final class TapDevice implements AutoCloseable {
    static final long TUNSETIFF = 0x400454caL;
    static final long TUNSETOFFLOAD = 0x400454d0L;
    static final long TUNSETVNETHDRSZ = 0x400454d8L;
    static final int IFF_TAP = 0x0002;
    static final int IFF_NO_PI = 0x1000;
    static final int IFF_VNET_HDR = 0x4000;
    static final int IFF_MULTI_QUEUE = 0x0100;
    public static final int TUN_F_CSUM = 0x01;
    public static final int TUN_F_TSO4 = 0x02;
    public static final int TUN_F_TSO6 = 0x04;
    public static final int TUN_F_TSO_ECN = 0x08;
    public static final int TUN_F_USO4 = 0x20;
    public static final int TUN_F_USO6 = 0x40;

    private static final long SIOCGIFFLAGS = 0x8913, SIOCSIFFLAGS = 0x8914, SIOCGIFMTU = 0x8921, SIOCSIFMTU = 0x8922;
    private static final long SIOCSIFHWADDR = 0x8924, SIOCGIFHWADDR = 0x8927;
    private static final int IFREQ_LENGTH = 40;
    private static final int IFF_UP = 0x1;
    private static final int AF_INET = 2, SOCK_DGRAM = 2, ARPHRD_ETHER = 1;

    private final String name;
    private final int fd;

    private TapDevice(String name, int fd) {
        this.name = name;
        this.fd = fd;
    }

    /**
     * Creates TAP {@code name}, or adds a queue to it when it exists (IFF_MULTI_QUEUE: one queue
     * per worker, each its own descriptor); non-blocking, with virtio-net headers.
     */
    public static TapDevice open(String name) throws LinuxException {
        if (name.isEmpty() || name.length() > 15) {
            throw new UserException("an interface name has 1..15 characters: '" + name + "'");
        }
        int fd = Native.open("/dev/net/tun", Native.O_RDWR | Native.O_NONBLOCK | Native.O_CLOEXEC, "/dev/net/tun");
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ifr = ifreq(a, name);
            ifr.set(ValueLayout.JAVA_SHORT, 16, (short) (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE));
            Native.ioctl(fd, TUNSETIFF, ifr, "ioctl(TUNSETIFF, " + name + ")");
            MemorySegment size = a.allocate(ValueLayout.JAVA_INT);
            size.set(ValueLayout.JAVA_INT, 0, VirtioNetHeader.LENGTH);
            Native.ioctl(fd, TUNSETVNETHDRSZ, size, "ioctl(TUNSETVNETHDRSZ, " + name + ")");
            return new TapDevice(name, fd);
        } catch (LinuxException | RuntimeException e) {
            Native.close(fd);
            throw e;
        }
    }

    public String name() {
        return name;
    }

    public int fd() {
        return fd;
    }

    /** TUNSETOFFLOAD: what the kernel may hand us unfinished (TUN_F_*). */
    public void offloads(int flags) throws LinuxException {
        // The argument is the value itself, not a pointer to it.
        Native.ioctl(fd, TUNSETOFFLOAD, MemorySegment.ofAddress(Integer.toUnsignedLong(flags)), "ioctl(TUNSETOFFLOAD, " + name + ")");
    }

    /** Reads one frame (virtio-net header first) into {@code buffer}: its length, or -errno (EAGAIN: none). */
    public long read(MemorySegment buffer, long length) {
        return Native.read(fd, buffer, length);
    }

    /** Writes one frame gathered from {@code count} iovecs (the virtio-net header first): bytes written, or -errno. */
    public long write(MemorySegment vectors, int count) {
        return Native.writev(fd, vectors, count);
    }

    /** Sets the interface's MAC, MTU, brings it up; names the failing step in the error. */
    public void configure(byte[] mac, int mtu) throws LinuxException {
        int s = Native.socket(AF_INET, SOCK_DGRAM | Native.O_CLOEXEC, 0, "AF_INET for interface set-up");
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ifr = ifreq(a, name);
            if (mac != null) {
                ifr.set(ValueLayout.JAVA_SHORT, 16, (short) ARPHRD_ETHER);
                MemorySegment.copy(mac, 0, ifr, ValueLayout.JAVA_BYTE, 18, 6);
                Native.ioctl(s, SIOCSIFHWADDR, ifr, "ioctl(SIOCSIFHWADDR, " + name + ")");
            }
            if (mtu > 0) {
                ifr = ifreq(a, name);
                ifr.set(ValueLayout.JAVA_INT, 16, mtu);
                Native.ioctl(s, SIOCSIFMTU, ifr, "ioctl(SIOCSIFMTU " + mtu + ", " + name + ")");
            }
            ifr = ifreq(a, name);
            Native.ioctl(s, SIOCGIFFLAGS, ifr, "ioctl(SIOCGIFFLAGS, " + name + ")");
            ifr.set(ValueLayout.JAVA_SHORT, 16, (short) (ifr.get(ValueLayout.JAVA_SHORT, 16) | IFF_UP));
            Native.ioctl(s, SIOCSIFFLAGS, ifr, "ioctl(SIOCSIFFLAGS up, " + name + ")");
        } finally {
            Native.close(s);
        }
    }

    /** Another interface's MAC (SIOCGIFHWADDR) and MTU, in the calling thread's namespace. */
    public static byte[] macOf(String ifName) throws LinuxException {
        int s = Native.socket(AF_INET, SOCK_DGRAM | Native.O_CLOEXEC, 0, "AF_INET for interface queries");
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ifr = ifreq(a, ifName);
            Native.ioctl(s, SIOCGIFHWADDR, ifr, "ioctl(SIOCGIFHWADDR, " + ifName + ")");
            byte[] mac = new byte[6];
            MemorySegment.copy(ifr, ValueLayout.JAVA_BYTE, 18, mac, 0, 6);
            return mac;
        } finally {
            Native.close(s);
        }
    }

    public static int mtuOf(String ifName) throws LinuxException {
        int s = Native.socket(AF_INET, SOCK_DGRAM | Native.O_CLOEXEC, 0, "AF_INET for interface queries");
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ifr = ifreq(a, ifName);
            Native.ioctl(s, SIOCGIFMTU, ifr, "ioctl(SIOCGIFMTU, " + ifName + ")");
            return ifr.get(ValueLayout.JAVA_INT, 16);
        } finally {
            Native.close(s);
        }
    }

    /**
     * Writes {@code /proc/sys/net/VALUE_PATH} for this interface, e.g. {@code ipv4/conf/%s/rp_filter}.
     * /proc/sys/net follows the namespace of the process that opened it (a thread that entered
     * another namespace opens it there), so this applies where the interface lives.
     */
    public void sysctl(String path, String value) throws LinuxException {
        Path p = Path.of("/proc/sys/net", String.format(path, name));
        try {
            Files.writeString(p, value, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new LinuxException("write " + p + " = " + value + " (" + e.getMessage() + ")", Errno.EINVAL);
        }
    }

    private static MemorySegment ifreq(Arena a, String name) {
        MemorySegment ifr = a.allocate(IFREQ_LENGTH, 8);
        byte[] b = name.getBytes(StandardCharsets.US_ASCII);
        MemorySegment.copy(b, 0, ifr, ValueLayout.JAVA_BYTE, 0, Math.min(b.length, 15));
        return ifr;
    }

    /** Closes the descriptor: a non-persistent TAP interface disappears with it. */
    @Override
    public void close() {
        Native.close(fd);
    }
}
