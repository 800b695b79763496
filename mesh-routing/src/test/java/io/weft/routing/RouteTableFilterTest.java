package io.weft.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.routing.RouteTable.Target;
import io.weft.routing.filter.EventFilters;
import io.weft.routing.filter.MapAttributes;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
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

    // ------------------------------------------------------------ queue groups with filters

    private static final String G = "workers";

    /** An event with an integer {@code amount} and a {@code source}. */
    private static FilterVerdicts event(int amount, String source) {
        return new FilterVerdicts(MapAttributes.of(Map.of("id", "1", "source", source, "type", "t",
                "specversion", "1.0", "amount", amount)));
    }

    private static RouteDecision publish(RouteTable t, String topic, FilterVerdicts verdicts, SplittableRandom random) {
        return t.route(topic, Origin.LOCAL, Set.of(), null, site -> site + "-gw", random, verdicts);
    }

    private static RouteDecision publish(RouteTable t, String topic, FilterVerdicts verdicts) {
        return publish(t, topic, verdicts, new SplittableRandom(1));
    }

    /** Where group G went: "local", a node name, a site name as "site:S", or "none". */
    private static String placed(RouteDecision d) {
        if (d.localGroups().contains(G)) {
            return "local";
        }
        for (Map.Entry<String, Set<String>> e : d.routeForwards().entrySet()) {
            if (e.getValue().contains(G)) {
                return e.getKey();
            }
        }
        for (Map.Entry<String, Set<String>> e : d.gatewayForwards().entrySet()) {
            if (e.getValue().contains(G)) {
                return "site:" + e.getKey();
            }
        }
        return "none";
    }

    @Test
    void aGroupGoesOnlyToAMemberWhoseFilterAcceptsTheEvent() {
        RouteTable t = new RouteTable(64);
        t.add(Target.node("n2"), new InterestEntry("jobs.>", G, BIG));
        t.add(Target.node("n3"), new InterestEntry("jobs.>", G, EU));
        for (int i = 0; i < 50; i++) {
            SplittableRandom r = new SplittableRandom(i);
            assertEquals("n2", placed(publish(t, "jobs.x", event(500, "/us/1"), r)), "only n2's filter accepts it");
            assertEquals("n3", placed(publish(t, "jobs.x", event(5, "/eu/1"), r)), "only n3's filter accepts it");
        }
        // both accept: each gets a share
        Map<String, Integer> both = new TreeMap<>();
        SplittableRandom r = new SplittableRandom(7);
        for (int i = 0; i < 400; i++) {
            RouteDecision d = publish(t, "jobs.x", event(500, "/eu/1"), r);
            assertEquals(1, d.routeForwards().size(), "exactly one member");
            both.merge(placed(d), 1, Integer::sum);
        }
        assertEquals(Set.of("n2", "n3"), both.keySet());
        assertTrue(both.get("n2") > 120 && both.get("n3") > 120, "a fair share each: " + both);
        // a node that takes a group is never conditional, whatever its plain filters say
        assertFalse(publish(t, "jobs.x", event(500, "/us/1")).conditional());
    }

    @Test
    void aGroupNoMemberAcceptsGoesNowhereAndIsNotALoss() {
        RouteTable t = new RouteTable(64);
        t.add(Target.LOCAL, new InterestEntry("jobs.>", G, BIG));
        t.add(Target.node("n2"), new InterestEntry("jobs.>", G, BIG));
        t.add(Target.node("n3"), new InterestEntry("jobs.*", G, EU));
        t.add(Target.site("onprem"), new InterestEntry("jobs.>", G, EU));
        FilterVerdicts v = event(5, "/us/1");
        RouteDecision d = publish(t, "jobs.x", v);
        assertEquals("none", placed(d));
        assertTrue(d.staysLocal(), "nothing crosses a link for nobody");
        assertTrue(d.unroutableGroups().isEmpty(), "nobody accepting is not a loss");
        assertFalse(d.deliverLocal());
        assertEquals(2, v.evaluated(), "each distinct filter once, not once per member");
    }

    @Test
    void aMemberWithoutAFilterTakesWhatTheFilteredOnesReject() {
        RouteTable t = new RouteTable(64);
        t.add(Target.node("n2"), new InterestEntry("jobs.>", G, BIG));
        t.add(Target.node("n3"), new InterestEntry("jobs.>", G));
        SplittableRandom r = new SplittableRandom(3);
        Map<String, Integer> accepted = new TreeMap<>();
        for (int i = 0; i < 200; i++) {
            assertEquals("n3", placed(publish(t, "jobs.x", event(5, "/us/1"), r)));
            accepted.merge(placed(publish(t, "jobs.x", event(500, "/us/1"), r)), 1, Integer::sum);
        }
        assertEquals(Set.of("n2", "n3"), accepted.keySet(), "both take what both accept: " + accepted);
    }

    @Test
    void preferenceForTheOwnNodeAndSiteAppliesAmongAcceptingMembersOnly() {
        RouteTable t = new RouteTable(64);
        t.add(Target.LOCAL, new InterestEntry("jobs.>", G, BIG));
        t.add(Target.node("n2"), new InterestEntry("jobs.>", G, EU));
        t.add(Target.site("onprem"), new InterestEntry("jobs.>", G));
        assertEquals("local", placed(publish(t, "jobs.x", event(500, "/eu/1"))), "own node first");
        assertEquals("n2", placed(publish(t, "jobs.x", event(5, "/eu/1"))), "own node rejects: own site");
        RouteDecision remote = publish(t, "jobs.x", event(5, "/us/1"));
        assertEquals("site:onprem", placed(remote), "own site rejects: a site that accepts");
        assertEquals("onprem-gw", remote.gatewayNodes().get("onprem"));
        // the broker's own view of its members, when it gives one, is what counts for this node
        RouteDecision told = t.route("jobs.x", Origin.LOCAL, Set.of(), Set.of(), s -> s + "-gw",
                new SplittableRandom(1), event(500, "/eu/1"));
        assertEquals("n2", placed(told), "no local member takes it, says the broker");
    }

    @Test
    void remoteSitesAreChosenByTheGroupEntriesOfTheirAggregates() {
        RouteTable t = new RouteTable(64);
        t.add(Target.site("B"), new InterestEntry("jobs.>", G, BIG));
        t.add(Target.site("C"), new InterestEntry("jobs.>", G, EU));
        t.add(Target.site("C"), new InterestEntry("jobs.x", G, BIG)); // C: two entries, one site
        t.add(Target.site("D"), new InterestEntry("other.>", G));
        SplittableRandom r = new SplittableRandom(11);
        Map<String, Integer> big = new TreeMap<>();
        for (int i = 0; i < 300; i++) {
            assertEquals("site:C", placed(publish(t, "jobs.x", event(5, "/eu/1"), r)));
            assertEquals("site:B", placed(publish(t, "jobs.y", event(500, "/us/1"), r)), "C's BIG entry is jobs.x only");
            assertEquals("none", placed(publish(t, "jobs.x", event(5, "/us/1"), r)));
            big.merge(placed(publish(t, "jobs.x", event(500, "/eu/1"), r)), 1, Integer::sum);
        }
        assertEquals(Set.of("site:B", "site:C"), big.keySet());
        assertTrue(big.get("site:B") > 90 && big.get("site:C") > 90,
                "a site with two accepting entries counts once: " + big);
    }

    @Test
    void aGatewayReceiverPlacesTheGroupOnAMemberThatAccepts() {
        RouteTable t = new RouteTable(64);
        t.add(Target.LOCAL, new InterestEntry("jobs.>", G, BIG));
        t.add(Target.node("b2"), new InterestEntry("jobs.>", G, EU));
        t.add(Target.node("b3"), new InterestEntry("jobs.>", G, BIG));
        java.util.function.Function<FilterVerdicts, RouteDecision> atGateway = v -> t.route("jobs.x", Origin.GATEWAY,
                Set.of(G), null, s -> null, new SplittableRandom(1), v);
        assertEquals(Set.of(G), atGateway.apply(event(500, "/us/1")).localGroups());
        RouteDecision eu = atGateway.apply(event(5, "/eu/1"));
        assertEquals(Map.of("b2", Set.of(G)), eu.routeForwards(), "the local member rejects it: the peer that accepts");
        RouteDecision nobody = atGateway.apply(event(5, "/us/1"));
        assertEquals(Set.of(G), nobody.unroutableGroups(), "assigned but nobody here accepts: counted as lost");
        assertTrue(nobody.routeForwards().isEmpty());
        // a route receiver delivers what it was given; the broker picks the member that accepts
        RouteDecision viaRoute = t.route("jobs.x", Origin.ROUTE, Set.of(G), null, s -> null, new SplittableRandom(1),
                event(5, "/us/1"));
        assertEquals(Set.of(G), viaRoute.localGroups());
    }

    @Test
    void eachDistinctFilterIsEvaluatedOncePerEventAndOnlyWhenNeeded() {
        RouteTable t = new RouteTable(64);
        for (int i = 2; i <= 20; i++) {
            t.add(Target.node("n" + i), new InterestEntry("jobs.>", G, i % 2 == 0 ? BIG : EU));
            t.add(Target.node("n" + i), new InterestEntry("jobs.>", "other", BIG));
        }
        FilterVerdicts v = event(500, "/us/1");
        publish(t, "jobs.x", v);
        assertEquals(2, v.evaluated(), "two distinct filters over 38 member entries of two groups");
        // a group placed on this node evaluates no other member's filter
        t.add(Target.LOCAL, new InterestEntry("jobs.>", G));
        t.add(Target.LOCAL, new InterestEntry("jobs.>", "other"));
        FilterVerdicts local = event(500, "/us/1");
        RouteDecision d = publish(t, "jobs.x", local);
        assertEquals(Set.of(G, "other"), d.localGroups());
        assertEquals(0, local.evaluated());
    }

    @Test
    void withoutAnEventEveryFilteredMemberCountsAsAccepting() {
        RouteTable t = new RouteTable(64);
        t.add(Target.node("n2"), new InterestEntry("jobs.>", G, BIG));
        assertEquals("n2", placed(publish(t, "jobs.x")), "who could take an event on jobs.x: n2");
        assertEquals("none", placed(publish(t, "jobs.x", event(5, "/us/1"))));
    }

    @Test
    void aNodeWithSeveralEntriesInTheGroupIsOneCandidate() {
        RouteTable t = new RouteTable(64);
        t.add(Target.node("n2"), new InterestEntry("jobs.>", G, BIG));
        t.add(Target.node("n2"), new InterestEntry("jobs.>", G, EU));
        t.add(Target.node("n2"), new InterestEntry("jobs.*", G, BIG));
        t.add(Target.node("n3"), new InterestEntry("jobs.>", G));
        Map<String, Integer> got = new TreeMap<>();
        SplittableRandom r = new SplittableRandom(5);
        for (int i = 0; i < 1000; i++) {
            got.merge(placed(publish(t, "jobs.x", event(500, "/eu/1"), r)), 1, Integer::sum);
        }
        assertTrue(got.get("n2") > 400 && got.get("n3") > 400, "n2's three entries do not triple its share: " + got);
    }
}
