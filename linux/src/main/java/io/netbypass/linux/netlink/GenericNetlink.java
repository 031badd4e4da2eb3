package io.netbypass.linux.netlink;

import io.netbypass.linux.Errno;
import io.netbypass.linux.LinuxException;
import io.netbypass.linux.Native;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * A generic netlink socket (NETLINK_GENERIC) in the calling thread's network namespace: family
 * lookup through the controller, requests answered by replies and an ack, and errors carried
 * as {@link LinuxException}s with the kernel's extended-ack message ("netlink: ...") when it
 * gives one. {@link #openRoute()} gives the same over NETLINK_ROUTE (rtnetlink), whose messages
 * carry a family header of their own instead of genl's. Control plane only: allocates freely.
 */
public final class GenericNetlink implements AutoCloseable {
    private static final int AF_NETLINK = 16;
    private static final int SOCK_RAW = 3;
    private static final int NETLINK_GENERIC = 16;
    private static final int NETLINK_ROUTE = 0;
    private static final int SOL_NETLINK = 270;
    private static final int NETLINK_CAP_ACK = 10;
    private static final int NETLINK_EXT_ACK = 11;
    private static final int NLMSG_ERROR = 2;
    private static final int NLMSG_DONE = 3;
    private static final int NLM_F_ACK_TLVS = 0x200;
    private static final int NLMSGERR_ATTR_MSG = 1;
    private static final int GENL_ID_CTRL = 0x10;
    private static final int CTRL_CMD_GETFAMILY = 3;
    private static final int CTRL_ATTR_FAMILY_ID = 1;
    private static final int CTRL_ATTR_FAMILY_NAME = 2;

    private final int fd;
    /** What follows nlmsghdr before the attributes in replies: genlmsghdr, or rtnetlink's family header. */
    private final int familyHeader;
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment receive = arena.allocate(1 << 16, 8);
    private int sequence = 1;

    private GenericNetlink(int fd, int familyHeader) {
        this.fd = fd;
        this.familyHeader = familyHeader;
    }

    public static GenericNetlink open() throws LinuxException {
        return open(NETLINK_GENERIC, "NETLINK_GENERIC", NetlinkMessage.GENL_HEADER_LENGTH);
    }

    /** An rtnetlink socket whose replies have a {@code familyHeader}-byte header (16: struct ifinfomsg). */
    public static GenericNetlink openRoute(int familyHeader) throws LinuxException {
        return open(NETLINK_ROUTE, "NETLINK_ROUTE", familyHeader);
    }

    private static GenericNetlink open(int protocol, String name, int familyHeader) throws LinuxException {
        int fd = Native.socket(AF_NETLINK, SOCK_RAW | Native.O_CLOEXEC, protocol, "AF_NETLINK, " + name);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment one = a.allocate(ValueLayout.JAVA_INT);
            one.set(ValueLayout.JAVA_INT, 0, 1);
            Native.setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, one, "NETLINK_EXT_ACK");
            Native.setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, one, "NETLINK_CAP_ACK");
            MemorySegment address = a.allocate(12, 4);
            address.set(ValueLayout.JAVA_SHORT, 0, (short) AF_NETLINK);
            Native.bind(fd, address, "AF_NETLINK");
            return new GenericNetlink(fd, familyHeader);
        } catch (LinuxException | RuntimeException e) {
            Native.close(fd);
            throw e;
        }
    }

    public int nextSequence() {
        return sequence++;
    }

    /** The id of generic netlink family {@code name} (CTRL_CMD_GETFAMILY). */
    public int family(String name) throws LinuxException {
        NetlinkMessage m = new NetlinkMessage(GENL_ID_CTRL, NetlinkMessage.NLM_F_REQUEST | NetlinkMessage.NLM_F_ACK, nextSequence(),
                CTRL_CMD_GETFAMILY, 1).string(CTRL_ATTR_FAMILY_NAME, name);
        List<Attributes> replies = request(m.finish(), "CTRL_CMD_GETFAMILY " + name);
        for (Attributes r : replies) {
            long id = r.u32(CTRL_ATTR_FAMILY_ID, -1);
            if (id < 0) {
                id = r.bytes(CTRL_ATTR_FAMILY_ID) == null ? -1
                        : ByteBuffer.wrap(r.bytes(CTRL_ATTR_FAMILY_ID)).order(ByteOrder.nativeOrder()).getShort() & 0xffff;
            }
            if (id >= 0) {
                return (int) id;
            }
        }
        throw new LinuxException("netlink family " + name, Errno.ENOENT);
    }

    /**
     * Sends {@code message} (with NLM_F_ACK) and collects the attributes of every reply until
     * the ack; a negative ack throws, naming {@code what} and the kernel's message.
     */
    public List<Attributes> request(byte[] message, String what) throws LinuxException {
        int seq = ByteBuffer.wrap(message).order(ByteOrder.nativeOrder()).getInt(8);
        MemorySegment out = arena.allocate(message.length, 8);
        MemorySegment.copy(message, 0, out, ValueLayout.JAVA_BYTE, 0, message.length);
        long sent = Native.send(fd, out, message.length, 0);
        if (sent < 0) {
            throw new LinuxException("netlink send (" + what + ")", (int) -sent);
        }
        List<Attributes> replies = new ArrayList<>();
        while (true) {
            long n = Native.recv(fd, receive, receive.byteSize(), 0);
            if (n < 0) {
                if (n == -Errno.EINTR) {
                    continue;
                }
                throw new LinuxException("netlink recv (" + what + ")", (int) -n);
            }
            byte[] data = receive.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
            ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.nativeOrder());
            int p = 0;
            while (p + NetlinkMessage.HEADER_LENGTH <= n) {
                int length = b.getInt(p);
                int type = b.getShort(p + 4) & 0xffff;
                int flags = b.getShort(p + 6) & 0xffff;
                int mseq = b.getInt(p + 8);
                if (length < NetlinkMessage.HEADER_LENGTH || p + length > n) {
                    throw new LinuxException("netlink reply (" + what + "): a message " + length + " bytes long in " + n, Errno.EINVAL);
                }
                if (mseq == seq) {
                    if (type == NLMSG_ERROR) {
                        int error = -b.getInt(p + 16);
                        if (error == 0) {
                            return replies;
                        }
                        String text = null;
                        if ((flags & NLM_F_ACK_TLVS) != 0) {
                            // The original header (capped: no payload) follows the error code, then the TLVs.
                            text = new Attributes(data, p + 20 + NetlinkMessage.HEADER_LENGTH, p + length).string(NLMSGERR_ATTR_MSG);
                        }
                        throw new LinuxException(what, error, text == null ? "" : "netlink: " + text);
                    }
                    if (type == NLMSG_DONE) {
                        return replies;
                    }
                    replies.add(new Attributes(data, p + NetlinkMessage.HEADER_LENGTH + familyHeader, p + length));
                }
                p += (length + 3) & ~3;
            }
        }
    }

    @Override
    public void close() {
        Native.close(fd);
        arena.close();
    }
}
