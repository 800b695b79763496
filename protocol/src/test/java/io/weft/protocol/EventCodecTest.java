package io.weft.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Random;
import org.junit.jupiter.api.Test;

class EventCodecTest {
    static CloudEvent full() {
        return CloudEventBuilder.v1()
                .withId("evt-1")
                .withSource(URI.create("/shop/eu"))
                .withType("com.example.order.created")
                .withSubject("order/42")
                .withTime(OffsetDateTime.of(2026, 11, 24, 18, 0, 0, 123_000_000, ZoneOffset.ofHours(2)))
                .withDataContentType("application/json")
                .withDataSchema(URI.create("https://example.com/order.json"))
                .withExtension("tenant", "acme")
                .withExtension("priority", 7)
                .withExtension("urgent", true)
                .withExtension("blob", new byte[] {1, 2, 3})
                .withExtension("ref", URI.create("https://example.com/x"))
                .withData("{\"id\":42}".getBytes(StandardCharsets.UTF_8))
                .build();
    }

    @Test
    void readsOneAttributeInPlaceAsCesqlSeesIt() {
        ByteBuf buf = Unpooled.buffer();
        buf.writeBytes(new byte[] {9, 9, 9}); // the event need not start at 0
        EventCodec.encode(full(), buf);
        int at = 3;
        assertEquals("1.0", EventCodec.attribute(buf, at, "specversion"));
        assertEquals("evt-1", EventCodec.attribute(buf, at, "id"));
        assertEquals("/shop/eu", EventCodec.attribute(buf, at, "source"));
        assertEquals("com.example.order.created", EventCodec.attribute(buf, at, "type"));
        assertEquals("order/42", EventCodec.attribute(buf, at, "subject"));
        assertEquals("2026-11-24T18:00:00.123+02:00", EventCodec.attribute(buf, at, "time"));
        assertEquals("application/json", EventCodec.attribute(buf, at, "datacontenttype"));
        assertEquals("https://example.com/order.json", EventCodec.attribute(buf, at, "dataschema"));
        assertEquals("acme", EventCodec.attribute(buf, at, "tenant"));
        assertEquals(7, EventCodec.attribute(buf, at, "priority"));
        assertEquals(true, EventCodec.attribute(buf, at, "urgent"));
        assertEquals("AQID", EventCodec.attribute(buf, at, "blob"));
        assertEquals("https://example.com/x", EventCodec.attribute(buf, at, "ref"));
        assertNull(EventCodec.attribute(buf, at, "missing"));
        assertNull(EventCodec.attribute(buf, at, "data"), "data is not an attribute");
        assertEquals(0, buf.readerIndex());

        ByteBuf bare = Unpooled.buffer();
        EventCodec.encode(CloudEventBuilder.v1().withId("1").withSource(URI.create("/s")).withType("t").build(), bare);
        assertNull(EventCodec.attribute(bare, 0, "subject"));
        assertNull(EventCodec.attribute(bare, 0, "time"));
        assertNull(EventCodec.attribute(bare, 0, "tenant"));
    }

    @Test
    void roundTripsEveryAttributeAndExtension() {
        CloudEvent e = full();
        ByteBuf buf = Unpooled.buffer();
        EventCodec.encode(e, buf);
        EventCodec.validate(buf, buf.readableBytes());
        CloudEvent back = EventCodec.decode(buf);
        assertEquals(0, buf.readableBytes());
        assertEquals(e.getId(), back.getId());
        assertEquals(e.getSource(), back.getSource());
        assertEquals(e.getType(), back.getType());
        assertEquals(e.getSubject(), back.getSubject());
        assertEquals(e.getTime().toInstant(), back.getTime().toInstant());
        assertEquals(e.getDataContentType(), back.getDataContentType());
        assertEquals(e.getDataSchema(), back.getDataSchema());
        assertEquals("acme", back.getExtension("tenant"));
        assertEquals(7, back.getExtension("priority"));
        assertEquals(true, back.getExtension("urgent"));
        assertArrayEquals(new byte[] {1, 2, 3}, (byte[]) back.getExtension("blob"));
        assertEquals(URI.create("https://example.com/x"), back.getExtension("ref"));
        assertArrayEquals(e.getData().toBytes(), back.getData().toBytes());
    }

    @Test
    void minimalEventHasNoOptionalAttributes() {
        CloudEvent e = CloudEventBuilder.v1().withId("1").withSource(URI.create("/s")).withType("t").build();
        ByteBuf buf = Unpooled.buffer();
        EventCodec.encode(e, buf);
        assertNull(EventCodec.readData(buf));
        CloudEvent back = EventCodec.decode(buf);
        assertNull(back.getData());
        assertNull(back.getSubject());
        assertEquals("t", back.getType());
    }

    @Test
    void readDataSkipsAttributesWithoutDecoding() {
        ByteBuf buf = Unpooled.buffer();
        EventCodec.encode(full(), buf);
        int before = buf.readerIndex();
        assertArrayEquals("{\"id\":42}".getBytes(StandardCharsets.UTF_8), EventCodec.readData(buf));
        assertEquals(before, buf.readerIndex());
    }

    @Test
    void everyTruncationIsRejectedByValidateAndDecode() {
        ByteBuf buf = Unpooled.buffer();
        EventCodec.encode(full(), buf);
        int len = buf.readableBytes();
        for (int cut = 0; cut < len; cut++) {
            ByteBuf part = buf.slice(0, cut);
            assertThrows(ProtocolException.class, () -> EventCodec.validate(part, part.readableBytes()), "cut " + cut);
            assertThrows(ProtocolException.class, () -> EventCodec.decode(part.duplicate()), "cut " + cut);
        }
    }

    @Test
    void randomBytesNeverEscapeAsAnythingButProtocolException() {
        long seed = 42;
        Random r = new Random(seed);
        for (int i = 0; i < 20_000; i++) {
            byte[] junk = new byte[r.nextInt(64)];
            r.nextBytes(junk);
            if (junk.length > 0 && r.nextBoolean()) {
                junk[0] = EventCodec.SPEC_1_0;
            }
            ByteBuf b = Unpooled.wrappedBuffer(junk);
            try {
                EventCodec.validate(b, b.readableBytes());
                EventCodec.decode(b);
            } catch (ProtocolException expected) {
                // the only acceptable failure
            }
        }
    }

    @Test
    void encodeRejectsMissingRequiredAttributes() {
        ProtocolException e = assertThrows(ProtocolException.class, () -> EventCodec.encode(
                CloudEventBuilder.v1().withId("").withSource(URI.create("/s")).withType("t").build(), Unpooled.buffer()));
        assertEquals(ErrorCode.INVALID_EVENT, e.code());
    }
}
