package io.weft.broker;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.ssl.SslHandler;
import io.weft.protocol.ErrorCode;
import io.weft.protocol.FrameType;
import io.weft.protocol.Frames;
import java.util.List;

/**
 * First on the client port of a node that runs TLS: looks at the first bytes a connection sends. A TLS record
 * goes on to the TLS handler (this handler leaves the pipeline); a plaintext Weft HELLO is answered, in
 * plaintext, with ERR {@link ErrorCode#TLS_REQUIRED}, so the client can say what is wrong instead of "connection
 * closed"; anything else is closed. Nothing is ever read in plaintext past the first frame's header.
 */
final class TlsRequired extends ByteToMessageDecoder {
    /** u32 length, u8 type, u32 magic: enough to tell a plaintext HELLO from a TLS record. */
    private static final int PROBE_BYTES = 9;

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (in.readableBytes() < PROBE_BYTES) {
            return;
        }
        if (SslHandler.isEncrypted(in, false)) {
            ctx.pipeline().remove(this); // the cumulated bytes go on to the TLS handler
            return;
        }
        boolean hello = in.getByte(in.readerIndex() + 4) == FrameType.HELLO
                && in.getInt(in.readerIndex() + 5) == Frames.MAGIC;
        in.skipBytes(in.readableBytes());
        if (!hello) {
            ctx.close();
            return;
        }
        ByteBuf err = ctx.alloc().buffer(128);
        Frames.writeErr(err, ErrorCode.TLS_REQUIRED, 0,
                "this broker requires TLS: connect with TLS and the mesh's CA certificate");
        ctx.writeAndFlush(err).addListener(ChannelFutureListener.CLOSE);
    }
}
