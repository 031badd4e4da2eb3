package io.netbypass.packet;

/** tcpdump.org LINKTYPE_* values for the link layers the packet layer reads. */
public final class LinkType {
    /** BSD loopback: 4-byte address family in the capturing host's byte order. */
    public static final int NULL = 0;
    public static final int ETHERNET = 1;
    /** Raw IP; 12 and 14 are the DLT_RAW values some systems wrote into pcap files. */
    public static final int RAW = 101;
    public static final int RAW_DLT12 = 12;
    public static final int RAW_DLT14 = 14;
    /** OpenBSD loopback: 4-byte address family in network byte order. */
    public static final int LOOP = 108;
    public static final int LINUX_SLL = 113;
    public static final int IPV4 = 228;
    public static final int IPV6 = 229;
    public static final int LINUX_SLL2 = 276;

    private LinkType() {
    }

    public static boolean isRawIp(int linkType) {
        return linkType == RAW || linkType == RAW_DLT12 || linkType == RAW_DLT14
                || linkType == IPV4 || linkType == IPV6;
    }

    public static boolean isSupported(int linkType) {
        return linkType == NULL || linkType == ETHERNET || linkType == LOOP || linkType == LINUX_SLL
                || linkType == LINUX_SLL2 || isRawIp(linkType);
    }

    public static String name(int linkType) {
        return switch (linkType) {
            case NULL -> "NULL";
            case ETHERNET -> "EN10MB";
            case RAW, RAW_DLT12, RAW_DLT14 -> "RAW";
            case LOOP -> "LOOP";
            case LINUX_SLL -> "LINUX_SLL";
            case LINUX_SLL2 -> "LINUX_SLL2";
            case IPV4 -> "IPV4";
            case IPV6 -> "IPV6";
            default -> "LINKTYPE_" + linkType;
        };
    }
}
