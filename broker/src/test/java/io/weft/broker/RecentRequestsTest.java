package io.weft.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class RecentRequestsTest {
    @Test
    void drainsWhatWasSentAfterTheCutoffOldestFirstAndForgets() {
        RecentRequests r = new RecentRequests(8);
        r.add("a", 100);
        r.add("b", 200);
        r.add("c", 300);
        assertEquals(List.of("b", "c"), r.drainSentAfter(150));
        assertEquals(List.of(), r.drainSentAfter(0), "drained: nothing is told twice");
    }

    @Test
    void keepsOnlyTheLastCapacityRequests() {
        RecentRequests r = new RecentRequests(3);
        for (int i = 1; i <= 7; i++) {
            r.add("r" + i, i);
        }
        assertEquals(List.of("r5", "r6", "r7"), r.drainSentAfter(0));
        r.add("r8", 8);
        assertEquals(List.of("r8"), r.drainSentAfter(0));
    }
}
