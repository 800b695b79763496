package io.weft.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.routing.net.Members;
import io.weft.routing.net.NodeInfo;
import io.weft.routing.net.ViewCheck;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Readiness from the view check: strict while starting, tolerant of short disagreements once ready. */
class MeshHealthTest {
    private static final long SECOND = 1_000_000_000L;
    private final MeshHealth health = new MeshHealth("a1", "A");

    private static NodeInfo node(String name) {
        return new NodeInfo(name, "A", 1, "h:1", "h:2", "h:3", "h:4", "h:5");
    }

    private static ViewCheck.Observed linked(boolean routeUp) {
        Members m = new Members(Map.of("a1", node("a1"), "a2", node("a2")), List.of());
        Set<String> up = routeUp ? Set.of("a2") : Set.of();
        return new ViewCheck.Observed(m, up, Set.of(), Map.of(), up, Set.of());
    }

    @Test
    void aStartingNodeIsReadyOnlyWhenJoinedSeededSyncedAndConsistent() {
        health.check(linked(true), false, true, true, 0);
        assertEquals("starting", health.status().state());
        assertEquals(List.of("membership not joined yet"), health.status().reasons());
        health.check(linked(false), true, true, true, SECOND);
        assertEquals("starting", health.status().state(), "a live site peer without a route link");
        assertTrue(health.status().reasons().get(0).contains("no route link"), health.status().reasons().toString());
        health.check(linked(true), true, true, false, 2 * SECOND);
        assertEquals(List.of("interest not synced with every site yet"), health.status().reasons());
        health.check(linked(true), true, true, true, 3 * SECOND);
        assertTrue(health.status().ready());
        assertEquals(List.of(), health.status().reasons());
    }

    @Test
    void aReadyNodeTurnsDegradedOnlyWhenADisagreementIsStuckAndRecovers() {
        health.check(linked(true), true, true, true, 0);
        assertTrue(health.status().ready());
        // a peer's link dropped: the failure detector may still be deciding
        List<ViewCheck.Problem> due = health.check(linked(false), true, true, true, SECOND);
        assertTrue(health.status().ready(), "a short disagreement does not take the node out");
        assertEquals(1, health.status().problems().size());
        assertEquals(List.of(), due);
        due = health.check(linked(false), true, true, true, 11 * SECOND);
        assertEquals("degraded", health.status().state());
        assertEquals(1, health.status().stuck());
        assertTrue(health.status().reasons().get(0).contains("(for 10 s)"), health.status().reasons().toString());
        assertEquals(1, due.size(), "a stuck problem is repaired");
        assertEquals(1, health.problemsByKind().get(ViewCheck.Kind.NO_ROUTE));
        health.repaired("redial");
        assertEquals(Map.of("redial", 1L), health.repairs());
        health.check(linked(true), true, true, true, 12 * SECOND);
        assertTrue(health.status().ready());
        assertEquals(0, health.status().stuck());
    }
}
