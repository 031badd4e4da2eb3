package io.netbypass.packet;

/** IP protocol / IPv6 next-header numbers (IANA) that the packet layer recognises. */
public final class IpProtocols {
    public static final int HOPOPTS = 0;
    public static final int ICMP = 1;
    public static final int IPIP = 4;
    public static final int TCP = 6;
    public static final int UDP = 17;
    public static final int IPV6 = 41;
    public static final int ROUTING = 43;
    public static final int FRAGMENT = 44;
    public static final int GRE = 47;
    public static final int ESP = 50;
    public static final int AH = 51;
    public static final int SCTP = 132;
    public static final int ICMPV6 = 58;
    public static final int NONE = 59;
    public static final int DSTOPTS = 60;
    public static final int MOBILITY = 135;
    public static final int UDPLITE = 136;
    public static final int HIP = 139;
    public static final int SHIM6 = 140;

    private IpProtocols() {
    }

    /** IPv6 extension headers that share the generic (next header, length in 8-octet units) layout. */
    public static boolean isGenericIpv6Extension(int nextHeader) {
        return nextHeader == HOPOPTS || nextHeader == ROUTING || nextHeader == DSTOPTS
                || nextHeader == MOBILITY || nextHeader == HIP || nextHeader == SHIM6;
    }
}
