package io.weft.broker.http;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Decodes {@code %XX} escapes of UTF-8 bytes, as used in URL path segments and in the CloudEvents HTTP
 * binding's header values. Unlike form decoding, {@code +} stays a plus sign.
 */
final class PercentDecoder {
    private PercentDecoder() {
    }

    /**
     * @throws IllegalArgumentException naming the problem when an escape is truncated, not hexadecimal
     *     or the bytes are not UTF-8
     */
    static String decode(String s) {
        int first = s.indexOf('%');
        if (first < 0) {
            return s;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(s.length());
        byte[] head = s.substring(0, first).getBytes(StandardCharsets.UTF_8);
        bytes.write(head, 0, head.length);
        int i = first;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == '%') {
                int hi = i + 2 < s.length() ? Character.digit(s.charAt(i + 1), 16) : -1;
                int lo = hi >= 0 ? Character.digit(s.charAt(i + 2), 16) : -1;
                if (lo < 0) {
                    throw new IllegalArgumentException("invalid percent escape at position " + i);
                }
                bytes.write(hi << 4 | lo);
                i += 3;
            } else {
                int end = i;
                while (end < s.length() && s.charAt(end) != '%') {
                    end++;
                }
                byte[] run = s.substring(i, end).getBytes(StandardCharsets.UTF_8);
                bytes.write(run, 0, run.length);
                i = end;
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes.toByteArray()))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("percent escapes do not decode to UTF-8");
        }
    }
}
