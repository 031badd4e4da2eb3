package io.netbypass.linux;

import java.io.IOException;

/** A failed system call: which call on what, and the errno by name, e.g. {@code bind(AF_XDP, veth1 queue 4): EBUSY (Device or resource busy)}. */
public final class LinuxException extends IOException {
    private final int errno;

    public LinuxException(String call, int errno) {
        super(call + ": " + Errno.describe(errno));
        this.errno = errno;
    }

    public LinuxException(String call, int errno, String detail) {
        super(call + ": " + Errno.describe(errno) + (detail == null || detail.isBlank() ? "" : "\n" + detail));
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }
}
