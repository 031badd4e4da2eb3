package io.netbypass.gen;

import io.netbypass.packet.AddressText;
import io.netbypass.util.UserException;

/**
 * pkt-gen's {@code -s/-d} argument: {@code A[:P][-B[:Q]]}, an IPv4 address range and a port
 * range; {@code A:P-Q} keeps the address and spans ports. Both ends are included.
 */
public record AddressRange(int firstAddress, int lastAddress, int firstPort, int lastPort) {
    public AddressRange {
        if (Integer.compareUnsigned(firstAddress, lastAddress) > 0) {
            throw new UserException("address range ends before it starts");
        }
        if (firstPort < 0 || lastPort > 65535 || firstPort > lastPort) {
            throw new UserException("port range must be within 0..65535 and ascending");
        }
    }

    public static AddressRange single(String address, int port) {
        int a = ipv4(address, address);
        return new AddressRange(a, a, port, port);
    }

    /** Parses pkt-gen's syntax; {@code defaultPort} applies when no port is given. */
    public static AddressRange parse(String text, int defaultPort) {
        String first = text;
        String second = null;
        int dash = text.indexOf('-');
        if (dash >= 0) {
            first = text.substring(0, dash);
            second = text.substring(dash + 1);
        }
        int colon = first.indexOf(':');
        String a = colon < 0 ? first : first.substring(0, colon);
        int p = colon < 0 ? defaultPort : port(text, first.substring(colon + 1));
        int fa = ipv4(text, a);
        int la = fa;
        int lp = p;
        if (second != null) {
            if (second.indexOf('.') < 0) {
                lp = port(text, second);
            } else {
                int c2 = second.indexOf(':');
                la = ipv4(text, c2 < 0 ? second : second.substring(0, c2));
                lp = c2 < 0 ? p : port(text, second.substring(c2 + 1));
            }
        }
        if (Integer.compareUnsigned(fa, la) > 0) {
            throw new UserException("address range '" + text + "' ends before it starts");
        }
        if (p > lp) {
            throw new UserException("port range in '" + text + "' ends before it starts");
        }
        return new AddressRange(fa, la, p, lp);
    }

    private static int ipv4(String text, String address) {
        byte[] b = AddressText.parseIpv4(address);
        if (b == null) {
            throw new UserException("'" + address + "' in '" + text + "' is not an IPv4 address");
        }
        return (b[0] & 0xff) << 24 | (b[1] & 0xff) << 16 | (b[2] & 0xff) << 8 | (b[3] & 0xff);
    }

    private static int port(String text, String port) {
        try {
            int v = Integer.parseInt(port);
            if (v >= 0 && v <= 65535) {
                return v;
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new UserException("port '" + port + "' in '" + text + "' is not a number 0..65535");
    }

    /** Addresses in the range (1 for a single address), as an unsigned count. */
    public long addresses() {
        return Integer.toUnsignedLong(lastAddress) - Integer.toUnsignedLong(firstAddress) + 1;
    }

    public int ports() {
        return lastPort - firstPort + 1;
    }

    @Override
    public String toString() {
        String s = AddressText.ipv4(firstAddress) + ":" + firstPort;
        return firstAddress == lastAddress && firstPort == lastPort ? s
                : s + "-" + AddressText.ipv4(lastAddress) + ":" + lastPort;
    }
}
