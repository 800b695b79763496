package io.weft.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.jackson.JsonFormat;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.weft.protocol.EventCodec;
import io.weft.storage.StoredEvent;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.util.List;
import org.junit.jupiter.api.Test;

class StreamJsonTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static StoredEvent stored(long seq, CloudEvent ce) {
        ByteBuf b = Unpooled.buffer();
        EventCodec.encode(ce, b);
        return new StoredEvent(seq, 1_700_000_000_000L + seq, "orders.eu", ByteBufUtil.getBytes(b));
    }

    /** The events of a page are the CloudEvents JSON format's own output, whatever their data. */
    @Test
    void aPageHoldsEachEventInTheCloudEventsJsonFormat() throws Exception {
        CloudEventBuilder base = CloudEventBuilder.v1().withSource(URI.create("/shop")).withType("order.created");
        List<CloudEvent> events = List.of(
                base.newBuilder().withId("binary").withData("application/octet-stream", new byte[] {0, 1, 2, (byte) 255}).build(),
                base.newBuilder().withId("json").withData("application/json",
                        "{\"amount\": 120, \"items\": [1, 2]}".getBytes(StandardCharsets.UTF_8)).build(),
                base.newBuilder().withId("text").withData("text/plain", "héllo \"quoted\"".getBytes(StandardCharsets.UTF_8))
                        .withExtension("tenant", "acme").withSubject("s-1")
                        .withTime(OffsetDateTime.parse("2026-12-06T10:00:00Z")).build(),
                base.newBuilder().withId("empty").build());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = JSON.getFactory().createGenerator(out)) {
            g.writeStartArray();
            long seq = 1;
            for (CloudEvent ce : events) {
                StreamJson.writeEvent(g, stored(seq++, ce), seq == 3 ? 2 : 0);
            }
            g.writeEndArray();
        }
        JsonNode page = JSON.readTree(out.toByteArray());
        assertEquals(events.size(), page.size());
        JsonFormat format = new JsonFormat();
        for (int i = 0; i < events.size(); i++) {
            JsonNode e = page.get(i);
            assertEquals(i + 1, e.path("seq").asLong());
            assertEquals("orders.eu", e.path("topic").asText());
            assertEquals(JSON.readTree(format.serialize(events.get(i))), e.path("event"), "event " + i);
        }
        assertEquals(2, page.get(1).path("deliveryCount").asInt());
        assertEquals(true, page.get(1).path("redelivered").asBoolean());
    }
}
