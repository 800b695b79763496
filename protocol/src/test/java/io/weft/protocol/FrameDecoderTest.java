package io.weft.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

class FrameDecoderTest {
    /**
     * A busy connection: sixteen 64 KiB reads per wake-up, each ending in the middle of a frame. The
     * decoder's buffer must stay near one read's size instead of growing, a reallocation and a copy
     * at a time, to hold sixteen reads (1 MiB) and then dropping back.
     */
    @Test
    void theBufferStaysSmallWhenReadsEndInsideFrames() {
        FrameDecoder decoder = new FrameDecoder(1 << 20);
        int frameBody = 297; // 4 + 297 bytes a frame: reads of 64 KiB split frames at shifting places
        int[] decoded = {0};
        // like the client and the broker: each frame is handled and released while the read is decoded
        EmbeddedChannel ch = new EmbeddedChannel(decoder, new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ByteBuf f = (ByteBuf) msg;
                try {
                    assertEquals(frameBody, f.readableBytes());
                    assertEquals(decoded[0] & 0x7f, f.getByte(0), "frame " + decoded[0]);
                    decoded[0]++;
                } finally {
                    f.release();
                }
            }
        });
        int frames = 0;
        int maxCapacity = 0;
        ByteBuf stream = Unpooled.buffer();
        for (int read = 0; read < 300; read++) {
            while (stream.readableBytes() < 65536) {
                stream.writeInt(frameBody);
                for (int i = 0; i < frameBody; i++) {
                    stream.writeByte((frames + i) & 0x7f);
                }
                frames++;
            }
            ByteBuf chunk = Unpooled.buffer(65536);
            stream.readBytes(chunk, 65536);
            stream.discardReadBytes();
            // an event loop reads up to 16 times from a busy socket before it signals the end of a read
            ch.pipeline().fireChannelRead(chunk);
            if (read % 16 == 15) {
                ch.pipeline().fireChannelReadComplete();
            }
            maxCapacity = Math.max(maxCapacity, decoder.bufferCapacity());
        }
        assertTrue(decoded[0] > 60_000, "decoded " + decoded[0]);
        assertTrue(maxCapacity <= 256 * 1024, "the decoder's buffer grew to " + maxCapacity + " bytes");
        stream.release();
        ch.finishAndReleaseAll();
    }
}
