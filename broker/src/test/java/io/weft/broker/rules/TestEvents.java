package io.weft.broker.rules;

import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;

/** Events for the rules tests. */
final class TestEvents {
    static final OffsetDateTime TIME = OffsetDateTime.parse("2026-03-01T12:00:00Z");

    private TestEvents() {
    }

    /** An order event with every core attribute, two extensions and {@code json} as data. */
    static CloudEvent order(String json) {
        return base().withDataContentType("application/json").withData(json.getBytes(StandardCharsets.UTF_8))
                .build();
    }

    static CloudEventBuilder base() {
        return CloudEventBuilder.v1()
                .withId("e-1")
                .withSource(URI.create("/shop/orders"))
                .withType("orders.created")
                .withSubject("A-1")
                .withTime(TIME)
                .withDataSchema(URI.create("https://schemas.example/order.json"))
                .withExtension("tenant", "acme")
                .withExtension("priority", 5);
    }
}
