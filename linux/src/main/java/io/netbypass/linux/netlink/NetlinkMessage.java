package io.netbypass.linux.netlink;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Builds one generic netlink request: {@code nlmsghdr} (16 bytes), {@code genlmsghdr} (4) (or an
 * rtnetlink request's family header), then
 * attributes ({@code nlattr}: u16 length, u16 type, the value, padded to 4), nests included.
 * Fields are in host byte order, as netlink wants them; multi-byte attribute values too.
 */
public final class NetlinkMessage {
    public static final int HEADER_LENGTH = 16;
    public static final int GENL_HEADER_LENGTH = 4;
    public static final int NLM_F_REQUEST = 0x01;
    public static final int NLM_F_ACK = 0x04;
    public static final int NLA_F_NESTED = 0x8000;

    private final ByteBuffer buffer = ByteBuffer.allocate(8192).order(ByteOrder.nativeOrder());

    /** Starts a request of netlink type {@code type} (a family id) with genl command {@code command}. */
    public NetlinkMessage(int type, int flags, int sequence, int command, int version) {
        buffer.putInt(0); // length, at finish()
        buffer.putShort((short) type);
        buffer.putShort((short) flags);
        buffer.putInt(sequence);
        buffer.putInt(0); // port id: the kernel's
        buffer.put((byte) command);
        buffer.put((byte) version);
        buffer.putShort((short) 0);
    }

    /** Starts an rtnetlink request: {@code nlmsghdr}, then {@code familyHeader} (e.g. struct ifinfomsg) as given. */
    public NetlinkMessage(int type, int flags, int sequence, byte[] familyHeader) {
        buffer.putInt(0);
        buffer.putShort((short) type);
        buffer.putShort((short) flags);
        buffer.putInt(sequence);
        buffer.putInt(0);
        buffer.put(familyHeader);
        pad();
    }

    public NetlinkMessage u32(int type, int value) {
        attribute(type, 4);
        buffer.putInt(value);
        return this;
    }

    public NetlinkMessage u8(int type, int value) {
        attribute(type, 1);
        buffer.put((byte) value);
        pad();
        return this;
    }

    public NetlinkMessage flag(int type) {
        attribute(type, 0);
        return this;
    }

    /** A NUL-terminated string. */
    public NetlinkMessage string(int type, String value) {
        byte[] b = value.getBytes(StandardCharsets.UTF_8);
        attribute(type, b.length + 1);
        buffer.put(b).put((byte) 0);
        pad();
        return this;
    }

    public NetlinkMessage bytes(int type, byte[] value) {
        attribute(type, value.length);
        buffer.put(value);
        pad();
        return this;
    }

    /** Opens a nested attribute; close it with {@link #end(int)} and the value this returns. */
    public int begin(int type) {
        int at = buffer.position();
        attribute(type | NLA_F_NESTED, 0);
        return at;
    }

    public NetlinkMessage end(int at) {
        buffer.putShort(at, (short) (buffer.position() - at));
        return this;
    }

    private void attribute(int type, int length) {
        buffer.putShort((short) (4 + length));
        buffer.putShort((short) type);
    }

    private void pad() {
        while ((buffer.position() & 3) != 0) {
            buffer.put((byte) 0);
        }
    }

    /** The message's bytes, its length written in. */
    public byte[] finish() {
        buffer.putInt(0, buffer.position());
        byte[] out = new byte[buffer.position()];
        buffer.get(0, out);
        return out;
    }
}
