package io.weft.routing.sim;

import io.weft.routing.filter.Attributes;
import io.weft.routing.filter.MapAttributes;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * One simulated event: its topic and the CloudEvents attributes the filters of {@link SimFilters}
 * read. Types, sources and amounts are spread so that every filter accepts some events and rejects
 * others, and one event in ten has no {@code amount} at all (a missing attribute fails a CESQL
 * filter, even {@code amount < 50}, whose zero value would pass).
 *
 * @param amount the integer extension {@code amount}, 0..999, or null when the event has none
 */
record SimEvent(String topic, String id, String type, String source, Integer amount) {
    static final List<String> TYPES = List.of("com.example.order.created", "com.example.order.paid",
            "com.example.order.cancelled");
    static final List<String> SOURCES = List.of("/eu/shop", "/eu/billing", "/us/shop", "/apac/shop");

    static SimEvent random(String topic, long number, SplittableRandom random) {
        String type = TYPES.get(random.nextInt(TYPES.size()));
        String source = SOURCES.get(random.nextInt(SOURCES.size()));
        Integer amount = random.nextInt(10) == 0 ? null : random.nextInt(1000);
        return new SimEvent(topic, "e" + number, type, source, amount);
    }

    /** The attributes as the filter engine reads them (the broker reads the same off the encoded event). */
    Attributes attributes() {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("specversion", "1.0");
        values.put("id", id);
        values.put("type", type);
        values.put("source", source);
        if (amount != null) {
            values.put("amount", amount);
        }
        return MapAttributes.of(values);
    }

    @Override
    public String toString() {
        return id + " '" + topic + "' (" + type + ", " + source + ", amount " + amount + ")";
    }
}
