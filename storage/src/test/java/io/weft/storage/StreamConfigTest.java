package io.weft.storage;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StreamConfigTest {

    @Test
    void defaults() {
        StreamConfig c = StreamConfig.of("orders", "cloud", "orders.>");
        assertEquals(1, c.replicas());
        assertEquals(Duration.ofMinutes(2), c.dedupeWindow());
        assertEquals(Duration.ZERO, c.maxAge());
        assertEquals(List.of("orders.>"), c.subjects());
    }

    @Test
    void errorsNameTheField() {
        assertField("name", () -> StreamConfig.of("bad name", "cloud", "a"));
        assertField("name", () -> StreamConfig.of("x".repeat(65), "cloud", "a"));
        assertField("subjects", () -> StreamConfig.of("s", "cloud"));
        assertField("subjects[1]", () -> StreamConfig.of("s", "cloud", "a", "a.>.b"));
        assertField("subjects[0]", () -> StreamConfig.of("s", "cloud", "_weft.inbox.>"));
        assertField("replicas", () -> StreamConfig.of("s", "cloud", "a").withReplicas(2));
        assertField("site", () -> StreamConfig.of("s", " ", "a"));
        assertField("maxAge", () -> StreamConfig.of("s", "c", "a").withMaxAge(Duration.ofSeconds(-1)));
        assertField("maxBytes", () -> StreamConfig.of("s", "c", "a").withMaxBytes(-1));
        assertField("maxEvents", () -> StreamConfig.of("s", "c", "a").withMaxEvents(-1));
        assertField("dedupeWindow", () -> StreamConfig.of("s", "c", "a").withDedupeWindow(null));
        assertTrue(assertThrows(InvalidStreamConfigException.class,
                () -> StreamConfig.of("s", "cloud", "a", "a.>.b")).getMessage().contains("'>'"));
        StreamConfig.of("Ok_name-1", "cloud", "a").withReplicas(5); // valid
    }

    @Test
    void overlappingStreams() {
        StreamConfig orders = StreamConfig.of("orders", "cloud", "orders.>");
        StreamConfig eu = StreamConfig.of("eu", "cloud", "payments.*", "orders.eu.*");
        StreamConfig payments = StreamConfig.of("payments", "cloud", "payments.>");
        assertTrue(orders.overlaps(eu));
        assertEquals("'orders.>' overlaps 'orders.eu.*' of stream eu", orders.overlappingSubjects(eu));
        assertFalse(orders.overlaps(payments));
        assertNull(orders.overlappingSubjects(payments));
    }

    @Test
    void consumerConfigAndStartPositions() {
        assertField("ackWait", () -> new ConsumerConfig("c", StartPosition.first(), 0, 1, null));
        assertField("deadLetterTopic", () -> new ConsumerConfig("c", StartPosition.first(), 1, 1, "a.*"));
        assertField("consumer name", () -> new ConsumerConfig("c c", StartPosition.first(), 1, 1, null));
        assertField("start", () -> StartPosition.parse("middle"));
        assertEquals(StartPosition.seq(7), StartPosition.parse("seq:7"));
        assertEquals(StartPosition.time(1000), StartPosition.parse("time:1000"));
        assertEquals(StartPosition.time(0), StartPosition.parse("time:1970-01-01T00:00:00Z"));
        assertEquals(StartPosition.last(), StartPosition.parse("last"));
        assertEquals("seq:7", StartPosition.seq(7).toString());
    }

    private static void assertField(String field, Runnable r) {
        InvalidStreamConfigException e = assertThrows(InvalidStreamConfigException.class, r::run);
        assertEquals(field, e.field(), e.getMessage());
        assertTrue(e.getMessage().startsWith(field + ": "), e.getMessage());
    }
}
