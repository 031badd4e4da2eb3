package io.netbypass.linux.afpacket;

/**
 * AF_PACKET's user ABI (linux/if_packet.h, linux/if_ether.h, sys/socket.h on x86-64 and
 * arm64): socket options, the TPACKET_V3 block and frame headers, {@code sockaddr_ll},
 * {@code struct mmsghdr} and {@code struct iovec}.
 */
public final class PacketDescriptor {
    public static final int AF_PACKET = 17;
    public static final int SOCK_RAW = 3;
    static final int SOCK_CLOEXEC = 0x80000;
    static final int ETH_P_ALL = 0x0003;
    static final int SOL_PACKET = 263;

    static final int PACKET_RX_RING = 5;
    static final int PACKET_STATISTICS = 6;
    static final int PACKET_VERSION = 10;
    static final int PACKET_FANOUT = 18;
    static final int PACKET_QDISC_BYPASS = 20;
    static final int PACKET_IGNORE_OUTGOING = 23;
    static final int TPACKET_V3 = 2;

    static final int PACKET_FANOUT_HASH = 0;
    static final int PACKET_FANOUT_LB = 1;
    static final int PACKET_FANOUT_CPU = 2;
    static final int PACKET_FANOUT_RND = 4;
    static final int PACKET_FANOUT_QM = 5;

    // struct tpacket_req3
    static final int REQ3_LENGTH = 28;
    static final int REQ3_BLOCK_SIZE = 0;
    static final int REQ3_BLOCK_NR = 4;
    static final int REQ3_FRAME_SIZE = 8;
    static final int REQ3_FRAME_NR = 12;
    static final int REQ3_RETIRE_BLK_TOV = 16;
    static final int REQ3_SIZEOF_PRIV = 20;
    static final int REQ3_FEATURE_REQ_WORD = 24;

    // struct tpacket_block_desc with tpacket_hdr_v1
    static final int BLOCK_STATUS = 8;
    static final int BLOCK_NUM_PKTS = 12;
    static final int BLOCK_OFFSET_TO_FIRST_PKT = 16;

    // struct tpacket3_hdr
    static final int PKT_NEXT_OFFSET = 0;
    static final int PKT_SEC = 4;
    static final int PKT_NSEC = 8;
    static final int PKT_SNAPLEN = 12;
    static final int PKT_LEN = 16;
    static final int PKT_STATUS = 20;
    static final int PKT_MAC = 24;
    static final int PKT_VLAN_TCI = 32;
    static final int PKT_VLAN_TPID = 36;

    static final int TP_STATUS_KERNEL = 0;
    static final int TP_STATUS_USER = 1;
    static final int TP_STATUS_LOSING = 1 << 2;
    static final int TP_STATUS_VLAN_VALID = 1 << 4;
    static final int TP_STATUS_VLAN_TPID_VALID = 1 << 6;

    // struct tpacket_stats_v3 (reading it resets the kernel's counts)
    static final int STATS_LENGTH = 12;
    static final int STATS_PACKETS = 0;
    static final int STATS_DROPS = 4;
    static final int STATS_FREEZE_Q_CNT = 8;

    // struct sockaddr_ll
    static final int SOCKADDR_LL_LENGTH = 20;
    static final int SLL_FAMILY = 0;
    static final int SLL_PROTOCOL = 2;
    static final int SLL_IFINDEX = 4;

    // struct mmsghdr = struct msghdr + unsigned msg_len, and struct iovec
    static final int MMSGHDR_LENGTH = 64;
    static final int MSG_IOV = 16;
    static final int MSG_IOVLEN = 24;
    static final int MSG_LEN = 56;
    static final int IOVEC_LENGTH = 16;
    static final int IOV_BASE = 0;
    static final int IOV_LEN = 8;

    static final int MSG_DONTWAIT = 0x40;

    private PacketDescriptor() {
    }
}
