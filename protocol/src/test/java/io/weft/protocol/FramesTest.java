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
        assertEquals(3, Frames.negotiate(h), "the highest version both speak");
        assertEquals(2, Frames.negotiate(new Hello(1, 2, "v2", "")), "a version-2 client gets version 2");
        assertEquals(1, Frames.negotiate(new Hello(1, 1, "old", "")), "a version-1 client still gets version 1");

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
        assertEquals(new Frames.Sub(7, "orders.>", null, null), Frames.readSub(body(s, FrameType.SUB)));
        ByteBuf withFilter = Unpooled.buffer();
        Frames.writeSub(withFilter, 8, "orders.>", null, "amount > 100");
        assertEquals(new Frames.Sub(8, "orders.>", null, "amount > 100"), Frames.readSub(body(withFilter, FrameType.SUB)),
                "protocol 4: the filter goes last");
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

    @Test
    void readAndEventsRoundTrip() {
        ByteBuf r = Unpooled.buffer();
        Frames.writeRead(r, 9, "orders", 42, 1000);
        assertEquals(new Frames.Read(9, "orders", 42, 1000), Frames.readRead(body(r, FrameType.READ)));

        EventPage.Writer w = new EventPage.Writer(20 + EventPage.entryBytes(new byte[3], 2));
        w.add(42, 1_700_000_000_000L, "a.b".getBytes(java.nio.charset.StandardCharsets.UTF_8), new byte[] {1, 2});
        byte[] page = w.finish(50, 42);
        ByteBuf e = Unpooled.buffer();
        Frames.writeEvents(e, 9, 200, page);
        ByteBuf eb = body(e, FrameType.EVENTS);
        Frames.EventsHeader h = Frames.readEventsHeader(eb);
        assertEquals(new Frames.EventsHeader(9, 200, page.length), h);
        EventPage.Page p = EventPage.read(eb, h.length());
        assertEquals(50, p.lastSeq());
        assertEquals(43, p.next());
        assertEquals(1, p.entries().size());
        EventPage.Entry entry = p.entries().get(0);
        assertEquals(42, entry.seq());
        assertEquals(1_700_000_000_000L, entry.timeMillis());
        assertEquals("a.b", entry.topic());
        assertEquals(List.of((byte) 1, (byte) 2), List.of(entry.event()[0], entry.event()[1]));
        assertEquals(0, eb.readableBytes());
    }

    @Test
    void readNeedsAPositionAndACount() {
        ByteBuf r = Unpooled.buffer();
        Frames.writeRead(r, 1, "orders", 0, 10);
        assertEquals(ErrorCode.PROTOCOL_ERROR,
                assertThrows(ProtocolException.class, () -> Frames.readRead(body(r, FrameType.READ))).code());
        ByteBuf c = Unpooled.buffer();
        Frames.writeRead(c, 1, "orders", 1, 0);
        assertEquals(ErrorCode.PROTOCOL_ERROR,
                assertThrows(ProtocolException.class, () -> Frames.readRead(body(c, FrameType.READ))).code());
    }

    @Test
    void anEmptyPageStartsWhereItWasAsked() {
        EventPage.Page p = EventPage.read(Unpooled.wrappedBuffer(new EventPage.Writer(20).finish(7, 8)), 20);
        assertEquals(new EventPage.Page(7, 8, List.of()), p);
    }

    @Test
    void malformedPagesAreRefusedNotAllocated() {
        // a count no page of this size can hold
        ByteBuf huge = Unpooled.buffer().writeLong(1).writeLong(1).writeInt(Integer.MAX_VALUE);
        assertEquals(ErrorCode.PROTOCOL_ERROR,
                assertThrows(ProtocolException.class, () -> EventPage.read(huge, 20)).code());
        // an entry whose length runs past the page
        ByteBuf over = Unpooled.buffer().writeLong(1).writeLong(2).writeInt(1)
                .writeLong(1).writeLong(0).writeShort(0).writeInt(1000).writeByte(0);
        assertEquals(ErrorCode.PROTOCOL_ERROR,
                assertThrows(ProtocolException.class, () -> EventPage.read(over, over.readableBytes())).code());
        // bytes after the last entry
        ByteBuf trailing = Unpooled.buffer().writeLong(1).writeLong(1).writeInt(0).writeByte(9);
        assertEquals(ErrorCode.PROTOCOL_ERROR,
                assertThrows(ProtocolException.class, () -> EventPage.read(trailing, 21)).code());
    }

    @Test
    void aWriterMustBeFilledExactly() {
        EventPage.Writer w = new EventPage.Writer(100);
        assertThrows(IllegalStateException.class, () -> w.finish(0, 1));
    }

    @Test
    void version3InfoCarriesAuthAndOlderVersionsDoNot() {
        List<NodeAddress> nodes = List.of(new NodeAddress("n1", "cloud", "127.0.0.1:7420", true));
        Info v3 = new Info(3, "dev", "n1", "cloud", 1 << 20, true, nodes, true, "password,token");
        ByteBuf b = Unpooled.buffer();
        Frames.writeInfo(b, v3);
        assertEquals(v3, Frames.readInfo(body(b, FrameType.INFO)));
        // a version-2 INFO is byte for byte what version 2 wrote: the auth fields are not there
        ByteBuf two = Unpooled.buffer();
        Frames.writeInfo(two, new Info(2, "dev", "n1", "cloud", 1 << 20, true, nodes, true, "password"));
        ByteBuf old = Unpooled.buffer();
        Frames.writeInfo(old, new Info(2, "dev", "n1", "cloud", 1 << 20, true, nodes));
        assertEquals(old, two);
        assertFalse(Frames.readInfo(body(two, FrameType.INFO)).authRequired());
    }

    @Test
    void authRoundTripAndItsBytes() {
        ByteBuf b = Unpooled.buffer();
        Frames.writeAuth(b, new Frames.Auth(Frames.AUTH_PASSWORD, "al", "pw"));
        // length 10, type 0x03, method 1, str16 "al", str16 "pw"
        assertEquals("0000000a0301000261" + "6c00027077", io.netty.buffer.ByteBufUtil.hexDump(b));
        assertEquals(new Frames.Auth(Frames.AUTH_PASSWORD, "al", "pw"), Frames.readAuth(body(b, FrameType.AUTH)));
        assertFalse(new Frames.Auth(Frames.AUTH_TOKEN, "", "secret").toString().contains("secret"), "a secret in a log line");
    }
}
