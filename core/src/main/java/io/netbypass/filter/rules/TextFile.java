package io.netbypass.filter.rules;

import io.netbypass.util.SafeFiles;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads a rules or list file as UTF-8; bytes that are not UTF-8 are an error at their line. Only
 * a regular file of at most {@link #MAX_BYTES} (a FIFO would hang a reload, {@code /dev/zero}
 * fill the heap).
 */
final class TextFile {
    /** 256 MiB: a list of ten million prefixes fits. */
    static final long MAX_BYTES = 256L << 20;

    private TextFile() {
    }

    static String read(Path path) throws IOException, RuleSyntaxException {
        SafeFiles.checkInput(path, MAX_BYTES, "rules or list file");
        byte[] bytes;
        try (var in = Files.newInputStream(path)) {
            bytes = in.readNBytes((int) MAX_BYTES + 1); // the file may have grown since the check
        }
        if (bytes.length > MAX_BYTES) {
            throw new IOException(path + " grew past " + MAX_BYTES + " bytes while being read");
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            int line = 1;
            int column = 1;
            int bad = firstBadByte(bytes);
            for (int i = 0; i < bad; i++) {
                if (bytes[i] == '\n') {
                    line++;
                    column = 1;
                } else {
                    column++;
                }
            }
            throw new RuleSyntaxException(path.toString(), line, column, "not UTF-8 text");
        }
    }

    private static int firstBadByte(byte[] b) {
        var decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(b);
        var out = CharBuffer.allocate(b.length + 1);
        var result = decoder.decode(in, out, true);
        return result.isError() ? in.position() : b.length;
    }
}
