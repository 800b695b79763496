package io.weft.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.routing.RouteTable.Target;
import io.weft.routing.filter.EventFilters;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Filters in the route table: who gets an event only when a filter accepts it, and who always does. */
class RouteTableFilterTest {
    private static final String BIG = EventFilters.sql("amount > 100").canonical();
    private static final String EU = EventFilters.parse("[{\"prefix\":{\"source\":\"/eu\"}}]").canonical();

    private static RouteDecision publish(RouteTable t, String topic) {
        return t.route(topic, Origin.LOCAL, Set.of(), Set.of(), site -> site + "-gw", new SplittableRandom(1));
    }

    @Test
    void aDestinationReachedOnlyThroughFiltersIsConditionalOnAnyOfThem() {
        RouteTable t = new RouteTable(64);
        t.add(Target.node("n2"), new InterestEntry("orders.>", null, BIG));
        t.add(Target.node("n2"), new InterestEntry("orders.*", null, EU));
        t.add(Target.site("onprem"), new InterestEntry("orders.>", null, EU));
        RouteDecision d = publish(t, "orders.eu");
        assertEquals(Set.of("n2"), d.routeForwards().keySet());
        assertEquals(Map.of("n2", List.of(BIG, EU).stream().sorted().toList()), d.routeConditions());
        assertEquals(Map.of("onprem", List.of(EU)), d.gatewayConditions());
        assertTrue(d.conditional());
        // only the filter whose pattern matches counts
        assertEquals(Map.of("n2", List.of(BIG)), publish(t, "orders.eu.created").routeConditions());
    }

    @Test
    void anEntryWithoutAFilterMakesItUnconditionalAndRemovalRestoresTheCondition() {
        RouteTable t = new RouteTable(64);
        InterestEntry filtered = new InterestEntry("orders.>", null, BIG);
        InterestEntry plain = InterestEntry.plain("orders.eu");
        t.add(Target.node("n2"), filtered);
        t.add(Target.node("n2"), plain);
        RouteDecision d = publish(t, "orders.eu");
        assertEquals(Set.of("n2"), d.routeForwards().keySet());
        assertFalse(d.conditional(), "n2 has a subscriber without a filter");
        t.remove(Target.node("n2"), plain);
        assertEquals(Map.of("n2", List.of(BIG)), publish(t, "orders.eu").routeConditions());
        // the same pattern with two filters is two elements: removing one keeps the other
        t.add(Target.node("n2"), new InterestEntry("orders.>", null, EU));
        t.remove(Target.node("n2"), filtered);
        assertEquals(Map.of("n2", List.of(EU)), publish(t, "orders.eu").routeConditions());
    }

    @Test
    void aDestinationThatPlacesAQueueGroupIsNeverConditional() {
        RouteTable t = new RouteTable(64);
        t.add(Target.node("n2"), new InterestEntry("orders.>", null, BIG));
        t.add(Target.node("n2"), new InterestEntry("orders.>", "billing"));
        RouteDecision d = publish(t, "orders.eu");
        assertEquals(Map.of("n2", Set.of("billing")), d.routeForwards());
        assertFalse(d.conditional(), "n2 must get the event for its queue group whatever the filter says");
    }
}
