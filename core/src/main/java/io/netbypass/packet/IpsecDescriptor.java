package io.netbypass.packet;

/** Where the security parameter index sits in the IPsec headers (RFC 4302 AH, RFC 4303 ESP). */
public final class IpsecDescriptor {
    public static final int AH_SPI_OFFSET = 4;
    public static final int AH_MIN_LENGTH = 12;
    public static final int ESP_SPI_OFFSET = 0;
    public static final int ESP_MIN_LENGTH = 8;

    private IpsecDescriptor() {
    }
}
