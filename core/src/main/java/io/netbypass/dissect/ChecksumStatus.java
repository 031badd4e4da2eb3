package io.netbypass.dissect;

/** tshark's checksum status values (proto_checksum_enum_e), printed as their numbers. */
public final class ChecksumStatus {
    public static final int BAD = 0;
    public static final int GOOD = 1;
    public static final int UNVERIFIED = 2;
    public static final int NOT_PRESENT = 3;
    public static final int ILLEGAL = 4;

    private ChecksumStatus() {
    }
}
