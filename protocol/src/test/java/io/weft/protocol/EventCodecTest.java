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
