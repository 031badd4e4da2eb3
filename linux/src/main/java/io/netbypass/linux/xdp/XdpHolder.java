package io.netbypass.linux.xdp;

import io.netbypass.linux.LinuxException;
import io.netbypass.linux.Native;
import io.netbypass.linux.bpf.Bpf;
import io.netbypass.linux.netlink.Attributes;
import io.netbypass.linux.netlink.GenericNetlink;
import io.netbypass.linux.netlink.NetlinkMessage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Who holds an interface's XDP hook, for the error an operator gets when attaching fails with
 * EBUSY: the program on it (rtnetlink's IFLA_XDP: id and attach mode; its name from the kernel),
 * the BPF link it came with and the processes holding that link (their /proc fdinfo names the
 * link id), whether it is one of ours, and the command that frees the interface.
 */
public final class XdpHolder {
    private static final int RTM_GETLINK = 18;
    private static final int IFINFOMSG_LENGTH = 16;
    private static final int IFLA_XDP = 43;
    private static final int IFLA_XDP_ATTACHED = 2;
    private static final int IFLA_XDP_PROG_ID = 4;
    private static final int IFLA_XDP_DRV_PROG_ID = 5;
    private static final int IFLA_XDP_SKB_PROG_ID = 6;
    private static final int IFLA_XDP_HW_PROG_ID = 7;
    private static final int XDP_ATTACHED_DRV = 1, XDP_ATTACHED_SKB = 2, XDP_ATTACHED_HW = 3, XDP_ATTACHED_MULTI = 4;

    private XdpHolder() {
    }

    /** The program on {@code ifName}'s XDP hook (in the calling thread's namespace): its id and mode, or null. */
    private record Attached(int programId, String mode) {
    }

    /** The XDP program attached to interface {@code index} ({@code ifName}), or null when none is (or it cannot be read). */
    private static Attached attached(String ifName, int index) {
        try (GenericNetlink route = GenericNetlink.openRoute(IFINFOMSG_LENGTH)) {
            ByteBuffer ifinfo = ByteBuffer.allocate(IFINFOMSG_LENGTH).order(ByteOrder.nativeOrder());
            ifinfo.putInt(4, index); // family AF_UNSPEC, type 0, then the index; flags and change 0
            NetlinkMessage m = new NetlinkMessage(RTM_GETLINK, NetlinkMessage.NLM_F_REQUEST | NetlinkMessage.NLM_F_ACK,
                    route.nextSequence(), ifinfo.array());
            for (Attributes link : route.request(m.finish(), "RTM_GETLINK " + ifName)) {
                Attributes xdp = link.nested(IFLA_XDP);
                if (xdp == null) {
                    continue;
                }
                byte[] how = xdp.bytes(IFLA_XDP_ATTACHED);
                int attached = how == null || how.length == 0 ? 0 : how[0] & 0xff;
                return switch (attached) {
                    case XDP_ATTACHED_DRV -> new Attached((int) xdp.u32(IFLA_XDP_PROG_ID, 0), "native");
                    case XDP_ATTACHED_SKB -> new Attached((int) xdp.u32(IFLA_XDP_PROG_ID, 0), "generic");
                    case XDP_ATTACHED_HW -> new Attached((int) xdp.u32(IFLA_XDP_PROG_ID, 0), "offloaded");
                    case XDP_ATTACHED_MULTI -> {
                        long drv = xdp.u32(IFLA_XDP_DRV_PROG_ID, 0);
                        long skb = xdp.u32(IFLA_XDP_SKB_PROG_ID, 0);
                        long hw = xdp.u32(IFLA_XDP_HW_PROG_ID, 0);
                        yield new Attached((int) (drv != 0 ? drv : skb != 0 ? skb : hw), drv != 0 ? "native" : skb != 0 ? "generic" : "offloaded");
                    }
                    default -> null;
                };
            }
        } catch (LinuxException | RuntimeException e) {
            return null;
        }
        return null;
    }

    /** What {@link #describe} says, or, when it cannot tell, the command that removes a program attached with ip. */
    public static String describeOrRemedy(String ifName) {
        String holder = describe(ifName);
        return holder != null ? holder : "remove it first (ip link set dev " + ifName + " xdp off)";
    }

    /**
     * One line naming what holds {@code ifName}'s XDP hook and how to free it, e.g. "XDP program
     * nb_flows (id 42, native) attached through BPF link 7 held by netbypass PID 1234: stop that
     * run (kill 1234); netbypass detaches as it exits"; null when nothing is attached.
     */
    public static String describe(String ifName) {
        int ifIndex;
        try {
            ifIndex = Native.ifIndex(ifName);
        } catch (LinuxException e) {
            return null;
        }
        Attached a = attached(ifName, ifIndex);
        if (a == null || a.programId() == 0) {
            return null;
        }
        Bpf.ProgramInfo program = Bpf.program(a.programId());
        String name = program == null || program.name().isEmpty() ? "(unnamed)" : program.name();
        String what = "XDP program " + name + " (id " + a.programId() + ", " + a.mode() + ")";
        Bpf.LinkInfo link = null;
        for (Bpf.LinkInfo l : Bpf.links()) {
            if (l.type() == Bpf.LINK_TYPE_XDP && l.programId() == a.programId() && l.ifIndex() == ifIndex) {
                link = l;
            }
        }
        if (link == null) {
            String off = a.mode().equals("generic") ? "xdpgeneric" : a.mode().equals("offloaded") ? "xdpoffload" : "xdpdrv";
            return what + " attached through netlink (ip link, xdp-loader, a libxdp dispatcher), with no process holding it:"
                    + " remove it with 'ip link set dev " + ifName + " " + off + " off' (or 'xdp-loader unload " + ifName
                    + " --all' for a libxdp dispatcher)";
        }
        List<Long> holders = holders(link.id());
        if (holders.isEmpty()) {
            return what + " attached through BPF link " + link.id() + ", which no process holds (pinned in bpffs):"
                    + " remove its pin (find it with 'bpftool link show id " + link.id() + "')";
        }
        StringBuilder b = new StringBuilder(what + " attached through BPF link " + link.id() + " held by ");
        List<String> kill = new ArrayList<>();
        boolean ours = name.startsWith("nb_");
        for (long pid : holders) {
            String command = command(pid);
            boolean netbypass = command.contains("netbypass");
            ours |= netbypass;
            b.append(kill.isEmpty() ? "" : ", ").append(netbypass ? "netbypass PID " + pid : "PID " + pid + " (" + command + ")");
            kill.add(Long.toString(pid));
        }
        b.append(ours ? ": stop that run (kill " + String.join(" ", kill) + "); netbypass detaches as it exits"
                : ": stop it (kill " + String.join(" ", kill) + "), the program goes with the link");
        return b.toString();
    }

    /** PIDs whose open descriptors include BPF link {@code linkId} (from /proc/PID/fdinfo's link_id). */
    private static List<Long> holders(int linkId) {
        List<Long> out = new ArrayList<>();
        String wanted = "link_id:\t" + linkId;
        try (var procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.toList()) {
                String pid = p.getFileName().toString();
                if (!pid.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                try (var fds = Files.list(p.resolve("fd"))) {
                    for (Path fd : fds.toList()) {
                        try {
                            if (!Files.readSymbolicLink(fd).toString().equals("anon_inode:bpf_link")) {
                                continue;
                            }
                            for (String line : Files.readAllLines(p.resolve("fdinfo").resolve(fd.getFileName()))) {
                                if (line.equals(wanted) && !out.contains(Long.parseLong(pid))) {
                                    out.add(Long.parseLong(pid)); // (a process may hold the link twice)
                                }
                            }
                        } catch (IOException e) {
                            // closed meanwhile
                        }
                    }
                } catch (IOException | RuntimeException e) {
                    // gone, or not ours to read
                }
            }
        } catch (IOException e) {
            return out;
        }
        return out;
    }

    /** A process's command line, NULs as spaces, shortened. */
    private static String command(long pid) {
        try {
            String c = new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")), StandardCharsets.UTF_8)
                    .replace('\0', ' ').strip();
            if (c.contains("io.netbypass") || c.contains("netbypass.jar")) {
                return "netbypass";
            }
            return c.length() > 60 ? c.substring(0, 60) + "..." : c;
        } catch (IOException e) {
            return "?";
        }
    }
}
