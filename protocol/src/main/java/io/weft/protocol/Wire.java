package io.weft.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.nio.charset.StandardCharsets;

/** Primitive encodings: {@code str16} is a u16 byte length followed by UTF-8. */
public final class Wire {
    public static final int MAX_STR16_BYTES = 0xffff;

    private Wire() {
    }

    /** Writes {@code s} as str16; {@code null} is written as the empty string. */
    public static void writeStr16(ByteBuf out, String s) {
        int lengthAt = out.writerIndex();
        out.writeShort(0);
        if (s != null && !s.isEmpty()) {
            int written = ByteBufUtil.writeUtf8(out, s);
            if (written > MAX_STR16_BYTES) {
                out.writerIndex(lengthAt);
                throw new ProtocolException(ErrorCode.INVALID_EVENT,
                        "string of " + written + " bytes exceeds the limit of " + MAX_STR16_BYTES);
            }
            out.setShort(lengthAt, written);
        }
    }

    /** Reads a str16, checking that its bytes are present. */
    public static String readStr16(ByteBuf in) {
        int len = readStr16Length(in);
        String s = in.toString(in.readerIndex(), len, StandardCharsets.UTF_8);
        in.skipBytes(len);
        return s;
    }

    /** Skips a str16 and returns its byte length, checking that its bytes are present. */
    public static int skipStr16(ByteBuf in) {
        int len = readStr16Length(in);
        in.skipBytes(len);
        return len;
    }

    private static int readStr16Length(ByteBuf in) {
        need(in, 2, "string length");
        int len = in.readUnsignedShort();
        need(in, len, "string bytes");
        return len;
    }

    /** Throws a PROTOCOL_ERROR unless {@code n} more bytes are readable. */
    public static void need(ByteBuf in, int n, String what) {
        if (in.readableBytes() < n) {
            throw new ProtocolException(ErrorCode.PROTOCOL_ERROR,
                    "truncated frame: " + what + " needs " + n + " bytes, " + in.readableBytes() + " left");
        }
    }
}
