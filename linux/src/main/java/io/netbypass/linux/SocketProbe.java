package io.netbypass.linux;

/**
 * Whether this process can open a kind of socket at all: a backend's {@code isAvailable()}
 * opens and closes one, once, and remembers why not, in words an operator can act on.
 */
public final class SocketProbe {
    private final int domain;
    private final int type;
    private final String family;
    private final String kernelOption;
    private final String capabilities;
    private volatile String cause;

    /** E.g. {@code new SocketProbe(44, 3, "AF_XDP", "CONFIG_XDP_SOCKETS", "CAP_NET_RAW, CAP_NET_ADMIN, CAP_BPF")}. */
    public SocketProbe(int domain, int type, String family, String kernelOption, String capabilities) {
        this.domain = domain;
        this.type = type;
        this.family = family;
        this.kernelOption = kernelOption;
        this.capabilities = capabilities;
    }

    /** Null when a socket opens, else one line saying why it does not. */
    public String unavailable() {
        String c = cause;
        if (c == null) {
            c = probe();
            cause = c;
        }
        return c.isEmpty() ? null : c;
    }

    private String probe() {
        if (!System.getProperty("os.name", "").equals("Linux")) {
            return family + " is Linux only";
        }
        try {
            Native.close(Native.socket(domain, type, 0, family));
            return "";
        } catch (LinuxException e) {
            return switch (e.errno()) {
                case Errno.EAFNOSUPPORT -> "this kernel has no " + family + " sockets (" + kernelOption + ")";
                case Errno.EPERM, Errno.EACCES -> family + " needs root (" + capabilities + "): " + e.getMessage();
                default -> e.getMessage();
            };
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return "no C library to call: " + e.getMessage();
        }
    }
}
