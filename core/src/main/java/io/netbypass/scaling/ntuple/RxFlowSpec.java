package io.netbypass.scaling.ntuple;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

import static io.netbypass.scaling.ntuple.RxFlowSpecDescriptor.*;

/**
 * One ntuple rule as the kernel holds it: a {@code struct ethtool_rx_flow_spec} image plus the
 * RSS context it goes with. The same bytes travel to and from a real NIC by ioctl, feed the
 * software classifier and print as {@code ethtool -n} does.
 */
public final class RxFlowSpec {
    private static final ValueLayout.OfInt HOST_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong HOST_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort BE16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt BE32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfLong BE64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private final byte[] bytes;
    private final MemorySegment s;
    private int rssContext;

    public RxFlowSpec() {
        this(new byte[LENGTH], 0);
    }

    private RxFlowSpec(byte[] bytes, int rssContext) {
        this.bytes = bytes;
        this.s = MemorySegment.ofArray(bytes);
        this.rssContext = rssContext;
    }

    /** A rule read back from the kernel: the 168-byte struct and the rxnfc's rss_context. */
    public static RxFlowSpec fromBytes(byte[] image, int rssContext) {
        if (image.length != LENGTH) {
            throw new IllegalArgumentException("ethtool_rx_flow_spec is " + LENGTH + " bytes, not " + image.length);
        }
        return new RxFlowSpec(image.clone(), rssContext);
    }

    public byte[] toBytes() {
        return bytes.clone();
    }

    public RxFlowSpec copy() {
        return new RxFlowSpec(bytes.clone(), rssContext);
    }

    /** {@code flow_type} with its FLOW_EXT/FLOW_MAC_EXT/FLOW_RSS flags. */
    public int flowTypeCode() {
        return s.get(HOST_INT, FLOW_TYPE_OFFSET);
    }

    public void setFlowTypeCode(int code) {
        s.set(HOST_INT, FLOW_TYPE_OFFSET, code);
    }

    public FlowType flowType() {
        return FlowType.fromCode(flowTypeCode());
    }

    public boolean hasFlag(int flag) {
        return (flowTypeCode() & flag) != 0;
    }

    public long ringCookie() {
        return s.get(HOST_LONG, RING_COOKIE_OFFSET);
    }

    public void setRingCookie(long cookie) {
        s.set(HOST_LONG, RING_COOKIE_OFFSET, cookie);
    }

    public int location() {
        return s.get(HOST_INT, LOCATION_OFFSET);
    }

    public void setLocation(int location) {
        s.set(HOST_INT, LOCATION_OFFSET, location);
    }

    /** Whether {@code loc} was given: special locations (bit 31) leave the choice to the rule manager. */
    public boolean hasLocation() {
        return (location() & LOCATION_SPECIAL) == 0;
    }

    public int rssContext() {
        return rssContext;
    }

    public void setRssContext(int context) {
        rssContext = context;
    }

    public boolean isDrop() {
        return ringCookie() == RING_COOKIE_DROP;
    }

    public boolean isWake() {
        return ringCookie() == RING_COOKIE_WAKE;
    }

    /** VF number + 1 in the cookie's bits 32-39 (0: the main function). */
    public int vfField() {
        return (int) ((ringCookie() & RING_COOKIE_VF_MASK) >>> RING_COOKIE_VF_SHIFT);
    }

    public long queue() {
        return ringCookie() & RING_COOKIE_QUEUE_MASK;
    }

    // field access; offsets are absolute within the struct (HEADER_OFFSET/EXT_OFFSET + field)

    public int u8(int offset) {
        return bytes[offset] & 0xff;
    }

    public int be16(int offset) {
        return s.get(BE16, offset) & 0xffff;
    }

    public int be32(int offset) {
        return s.get(BE32, offset);
    }

    public long be64(int offset) {
        return s.get(BE64, offset);
    }

    public byte[] bytes(int offset, int length) {
        return Arrays.copyOfRange(bytes, offset, offset + length);
    }

    void putBytes(int offset, byte[] value) {
        System.arraycopy(value, 0, bytes, offset, value.length);
    }

    void putU8(int offset, int v) {
        bytes[offset] = (byte) v;
    }

    void putBe16(int offset, int v) {
        s.set(BE16, offset, (short) v);
    }

    void putBe32(int offset, int v) {
        s.set(BE32, offset, v);
    }

    void putBe64(int offset, long v) {
        s.set(BE64, offset, v);
    }

    /** Whether the header field at {@code offset} of {@code length} bytes, or its mask, is non-zero. */
    boolean isSet(int offset, int length) {
        for (int i = 0; i < length; i++) {
            if (bytes[offset + i] != 0 || bytes[offset + MASK_DISTANCE + i] != 0) {
                return true;
            }
        }
        return false;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RxFlowSpec r && Arrays.equals(bytes, r.bytes) && rssContext == r.rssContext;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes) * 31 + rssContext;
    }

    @Override
    public String toString() {
        return NtupleFormatter.toCommand(this);
    }
}
