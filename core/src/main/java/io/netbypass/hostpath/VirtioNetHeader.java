package io.netbypass.hostpath;

/**
 * {@code struct virtio_net_hdr} (linux/virtio_net.h): the 10 bytes in front of every frame on a
 * TAP opened with IFF_VNET_HDR, saying what the kernel left for "hardware" (a checksum to fill
 * in, a large frame to segment) or what we did (coalesced, checksum already checked).
 */
public final class VirtioNetHeader {
    public static final int LENGTH = 10;
    public static final int FLAGS_OFFSET = 0;
    public static final int GSO_TYPE_OFFSET = 1;
    public static final int HDR_LEN_OFFSET = 2;
    public static final int GSO_SIZE_OFFSET = 4;
    public static final int CSUM_START_OFFSET = 6;
    public static final int CSUM_OFFSET_OFFSET = 8;

    /** flags: the checksum at csum_start + csum_offset still has to be computed over [csum_start, end). */
    public static final int F_NEEDS_CSUM = 1;
    /** flags: the checksum was checked (receive direction). */
    public static final int F_DATA_VALID = 2;

    public static final int GSO_NONE = 0;
    public static final int GSO_TCPV4 = 1;
    public static final int GSO_UDP = 3;
    public static final int GSO_TCPV6 = 4;
    public static final int GSO_UDP_L4 = 5;
    /** OR-ed into a TCP GSO type: the first segment carries CWR. */
    public static final int GSO_ECN = 0x80;

    private VirtioNetHeader() {
    }
}
