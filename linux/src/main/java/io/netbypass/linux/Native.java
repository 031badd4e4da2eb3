package io.netbypass.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The libc calls netbypass makes, bound with FFM. Each call that can fail captures errno and
 * throws {@link LinuxException} naming the call and its object; the raw handles stay private.
 * The data path uses only calls that do not allocate (the errno buffer is per thread).
 */
public final class Native {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final MemoryLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option ERRNO_OPTION = Linker.Option.captureCallState("errno");

    public static final int SYS_BPF = 321;
    public static final int CLONE_NEWNET = 0x40000000;
    public static final int O_RDONLY = 0;
    public static final int O_CLOEXEC = 0x80000;

    private static final MethodHandle SOCKET = errno("socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle CLOSE = errno("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle SETSOCKOPT = errno("setsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle GETSOCKOPT = errno("getsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle BIND = errno("bind", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle MMAP = errno("mmap",
            FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
    private static final MethodHandle MUNMAP = errno("munmap", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle POLL = errno("poll", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle SENDTO = errno("sendto",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle RECVFROM = errno("recvfrom",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle READ = errno("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle WRITEV = errno("writev", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle SENDMMSG = errno("sendmmsg",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
    private static final MethodHandle IF_NAMETOINDEX = errno("if_nametoindex", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle IOCTL = LINKER.downcallHandle(LIBC.find("ioctl").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), ERRNO_OPTION, Linker.Option.firstVariadicArg(2));
    private static final MethodHandle SETNS = errno("setns", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle OPEN = LINKER.downcallHandle(LIBC.find("open").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), ERRNO_OPTION, Linker.Option.firstVariadicArg(2));
    private static final MethodHandle SYSCALL_BPF = LINKER.downcallHandle(LIBC.find("syscall").orElseThrow(),
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT), ERRNO_OPTION,
            Linker.Option.firstVariadicArg(1));
    private static final MethodHandle SCHED_SETAFFINITY = errno("sched_setaffinity",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS));
    private static final MethodHandle SCHED_SETSCHEDULER = errno("sched_setscheduler",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle SCHED_GETAFFINITY = errno("sched_getaffinity",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS));
    private static final MethodHandle SIGACTION = errno("sigaction", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle STRERROR = LINKER.downcallHandle(LIBC.find("strerror").orElseThrow(),
            FunctionDescriptor.of(ADDRESS, JAVA_INT));

    /** Per-thread errno capture buffer: calls on the data path do not allocate. */
    private static final ThreadLocal<MemorySegment> STATE = ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CALL_STATE));

    private Native() {
    }

    private static MethodHandle errno(String name, FunctionDescriptor d) {
        return LINKER.downcallHandle(LIBC.find(name).orElseThrow(() -> new UnsatisfiedLinkError(name)), d, ERRNO_OPTION);
    }

    private static int lastErrno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }

    /** strerror(3): the C library's text for an errno. */
    public static String strerror(int errno) {
        try {
            MemorySegment s = (MemorySegment) STRERROR.invokeExact(errno);
            return s.reinterpret(256).getString(0);
        } catch (Throwable t) {
            return "errno " + errno;
        }
    }

    public static int socket(int domain, int type, int protocol, String what) throws LinuxException {
        MemorySegment st = STATE.get();
        int fd;
        try {
            fd = (int) SOCKET.invokeExact(st, domain, type, protocol);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (fd < 0) {
            throw new LinuxException("socket(" + what + ")", lastErrno(st));
        }
        return fd;
    }

    /** close(2); errors are ignored (the descriptor is gone either way). */
    public static void close(int fd) {
        if (fd < 0) {
            return;
        }
        try {
            int ignored = (int) CLOSE.invokeExact(STATE.get(), fd);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static void setsockopt(int fd, int level, int option, MemorySegment value, String what) throws LinuxException {
        MemorySegment st = STATE.get();
        int rc;
        try {
            rc = (int) SETSOCKOPT.invokeExact(st, fd, level, option, value, (int) value.byteSize());
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (rc != 0) {
            throw new LinuxException("setsockopt(" + what + ")", lastErrno(st));
        }
    }

    /** getsockopt(2) into {@code value}; returns the length the kernel wrote. */
    public static int getsockopt(int fd, int level, int option, MemorySegment value, String what) throws LinuxException {
        MemorySegment st = STATE.get();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment len = a.allocate(JAVA_INT);
            len.set(JAVA_INT, 0, (int) value.byteSize());
            int rc = (int) GETSOCKOPT.invokeExact(st, fd, level, option, value, len);
            if (rc != 0) {
                throw new LinuxException("getsockopt(" + what + ")", lastErrno(st));
            }
            return len.get(JAVA_INT, 0);
        } catch (LinuxException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static void bind(int fd, MemorySegment address, String what) throws LinuxException {
        MemorySegment st = STATE.get();
        int rc;
        try {
            rc = (int) BIND.invokeExact(st, fd, address, (int) address.byteSize());
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (rc != 0) {
            throw new LinuxException("bind(" + what + ")", lastErrno(st));
        }
    }

    public static final int PROT_READ = 1;
    public static final int PROT_WRITE = 2;
    public static final int MAP_SHARED = 1;
    public static final int MAP_PRIVATE = 2;
    public static final int MAP_ANONYMOUS = 0x20;
    public static final int MAP_POPULATE = 0x8000;

    /** mmap(2); the segment has the mapping's length (unmap it with {@link #munmap}). */
    public static MemorySegment mmap(long length, int prot, int flags, int fd, long offset, String what) throws LinuxException {
        MemorySegment st = STATE.get();
        MemorySegment p;
        try {
            p = (MemorySegment) MMAP.invokeExact(st, MemorySegment.NULL, length, prot, flags, fd, offset);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (p.address() == -1L) {
            throw new LinuxException("mmap(" + what + ")", lastErrno(st));
        }
        return p.reinterpret(length);
    }

    public static void munmap(MemorySegment mapping) {
        try {
            int ignored = (int) MUNMAP.invokeExact(STATE.get(), mapping, mapping.byteSize());
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** poll(2) on {@code fds} (struct pollfd array); returns ready descriptors, or -errno. */
    public static int poll(MemorySegment fds, int count, int timeoutMillis) {
        MemorySegment st = STATE.get();
        try {
            int rc = (int) POLL.invokeExact(st, fds, (long) count, timeoutMillis);
            return rc < 0 ? -lastErrno(st) : rc;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** sendto(fd, NULL, 0, flags, NULL, 0): the AF_XDP TX kick. Returns 0 or -errno. */
    public static int kick(int fd, int flags) {
        MemorySegment st = STATE.get();
        try {
            long rc = (long) SENDTO.invokeExact(st, fd, MemorySegment.NULL, 0L, flags, MemorySegment.NULL, 0);
            return rc < 0 ? -lastErrno(st) : 0;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** send(2) of {@code buffer[0, length)}: bytes sent, or -errno. */
    public static long send(int fd, MemorySegment buffer, long length, int flags) {
        MemorySegment st = STATE.get();
        try {
            long rc = (long) SENDTO.invokeExact(st, fd, buffer, length, flags, MemorySegment.NULL, 0);
            return rc < 0 ? -lastErrno(st) : rc;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** recv(2) into {@code buffer[0, length)}: bytes received, or -errno. */
    public static long recv(int fd, MemorySegment buffer, long length, int flags) {
        MemorySegment st = STATE.get();
        try {
            long rc = (long) RECVFROM.invokeExact(st, fd, buffer, length, flags, MemorySegment.NULL, MemorySegment.NULL);
            return rc < 0 ? -lastErrno(st) : rc;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** recvfrom(fd, NULL, 0, flags, NULL, NULL): the AF_XDP fill-ring wakeup. Returns 0 or -errno. */
    public static int wake(int fd, int flags) {
        MemorySegment st = STATE.get();
        try {
            long rc = (long) RECVFROM.invokeExact(st, fd, MemorySegment.NULL, 0L, flags, MemorySegment.NULL, MemorySegment.NULL);
            return rc < 0 ? -lastErrno(st) : 0;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static final int O_RDWR = 2;
    public static final int O_NONBLOCK = 0x800;

    /** open(2); throws naming {@code what}. */
    public static int open(String path, int flags, String what) throws LinuxException {
        MemorySegment st = STATE.get();
        try (Arena a = Arena.ofConfined()) {
            int fd = (int) OPEN.invokeExact(st, a.allocateFrom(path), flags);
            if (fd < 0) {
                throw new LinuxException("open(" + what + ")", lastErrno(st));
            }
            return fd;
        } catch (LinuxException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** read(2) into {@code buffer[0, length)}: bytes read, or -errno. */
    public static long read(int fd, MemorySegment buffer, long length) {
        MemorySegment st = STATE.get();
        try {
            long rc = (long) READ.invokeExact(st, fd, buffer, length);
            return rc < 0 ? -lastErrno(st) : rc;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** writev(2) of {@code count} {@code struct iovec} at {@code vectors}: bytes written, or -errno. */
    public static long writev(int fd, MemorySegment vectors, int count) {
        MemorySegment st = STATE.get();
        try {
            long rc = (long) WRITEV.invokeExact(st, fd, vectors, count);
            return rc < 0 ? -lastErrno(st) : rc;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** sendmmsg(2) of {@code count} {@code struct mmsghdr} at {@code messages}: how many went, or -errno. */
    public static int sendmmsg(int fd, MemorySegment messages, int count, int flags) {
        MemorySegment st = STATE.get();
        try {
            int rc = (int) SENDMMSG.invokeExact(st, fd, messages, count, flags);
            return rc < 0 ? -lastErrno(st) : rc;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** sched_setscheduler(0, policy, {priority}) for the calling thread: 0 or -errno. */
    public static int setScheduler(int policy, int priority) {
        MemorySegment st = STATE.get();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment param = a.allocate(JAVA_INT);
            param.set(JAVA_INT, 0, priority);
            int rc = (int) SCHED_SETSCHEDULER.invokeExact(st, 0, policy, param);
            return rc < 0 ? -lastErrno(st) : 0;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** ioctl(fd, request, arg); throws naming {@code what}. */
    public static int ioctl(int fd, long request, MemorySegment arg, String what) throws LinuxException {
        MemorySegment st = STATE.get();
        int rc;
        try {
            rc = (int) IOCTL.invokeExact(st, fd, request, arg);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (rc < 0) {
            throw new LinuxException(what, lastErrno(st));
        }
        return rc;
    }

    /** if_nametoindex(3): the interface's index in the calling thread's network namespace. */
    public static int ifIndex(String name) throws LinuxException {
        MemorySegment st = STATE.get();
        try (Arena a = Arena.ofConfined()) {
            int index = (int) IF_NAMETOINDEX.invokeExact(st, a.allocateFrom(name));
            if (index == 0) {
                throw new LinuxException("if_nametoindex(" + name + ")", lastErrno(st));
            }
            return index;
        } catch (LinuxException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Moves the calling thread into the network namespace {@code name} (ip netns). */
    public static void enterNetworkNamespace(String name) throws LinuxException {
        String path = "/var/run/netns/" + name;
        MemorySegment st = STATE.get();
        try (Arena a = Arena.ofConfined()) {
            int fd = (int) OPEN.invokeExact(st, a.allocateFrom(path), O_RDONLY | O_CLOEXEC);
            if (fd < 0) {
                throw new LinuxException("open(" + path + ")", lastErrno(st));
            }
            try {
                int rc = (int) SETNS.invokeExact(st, fd, CLONE_NEWNET);
                if (rc != 0) {
                    throw new LinuxException("setns(" + name + ", CLONE_NEWNET)", lastErrno(st));
                }
            } finally {
                close(fd);
            }
        } catch (LinuxException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** struct sigaction on x86-64 glibc: handler, 128-byte mask, flags, restorer. */
    private static final int SIGACTION_SIZE = 152;
    private static final long SIG_DFL = 0;
    private static final long SIG_IGN = 1;

    /**
     * Gives signal {@code signal} its default disposition back when it arrived ignored (SIG_IGN
     * is inherited through exec: a shell starts background jobs with SIGINT and SIGQUIT ignored).
     * The JVM installs no handler for a signal it finds ignored, so without this a Java handler
     * for it would never run. Returns whether it was ignored.
     */
    public static boolean unignoreSignal(int signal) {
        MemorySegment st = STATE.get();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment old = a.allocate(SIGACTION_SIZE, 8);
            int rc = (int) SIGACTION.invokeExact(st, signal, MemorySegment.NULL, old);
            if (rc != 0 || old.get(JAVA_LONG, 0) != SIG_IGN) {
                return false;
            }
            MemorySegment act = a.allocate(SIGACTION_SIZE, 8); // zeroed: SIG_DFL, empty mask, no flags
            act.set(JAVA_LONG, 0, SIG_DFL);
            rc = (int) SIGACTION.invokeExact(st, signal, act, MemorySegment.NULL);
            return rc == 0;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** sched_setaffinity(0, set): the calling thread's CPUs. Returns 0 or -errno. */
    public static int setAffinity(MemorySegment cpuSet) {
        MemorySegment st = STATE.get();
        try {
            int rc = (int) SCHED_SETAFFINITY.invokeExact(st, 0, cpuSet.byteSize(), cpuSet);
            return rc != 0 ? -lastErrno(st) : 0;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** sched_getaffinity(0, set) into {@code cpuSet}. Returns 0 or -errno. */
    public static int getAffinity(MemorySegment cpuSet) {
        MemorySegment st = STATE.get();
        try {
            int rc = (int) SCHED_GETAFFINITY.invokeExact(st, 0, cpuSet.byteSize(), cpuSet);
            return rc < 0 ? -lastErrno(st) : 0;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** bpf(2): returns the result (a descriptor for most commands), or throws naming {@code what}. */
    public static int bpf(int cmd, MemorySegment attr, String what) throws LinuxException {
        MemorySegment st = STATE.get();
        long rc;
        try {
            rc = (long) SYSCALL_BPF.invokeExact(st, (long) SYS_BPF, cmd, attr, (int) attr.byteSize());
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (rc < 0) {
            throw new LinuxException(what, lastErrno(st));
        }
        return (int) rc;
    }

    /** bpf(2) without throwing: the result or -errno (for the verifier-log path). */
    public static int bpfRaw(int cmd, MemorySegment attr) {
        MemorySegment st = STATE.get();
        try {
            long rc = (long) SYSCALL_BPF.invokeExact(st, (long) SYS_BPF, cmd, attr, (int) attr.byteSize());
            return rc < 0 ? -lastErrno(st) : (int) rc;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
}
