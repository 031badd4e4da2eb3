package io.netbypass.packet;

/** ICMP and ICMPv6 header layout (RFC 792, RFC 4443): type, code, checksum, then 4 bytes of rest-of-header. */
public final class IcmpDescriptor {
    public static final int TYPE_OFFSET = 0;
    public static final int CODE_OFFSET = 1;
    public static final int CHECKSUM_OFFSET = 2;
    public static final int HEADER_LENGTH = 8;

    public static final int V4_ECHO_REPLY = 0;
    public static final int V4_DEST_UNREACHABLE = 3;
    public static final int V4_SOURCE_QUENCH = 4;
    public static final int V4_REDIRECT = 5;
    public static final int V4_ECHO_REQUEST = 8;
    public static final int V4_TIME_EXCEEDED = 11;
    public static final int V4_PARAMETER_PROBLEM = 12;

    public static final int V6_DEST_UNREACHABLE = 1;
    public static final int V6_PACKET_TOO_BIG = 2;
    public static final int V6_TIME_EXCEEDED = 3;
    public static final int V6_PARAMETER_PROBLEM = 4;

    private IcmpDescriptor() {
    }

    /** ICMPv4 error messages quote the offending datagram's IP header after the 8-byte header. */
    public static boolean isV4Error(int type) {
        return type == V4_DEST_UNREACHABLE || type == V4_SOURCE_QUENCH || type == V4_REDIRECT
                || type == V4_TIME_EXCEEDED || type == V4_PARAMETER_PROBLEM;
    }

    public static boolean isV6Error(int type) {
        return type >= V6_DEST_UNREACHABLE && type <= V6_PARAMETER_PROBLEM;
    }
}
