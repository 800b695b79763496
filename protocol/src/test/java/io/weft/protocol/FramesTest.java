package io.weft.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import java.util.List;
import org.junit.jupiter.api.Test;

class FramesTest {
    private static ByteBuf body(ByteBuf frame, byte type) {
        assertEquals(frame.readableBytes() - 4, frame.readInt());
        assertEquals(type, frame.readByte());
        return frame;
    }

    @Test
    void helloInfoRoundTrip() {
        ByteBuf b = Unpooled.buffer();
        Frames.writeHello(b, new Hello(1, 3, "app", "cloud"));
        Hello h = Frames.readHello(body(b, FrameType.HELLO));
        assertEquals(new Hello(1, 3, "app", "cloud"), h);
        assertEquals(1, Frames.negotiate(h));

        Info info = new Info(1, "dev", "n1", "cloud", 1 << 20, true,
                List.of(new NodeAddress("n1", "cloud", "127.0.0.1:7420", true)));
        ByteBuf i = Unpooled.buffer();
        Frames.writeInfo(i, info);
        assertEquals(info, Frames.readInfo(body(i, FrameType.INFO)));
    }

    @Test
    void negotiationFailsWithBothRangesNamed() {
        ProtocolException e = assertThrows(ProtocolException.class, () -> Frames.negotiate(new Hello(7, 9, "x", "")));
        assertEquals(ErrorCode.UNSUPPORTED_VERSION, e.code());
        assertTrue(e.getMessage().contains("7..9"), e.getMessage());
    }

    @Test
    void badMagicIsRejected() {
        ByteBuf b = Unpooled.buffer();
        b.writeInt(0x47455420).writeByte(1).writeByte(1).writeShort(0).writeShort(0);
        assertEquals(ErrorCode.PROTOCOL_ERROR, assertThrows(ProtocolException.class, () -> Frames.readHello(b)).code());
    }

    @Test
    void subErrRoundTrip() {
        ByteBuf s = Unpooled.buffer();
        Frames.writeSub(s, 7, "orders.>", null);
        assertEquals(new Frames.Sub(7, "orders.>", null), Frames.readSub(body(s, FrameType.SUB)));
        ByteBuf e = Unpooled.buffer();
        Frames.writeErr(e, ErrorCode.SLOW_CONSUMER, 3, "too slow");
        ErrorFrame f = Frames.readErr(body(e, FrameType.ERR));
        assertEquals(ErrorCode.SLOW_CONSUMER, f.code());
        assertEquals(3, f.ref());
        assertEquals("too slow", f.message());
    }

    @Test
    void msgSharesThePubBody() {
        ByteBuf pub = Unpooled.buffer();
        Frames.writePub(pub, "orders.eu", EventCodecTest.full());
        ByteBuf pubBody = body(pub, FrameType.PUB);
        ByteBuf msg = Unpooled.buffer();
        Frames.writeMsg(msg, 9, pubBody);
        ByteBuf m = body(msg, FrameType.MSG);
        assertEquals(9, m.readInt());
        assertEquals("orders.eu", Wire.readStr16(m));
        assertEquals("evt-1", EventCodec.decode(m).getId());
    }

    @Test
    void pubRejectsInvalidTopicBeforeWriting() {
        ByteBuf b = Unpooled.buffer();
        assertThrows(InvalidTopicException.class, () -> Frames.writePub(b, "bad topic", EventCodecTest.full()));
        assertEquals(0, b.readableBytes());
    }

    @Test
    void decoderSplitsFramesDeliveredByteByByte() {
        EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(1024));
        ByteBuf b = Unpooled.buffer();
        Frames.writePing(b, 1);
        Frames.writePong(b, 2);
        while (b.isReadable()) {
            ch.writeInbound(b.readRetainedSlice(1));
        }
        ByteBuf f1 = ch.readInbound();
        ByteBuf f2 = ch.readInbound();
        assertEquals(FrameType.PING, f1.readByte());
        assertEquals(1, Frames.readToken(f1));
        assertEquals(FrameType.PONG, f2.readByte());
        assertEquals(2, Frames.readToken(f2));
        assertNull(ch.readInbound());
        f1.release();
        f2.release();
        b.release();
        assertFalse(ch.finish());
    }

    @Test
    void decoderRejectsAHugeLengthPrefixWithoutBuffering() {
        EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(1024));
        ByteBuf b = Unpooled.buffer();
        b.writeInt(Integer.MAX_VALUE).writeByte(FrameType.PUB);
        DecoderException e = assertThrows(DecoderException.class, () -> ch.writeInbound(b));
        ProtocolException p = assertInstanceOf(ProtocolException.class, e.getCause());
        assertEquals(ErrorCode.FRAME_TOO_LARGE, p.code());
    }

    @Test
    void decoderRejectsZeroLength() {
        EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(1024));
        DecoderException e = assertThrows(DecoderException.class, () -> ch.writeInbound(Unpooled.buffer().writeInt(0)));
        assertEquals(ErrorCode.PROTOCOL_ERROR, ((ProtocolException) e.getCause()).code());
    }
}
