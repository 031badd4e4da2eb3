package io.netbypass.linux.afxdp;

/** AF_XDP constants and struct layouts (linux/if_xdp.h; ../shared/reference/afxdp-abi.md). */
public final class XdpDescriptor {
    public static final int AF_XDP = 44;
    public static final int SOCK_RAW = 3;
    public static final int SOL_XDP = 283;

    public static final int XDP_MMAP_OFFSETS = 1;
    public static final int XDP_RX_RING = 2;
    public static final int XDP_TX_RING = 3;
    public static final int XDP_UMEM_REG = 4;
    public static final int XDP_UMEM_FILL_RING = 5;
    public static final int XDP_UMEM_COMPLETION_RING = 6;
    public static final int XDP_STATISTICS = 7;
    public static final int XDP_OPTIONS = 8;
    /** Frames one sendto may transmit in copy mode (Linux 6.17+; 32 before, and on refusal). */
    public static final int XDP_MAX_TX_SKB_BUDGET = 9;
    /** XDP_OPTIONS flag: the socket runs zero-copy. */
    public static final int XDP_OPTIONS_ZEROCOPY = 1;
    /** The kernel's XDP_PACKET_HEADROOM: a received frame starts this far into its chunk. */
    public static final int XDP_PACKET_HEADROOM = 256;

    public static final int XDP_SHARED_UMEM = 1;
    public static final int XDP_COPY = 2;
    public static final int XDP_ZEROCOPY = 4;
    public static final int XDP_USE_NEED_WAKEUP = 8;
    /** Multi-buffer: a frame larger than a chunk comes (and goes) as several descriptors. */
    public static final int XDP_USE_SG = 16;
    /** Descriptor option: more descriptors of this frame follow. */
    public static final int XDP_PKT_CONTD = 1;
    public static final int XDP_RING_NEED_WAKEUP = 1;

    public static final long PGOFF_RX_RING = 0;
    public static final long PGOFF_TX_RING = 0x80000000L;
    public static final long PGOFF_FILL_RING = 0x100000000L;
    public static final long PGOFF_COMPLETION_RING = 0x180000000L;

    /** struct sockaddr_xdp (16 bytes). */
    public static final int SOCKADDR_LENGTH = 16;
    public static final int SOCKADDR_FAMILY = 0;
    public static final int SOCKADDR_FLAGS = 2;
    public static final int SOCKADDR_IFINDEX = 4;
    public static final int SOCKADDR_QUEUE_ID = 8;
    public static final int SOCKADDR_SHARED_UMEM_FD = 12;

    /** struct xdp_umem_reg (32 bytes). */
    public static final int UMEM_REG_LENGTH = 32;
    public static final int UMEM_REG_ADDR = 0;
    public static final int UMEM_REG_LEN = 8;
    public static final int UMEM_REG_CHUNK_SIZE = 16;
    public static final int UMEM_REG_HEADROOM = 20;

    /** struct xdp_mmap_offsets (128 bytes): four xdp_ring_offset of producer, consumer, desc, flags. */
    public static final int MMAP_OFFSETS_LENGTH = 128;
    public static final int OFFSETS_RX = 0;
    public static final int OFFSETS_TX = 32;
    public static final int OFFSETS_FILL = 64;
    public static final int OFFSETS_COMPLETION = 96;
    public static final int RING_PRODUCER = 0;
    public static final int RING_CONSUMER = 8;
    public static final int RING_DESC = 16;
    public static final int RING_FLAGS = 24;

    /** struct xdp_desc (16 bytes). */
    public static final int DESC_LENGTH = 16;
    public static final int DESC_ADDR = 0;
    public static final int DESC_LEN = 8;
    public static final int DESC_OPTIONS = 12;

    /** struct xdp_statistics (48 bytes): six u64 counters, in this order. */
    public static final int STATISTICS_LENGTH = 48;
    public static final String[] STATISTICS_NAMES = {"rx_dropped", "rx_invalid_descs", "tx_invalid_descs", "rx_ring_full",
            "rx_fill_ring_empty_descs", "tx_ring_empty_descs"};

    private XdpDescriptor() {
    }
}
