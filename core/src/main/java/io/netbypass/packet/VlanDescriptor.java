package io.netbypass.packet;

/** 802.1Q / 802.1ad tag layout, counted from the tag control information (after the TPID). */
public final class VlanDescriptor {
    public static final int TCI_OFFSET = 0;
    public static final int INNER_TYPE_OFFSET = 2;
    /** Bytes a tag adds after the TPID. */
    public static final int TAG_LENGTH = 4;
    public static final int VID_MASK = 0x0fff;
    public static final int PCP_SHIFT = 13;
    public static final int DEI_BIT = 0x1000;
    /** Deepest tag stack the parser walks. */
    public static final int MAX_TAGS = 4;

    private VlanDescriptor() {
    }
}
