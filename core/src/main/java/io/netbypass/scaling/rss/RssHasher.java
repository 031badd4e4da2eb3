package io.netbypass.scaling.rss;

import java.lang.foreign.MemorySegment;

import io.netbypass.packet.Bytes;
import io.netbypass.packet.IpProtocols;
import io.netbypass.packet.Ipv4Descriptor;
import io.netbypass.packet.Ipv6Descriptor;
import io.netbypass.packet.ParsedPacket;
import io.netbypass.util.UserException;

/**
 * The NIC's receive hash: Toeplitz over the fields that {@code ethtool -N dev rx-flow-hash}
 * selects, after the input transform. IPv4/IPv6 TCP, UDP and SCTP hash addresses and ports
 * (when enabled for that type and the packet is not a fragment); other IP traffic hashes the
 * addresses only; non-IP frames hash to 0, which NICs deliver to queue 0 via indir[0].
 * Zero allocation per packet.
 */
public final class RssHasher {
    private final Toeplitz toeplitz;
    private final RssTransform transform;
    private final boolean tcpPorts;
    private final boolean udpPorts;
    private final boolean sctpPorts;

    /** Ports for TCP, UDP and SCTP, as Linux's own drivers (mlx5, ice) do by default. */
    public RssHasher(RssKey key, RssTransform transform) {
        this(key, transform, true, true, true);
    }

    public RssHasher(RssKey key, RssTransform transform, boolean tcpPorts, boolean udpPorts, boolean sctpPorts) {
        if (key.maxInputLength() < Toeplitz.IPV6_L4_LENGTH) {
            throw new UserException("an RSS key must be at least " + (Toeplitz.IPV6_L4_LENGTH + 4)
                    + " bytes to hash IPv6 4-tuples, not " + key.length());
        }
        this.toeplitz = new Toeplitz(key);
        this.transform = transform;
        this.tcpPorts = tcpPorts;
        this.udpPorts = udpPorts;
        this.sctpPorts = sctpPorts;
    }

    public RssKey key() {
        return toeplitz.key();
    }

    public RssTransform transform() {
        return transform;
    }

    public Toeplitz toeplitz() {
        return toeplitz;
    }

    /** Hash of a parsed frame (see class comment); 0 when it carries no IP header. */
    public int hash(ParsedPacket p) {
        MemorySegment s = p.segment();
        long ip = p.base() + p.l3Offset();
        boolean ports = p.sourcePort() != ParsedPacket.NONE && !p.isFragment() && portsFor(p.ipProtocol());
        int sport = p.sourcePort();
        int dport = p.destinationPort();
        if (p.ipVersion() == 4) {
            int src = p.ipv4Source();
            int dst = p.ipv4Destination();
            return ports ? hashIpv4(src, dst, sport, dport) : hashIpv4(src, dst);
        }
        if (p.ipVersion() == 6) {
            long sh = Bytes.i64(s, ip + Ipv6Descriptor.SOURCE_OFFSET);
            long sl = Bytes.i64(s, ip + Ipv6Descriptor.SOURCE_OFFSET + 8);
            long dh = Bytes.i64(s, ip + Ipv6Descriptor.DESTINATION_OFFSET);
            long dl = Bytes.i64(s, ip + Ipv6Descriptor.DESTINATION_OFFSET + 8);
            return ports ? hashIpv6(sh, sl, dh, dl, sport, dport) : hashIpv6(sh, sl, dh, dl);
        }
        return 0;
    }

    private boolean portsFor(int protocol) {
        return switch (protocol) {
            case IpProtocols.TCP -> tcpPorts;
            case IpProtocols.UDP -> udpPorts;
            case IpProtocols.SCTP -> sctpPorts;
            default -> false;
        };
    }

    public int hashIpv4(int src, int dst) {
        return switch (transform) {
            case NONE -> toeplitz.hashIpv4(src, dst);
            case SYMMETRIC_XOR -> toeplitz.hashIpv4(src ^ dst, src ^ dst);
            case SYMMETRIC_OR_XOR -> toeplitz.hashIpv4(src | dst, src ^ dst);
        };
    }

    public int hashIpv4(int src, int dst, int sport, int dport) {
        return switch (transform) {
            case NONE -> toeplitz.hashIpv4(src, dst, sport, dport);
            case SYMMETRIC_XOR -> toeplitz.hashIpv4(src ^ dst, src ^ dst, sport ^ dport, sport ^ dport);
            case SYMMETRIC_OR_XOR -> toeplitz.hashIpv4(src | dst, src ^ dst, sport | dport, sport ^ dport);
        };
    }

    public int hashIpv6(long sh, long sl, long dh, long dl) {
        return switch (transform) {
            case NONE -> toeplitz.hashIpv6(sh, sl, dh, dl);
            case SYMMETRIC_XOR -> toeplitz.hashIpv6(sh ^ dh, sl ^ dl, sh ^ dh, sl ^ dl);
            case SYMMETRIC_OR_XOR -> toeplitz.hashIpv6(sh | dh, sl | dl, sh ^ dh, sl ^ dl);
        };
    }

    public int hashIpv6(long sh, long sl, long dh, long dl, int sport, int dport) {
        return switch (transform) {
            case NONE -> toeplitz.hashIpv6(sh, sl, dh, dl, sport, dport);
            case SYMMETRIC_XOR -> toeplitz.hashIpv6(sh ^ dh, sl ^ dl, sh ^ dh, sl ^ dl, sport ^ dport, sport ^ dport);
            case SYMMETRIC_OR_XOR -> toeplitz.hashIpv6(sh | dh, sl | dl, sh ^ dh, sl ^ dl, sport | dport, sport ^ dport);
        };
    }
}
