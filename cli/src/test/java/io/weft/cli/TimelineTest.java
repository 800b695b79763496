package io.weft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TimelineTest {
    private static final long MS = 1_000_000L;

    @Test
    void eachIntervalKeepsItsWorstLatencyAndLatenessByScheduledTime() {
        long start = 5_000 * MS;
        Timeline t = new Timeline(start, 100 * MS);
        t.arrived(start + 10 * MS, 7_000);
        t.arrived(start + 90 * MS, 9_000);
        t.published(start + 90 * MS, 2_000);
        t.arrived(start + 250 * MS, 250_000); // a stall in the third interval
        t.published(start + 250 * MS, 1_000);
        t.arrived(start - 1, 1_000_000); // before the run: not recorded
        t.arrived(start + Timeline.MAX_BUCKETS * 100 * MS, 1_000_000); // past the bound: not recorded

        List<Map<String, Object>> b = t.buckets();
        assertEquals(2, b.size(), b.toString());
        assertEquals(0.0, b.get(0).get("atMillis"));
        assertEquals(2L, b.get(0).get("events"));
        assertEquals(9.0, b.get(0).get("maxLatencyMicros"));
        assertEquals(2.0, b.get(0).get("maxLateMicros"));
        assertEquals(200.0, b.get(1).get("atMillis"));
        assertEquals(250.0, b.get(1).get("maxLatencyMicros"));

        List<Map<String, Object>> worst = t.worst(1);
        assertEquals(1, worst.size());
        assertEquals(200.0, worst.get(0).get("atMillis"));
    }

    @Test
    void anIntervalMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> new Timeline(0, 0));
    }
}
