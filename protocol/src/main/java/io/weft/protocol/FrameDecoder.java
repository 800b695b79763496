package io.weft.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * Splits the inbound byte stream into frames, emitting each frame (type byte first, then body) as a
 * retained slice of the cumulation, so decoding copies nothing. A length prefix above
 * {@code maxFrameBytes} (or below 1) raises {@link ProtocolException} before any body byte is
 * buffered, so a hostile 2 GiB prefix costs nothing.
 */
public final class FrameDecoder extends ByteToMessageDecoder {
    private final int maxFrameBytes;

    public FrameDecoder(int maxFrameBytes) {
        if (maxFrameBytes < 16) {
            throw new IllegalArgumentException("maxFrameBytes must be at least 16, was " + maxFrameBytes);
        }
        this.maxFrameBytes = maxFrameBytes;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (in.readableBytes() >= 4) {
            long length = in.getUnsignedInt(in.readerIndex());
            if (length < 1 || length > maxFrameBytes) {
                in.skipBytes(in.readableBytes());
                throw new ProtocolException(length < 1 ? ErrorCode.PROTOCOL_ERROR : ErrorCode.FRAME_TOO_LARGE,
                        "frame length " + length + " outside 1.." + maxFrameBytes);
            }
            if (in.readableBytes() < 4 + length) {
                return;
            }
            in.skipBytes(4);
            out.add(in.readRetainedSlice((int) length));
        }
    }
}
