package io.netbypass.port;

import io.netbypass.util.UserException;
import java.util.EnumSet;
import java.util.Set;

/**
 * A port name in netmap's syntax behind a backend prefix, e.g. {@code vnic:eth3-4/R}: which
 * device, which of its rings (all, one pair, host rings, both), which direction, flags and ring
 * configuration. Parsing is strict: a bad name is refused with one line naming the wrong part.
 *
 * <pre>
 *   BACKEND:IFNAME[-N | ~N | ^ | ^N | * | {PIPE | }PIPE][/FLAGS][@conf:KEY=VALUE,...]
 *   pcap:FILE          (a capture file; the rest of the name is the path)
 * </pre>
 */
public record PortName(String backend, String device, Register register, int ring, Set<Flag> flags, PortConfig config) {
    /** Backends that can open ports; {@code netmap} is accepted as an alias of the default. */
    public static final Set<String> BACKENDS = Set.of("vnic", "xdp", "afpacket", "tap", "pcap");
    /** Linux's IFNAMSIZ - 1. */
    public static final int MAX_DEVICE_LENGTH = 15;

    /** Which rings the port takes (netmap's NR_REG_* modes). */
    public enum Register {
        /** All hardware ring pairs (NR_REG_ALL_NIC): the default. */
        ALL_NIC,
        /** One hardware ring pair, {@code -N} (NR_REG_ONE_NIC). */
        ONE_NIC,
        /** The host-stack ring pair(s), {@code ^} (NR_REG_SW). */
        SW,
        /** One host ring pair, {@code ^N}. */
        ONE_SW,
        /** Hardware and host rings, {@code *} (NR_REG_NIC_SW). */
        NIC_SW,
        /** Master end of pipe N, <code>{N</code>. */
        PIPE_MASTER,
        /** Slave end of pipe N, <code>}N</code>. */
        PIPE_SLAVE
    }

    /** Suffix flags after {@code /}. */
    public enum Flag {
        /** {@code R}: RX rings only; TX and every other RX ring stay with the kernel (single RX queue mode). */
        RX_ONLY('R'),
        /** {@code T}: TX rings only. */
        TX_ONLY('T'),
        /** {@code x}: exclusive access to the rings. */
        EXCLUSIVE('x'),
        /** {@code z}: zero-copy monitor. */
        ZERO_COPY_MONITOR('z'),
        /** {@code t}: copy monitor of TX. */
        MONITOR_TX('t'),
        /** {@code r}: copy monitor of RX. */
        MONITOR_RX('r');

        final char letter;

        Flag(char letter) {
            this.letter = letter;
        }

        static Flag of(char c) {
            for (Flag f : values()) {
                if (f.letter == c) {
                    return f;
                }
            }
            return null;
        }
    }

    /**
     * Ring and slot counts from {@code @conf:}; 0 means "the device's". {@code xdpMode} is
     * {@code native} or {@code generic} (how an XDP program attaches), {@code fanout} how an
     * {@code afpacket:} port with several rings spreads packets over them ({@code hash},
     * {@code cpu}, {@code qm}, {@code lb}, {@code rnd}); null for the defaults.
     */
    public record PortConfig(int rxRings, int txRings, int hostRings, int rxSlots, int txSlots, String xdpMode,
                             String fanout) {
        public static final PortConfig DEVICE = new PortConfig(0, 0, 0, 0, 0, null, null);
        public static final Set<String> FANOUT_MODES = Set.of("hash", "cpu", "qm", "lb", "rnd");

        public PortConfig(int rxRings, int txRings, int hostRings, int rxSlots, int txSlots) {
            this(rxRings, txRings, hostRings, rxSlots, txSlots, null, null);
        }
    }

    public PortName {
        flags = Set.copyOf(flags);
    }

    public boolean rxOnly() {
        return flags.contains(Flag.RX_ONLY);
    }

    public boolean txOnly() {
        return flags.contains(Flag.TX_ONLY);
    }

    /**
     * Whether {@code text} names its backend ({@code xdp:eth0}), as against a bare name
     * ({@code eth0-2/R}) or netmap's own prefix ({@code netmap:eth0}), which names none.
     */
    public static boolean hasBackend(String text) {
        int colon = text.indexOf(':');
        int at = text.indexOf('@');
        return colon > 0 && (at < 0 || colon < at) && !text.startsWith("netmap:");
    }

    /** Parses a port name; {@code defaultBackend} applies when the name has no prefix. */
    public static PortName parse(String text, String defaultBackend) {
        if (text == null || text.isBlank()) {
            throw bad(text, "empty port name");
        }
        String backend = defaultBackend;
        String rest = text;
        int colon = text.indexOf(':');
        if (colon >= 0 && !text.startsWith("@")) {
            backend = text.substring(0, colon);
            rest = text.substring(colon + 1);
            if (backend.equals("netmap")) {
                backend = defaultBackend;
            } else if (!BACKENDS.contains(backend)) {
                throw bad(text, "unknown backend '" + backend + "' (vnic, xdp, afpacket, tap, pcap)");
            }
        }
        if (backend.equals("pcap")) {
            if (rest.isEmpty()) {
                throw bad(text, "missing capture file after 'pcap:'");
            }
            return new PortName(backend, rest, Register.ALL_NIC, -1, EnumSet.noneOf(Flag.class), PortConfig.DEVICE);
        }
        PortConfig config = PortConfig.DEVICE;
        int at = rest.indexOf('@');
        if (at >= 0) {
            config = conf(text, rest.substring(at + 1));
            rest = rest.substring(0, at);
        }
        Set<Flag> flags = EnumSet.noneOf(Flag.class);
        int slash = rest.indexOf('/');
        if (slash >= 0) {
            String letters = rest.substring(slash + 1);
            if (letters.isEmpty()) {
                throw bad(text, "empty flags after '/'");
            }
            for (char c : letters.toCharArray()) {
                Flag f = Flag.of(c);
                if (f == null) {
                    throw bad(text, "unknown flag '" + c + "' after '/' (R, T, x, z, t, r)");
                }
                flags.add(f);
            }
            rest = rest.substring(0, slash);
        }
        Register register = Register.ALL_NIC;
        int ring = -1;
        int cut = rest.length();
        for (int i = 0; i < rest.length(); i++) {
            char c = rest.charAt(i);
            if (c == '^' || c == '*' || c == '{' || c == '}' || c == '~') {
                cut = i;
                break;
            }
        }
        if (cut == rest.length()) {
            // "-N" only when what follows the last '-' is a number: "br-lan" stays a name
            int dash = rest.lastIndexOf('-');
            if (dash >= 0 && dash < rest.length() - 1 && rest.substring(dash + 1).chars().allMatch(Character::isDigit)) {
                cut = dash;
            }
        }
        String device = rest.substring(0, cut);
        String suffix = rest.substring(cut);
        if (device.isEmpty()) {
            throw bad(text, "missing interface name");
        }
        if (device.endsWith("-") && !suffix.isEmpty()) {
            throw bad(text, "interface name '" + device + "' ends with '-': a ring number is 0 or more");
        }
        if (device.length() > MAX_DEVICE_LENGTH) {
            throw bad(text, "interface name '" + device + "' is longer than " + MAX_DEVICE_LENGTH + " characters");
        }
        for (char c : device.toCharArray()) {
            if (Character.isWhitespace(c) || c == ':' || c == '/') {
                throw bad(text, "interface name '" + device + "' contains '" + c + "'");
            }
        }
        if (!suffix.isEmpty()) {
            char kind = suffix.charAt(0);
            String number = suffix.substring(1);
            switch (kind) {
                case '-' -> {
                    register = Register.ONE_NIC;
                    ring = ringNumber(text, number, "-");
                }
                case '~' -> {
                    register = Register.ONE_NIC; // Cloudflare's spelling of -N/R
                    ring = ringNumber(text, number, "~");
                    flags.add(Flag.RX_ONLY);
                }
                case '^' -> {
                    register = number.isEmpty() ? Register.SW : Register.ONE_SW;
                    ring = number.isEmpty() ? -1 : ringNumber(text, number, "^");
                }
                case '*' -> {
                    if (!number.isEmpty()) {
                        throw bad(text, "unexpected '" + number + "' after '*'");
                    }
                    register = Register.NIC_SW;
                }
                case '{', '}' -> {
                    register = kind == '{' ? Register.PIPE_MASTER : Register.PIPE_SLAVE;
                    if (number.isEmpty()) {
                        throw bad(text, "missing pipe id after '" + kind + "'");
                    }
                    ring = ringNumber(text, number, String.valueOf(kind));
                }
                default -> throw new AssertionError(kind);
            }
        }
        if (flags.contains(Flag.RX_ONLY) && flags.contains(Flag.TX_ONLY)) {
            throw bad(text, "flags R and T exclude each other");
        }
        return new PortName(backend, device, register, ring, flags, config);
    }

    private static int ringNumber(String text, String number, String after) {
        if (number.isEmpty() || !number.chars().allMatch(Character::isDigit) || number.length() > 5) {
            throw bad(text, "ring number '" + number + "' after '" + after + "' is not a number 0..65535");
        }
        int n = Integer.parseInt(number);
        if (n > 65535) {
            throw bad(text, "ring number '" + number + "' after '" + after + "' is not a number 0..65535");
        }
        return n;
    }

    private static PortConfig conf(String text, String spec) {
        if (!spec.startsWith("conf:")) {
            throw bad(text, "unknown option '@" + spec + "' (only @conf:KEY=VALUE,...)");
        }
        int rx = 0, tx = 0, host = 0, rxSlots = 0, txSlots = 0;
        String mode = null;
        String fanout = null;
        String body = spec.substring("conf:".length());
        if (body.isEmpty()) {
            throw bad(text, "empty @conf:");
        }
        for (String pair : body.split(",", -1)) {
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw bad(text, "'" + pair + "' in @conf: is not KEY=VALUE");
            }
            String key = pair.substring(0, eq);
            String value = pair.substring(eq + 1);
            if (key.equals("mode")) {
                if (!value.equals("native") && !value.equals("generic")) {
                    throw bad(text, "@conf: mode=" + value + " is not native or generic");
                }
                mode = value;
                continue;
            }
            if (key.equals("fanout")) {
                if (!PortConfig.FANOUT_MODES.contains(value)) {
                    throw bad(text, "@conf: fanout=" + value + " is not hash, cpu, qm, lb or rnd");
                }
                fanout = value;
                continue;
            }
            int v;
            if (value.isEmpty() || value.length() > 6 || !value.chars().allMatch(Character::isDigit)
                    || (v = Integer.parseInt(value)) < 1 || v > 65535) {
                throw bad(text, "@conf: " + key + "=" + value + " is not a count 1..65535");
            }
            switch (key) {
                case "rings" -> { rx = v; tx = v; }
                case "rx-rings" -> rx = v;
                case "tx-rings" -> tx = v;
                case "host-rings" -> host = v;
                case "slots" -> { rxSlots = v; txSlots = v; }
                case "rx-slots" -> rxSlots = v;
                case "tx-slots" -> txSlots = v;
                default -> throw bad(text, "unknown @conf: key '" + key
                        + "' (rings, rx-rings, tx-rings, host-rings, slots, rx-slots, tx-slots, mode, fanout)");
            }
        }
        return new PortConfig(rx, tx, host, rxSlots, txSlots, mode, fanout);
    }

    private static UserException bad(String text, String why) {
        return new UserException("port '" + text + "': " + why);
    }

    /** The canonical spelling (Cloudflare's {@code ~N} becomes {@code -N/R}). */
    @Override
    public String toString() {
        if (backend.equals("pcap")) {
            return "pcap:" + device;
        }
        StringBuilder b = new StringBuilder(backend).append(':').append(device);
        switch (register) {
            case ALL_NIC -> { }
            case ONE_NIC -> b.append('-').append(ring);
            case SW -> b.append('^');
            case ONE_SW -> b.append('^').append(ring);
            case NIC_SW -> b.append('*');
            case PIPE_MASTER -> b.append('{').append(ring);
            case PIPE_SLAVE -> b.append('}').append(ring);
        }
        if (!flags.isEmpty()) {
            b.append('/');
            for (Flag f : Flag.values()) {
                if (flags.contains(f)) {
                    b.append(f.letter);
                }
            }
        }
        if (!config.equals(PortConfig.DEVICE)) {
            StringBuilder c = new StringBuilder();
            add(c, "rx-rings", config.rxRings());
            add(c, "tx-rings", config.txRings());
            add(c, "host-rings", config.hostRings());
            add(c, "rx-slots", config.rxSlots());
            add(c, "tx-slots", config.txSlots());
            if (config.xdpMode() != null) {
                c.append(c.isEmpty() ? "" : ",").append("mode=").append(config.xdpMode());
            }
            if (config.fanout() != null) {
                c.append(c.isEmpty() ? "" : ",").append("fanout=").append(config.fanout());
            }
            b.append("@conf:").append(c);
        }
        return b.toString();
    }

    private static void add(StringBuilder c, String key, int v) {
        if (v != 0) {
            if (!c.isEmpty()) {
                c.append(',');
            }
            c.append(key).append('=').append(v);
        }
    }
}
