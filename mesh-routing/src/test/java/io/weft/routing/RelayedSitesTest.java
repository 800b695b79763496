package io.weft.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Sites known only through the relay ({@link InterestEngine#relayedSite}): routed to on the site trees
 * ({@link InterestEngine#VIA_TREE}) while they have no node in the membership view, through their gateway
 * peer once they have one, and back on the trees when the last one leaves.
 */
class RelayedSitesTest {
    private static final long SECOND = 1_000_000_000L;

    private static InterestEngine engine() {
        return new InterestEngine(new NodeId("a1", "A", 1), new InterestEngine.Config(SECOND, 1000),
                new SplittableRandom(1));
    }

    @Test
    void aRelayedSiteIsRoutedOnTheTreesAndReplacedByEachNewRecord() {
        InterestEngine a = engine();
        a.relayedSite("P", List.of(InterestEntry.plain("plant.>")));
        RouteDecision d = a.route("plant.temp", Origin.LOCAL, Set.of(), null);
        assertEquals(Set.of("P"), d.gatewayForwards().keySet());
        assertEquals(InterestEngine.VIA_TREE, d.gatewayNodes().get("P"));
        assertEquals(Set.of("P"), a.treeSites());

        a.relayedSite("P", List.of(InterestEntry.plain("other.>")));
        assertTrue(a.route("plant.temp", Origin.LOCAL, Set.of(), null).staysLocal(), "the old record's entries are gone");
        assertEquals(Set.of("P"), a.route("other.x", Origin.LOCAL, Set.of(), null).gatewayForwards().keySet());

        a.relayedSite("P", null);
        assertTrue(a.route("other.x", Origin.LOCAL, Set.of(), null).staysLocal());
        assertEquals(Set.of(), a.treeSites());
    }

    @Test
    void aGatewayHopOrARouteHopNeverForwardsToARelayedSite() {
        InterestEngine a = engine();
        a.relayedSite("P", List.of(InterestEntry.plain("plant.>")));
        assertTrue(a.route("plant.temp", Origin.GATEWAY, Set.of(), null).gatewayForwards().isEmpty());
        assertTrue(a.route("plant.temp", Origin.ROUTE, Set.of(), null).gatewayForwards().isEmpty());
    }

    @Test
    void theOwnSiteIsNeverRelayed() {
        InterestEngine a = engine();
        a.relayedSite("A", List.of(InterestEntry.plain("x.>")));
        assertTrue(a.route("x.y", Origin.LOCAL, Set.of(), null).staysLocal());
    }

    @Test
    void aSiteInTheViewIsServedByItsGatewayPeerAndFallsBackToTheRelayWhenItsLastNodeLeaves() {
        InterestEngine a = engine();
        a.relayedSite("B", List.of(InterestEntry.plain("b.>")));
        a.peerUp(new NodeId("b1", "B", 1));
        assertEquals("b1", a.gatewayPeer("B"));
        assertEquals(Set.of(), a.treeSites(), "B is in the view: its gateway peer serves it");
        assertTrue(a.route("b.x", Origin.LOCAL, Set.of(), null).staysLocal(),
                "nothing learned from b1 yet: the relayed record is not used for a site in the view");

        a.peerDown("b1");
        assertNull(a.gatewayPeer("B"));
        RouteDecision d = a.route("b.x", Origin.LOCAL, Set.of(), null);
        assertEquals(InterestEngine.VIA_TREE, d.gatewayNodes().get("B"), "out of the view: back on the trees");
    }

    @Test
    void sitesWantingCountsPlainAndAcceptingFilteredEntriesButNotQueueGroups() {
        InterestEngine a = engine();
        a.relayedSite("P", List.of(InterestEntry.plain("t.>")));
        a.relayedSite("Q", List.of(new InterestEntry("t.>", "workers", null)));
        Set<String> out = new TreeSet<>();
        a.sitesWanting("t.x", null, out);
        assertEquals(Set.of("P"), out);
    }

    @Test
    void aQueueGroupCanBePlacedOnARelayedSite() {
        InterestEngine a = engine();
        a.relayedSite("Q", List.of(new InterestEntry("jobs.>", "workers", null)));
        RouteDecision d = a.route("jobs.run", Origin.LOCAL, Set.of(), Set.of());
        assertEquals(Set.of("workers"), d.gatewayForwards().get("Q"));
        assertEquals(InterestEngine.VIA_TREE, d.gatewayNodes().get("Q"));
    }
}
