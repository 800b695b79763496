package io.weft.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.routing.MeshMessage.NodeDelta;
import io.weft.routing.MeshMessage.NodeFull;
import io.weft.routing.MeshMessage.NodePull;
import io.weft.routing.MeshMessage.SiteDigest;
import io.weft.routing.MeshMessage.SiteFull;
import io.weft.routing.MeshMessage.SiteUpdate;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class InterestEngineTest {
    private static final long SECOND = 1_000_000_000L;
    private static final InterestEngine.Config CONFIG = new InterestEngine.Config(SECOND, 1000);
    private static final InterestEntry ORDERS = InterestEntry.plain("orders.>");
    private static final InterestEntry ORDERS_EU = InterestEntry.plain("orders.eu.*");

    // ------------------------------------------------------------ batching

    @Test
    void thousandsOfChangesBecomeOneDeltaPerPeer() {
        InterestEngine a = engine("a1", "A");
        a.peerUp(id("a2", "A"));
        a.peerUp(id("a3", "A"));
        a.drainOutbox();
        for (int i = 0; i < 3000; i++) {
            InterestEntry e = InterestEntry.plain("t" + (i % 700) + ".x");
            a.localSubscribe(e);
            if (i % 3 == 0) {
                a.localUnsubscribe(e);
            }
        }
        assertTrue(a.hasPendingChanges());
        a.tick(0);
        List<Outgoing> out = only(a.drainOutbox(), NodeDelta.class);
        assertEquals(Set.of("a2", "a3"), destinations(out));
        assertEquals(2, out.size(), "one delta per peer for the whole batch");
        NodeDelta d = (NodeDelta) out.get(0).message();
        assertEquals(1, d.version());
        assertEquals(a.snapshot().entries(), d.added());
        assertEquals(List.of(), d.removed(), "subscribe then unsubscribe in one batch cancels out");
    }

    @Test
    void hugeBatchIsSplitInBoundedDeltasWithConsecutiveVersions() {
        InterestEngine a = new InterestEngine(id("a1", "A"), new InterestEngine.Config(SECOND, 100), rnd(1));
        a.peerUp(id("a2", "A"));
        a.drainOutbox();
        for (int i = 0; i < 250; i++) {
            a.localSubscribe(InterestEntry.plain("t" + i));
        }
        a.flush();
        List<Outgoing> out = only(a.drainOutbox(), NodeDelta.class);
        assertEquals(List.of(1L, 2L, 3L), out.stream().map(o -> ((NodeDelta) o.message()).version()).toList());
        for (Outgoing o : out) {
            NodeDelta d = (NodeDelta) o.message();
            assertTrue(d.added().size() + d.removed().size() <= 100);
        }
        assertEquals(3, a.snapshot().version());
    }

    @Test
    void refCountedEntryLeavesWithItsLastSubscriber() {
        InterestEngine a = engine("a1", "A");
        assertTrue(a.localSubscribe(ORDERS));
        assertFalse(a.localSubscribe(ORDERS));
        assertFalse(a.localUnsubscribe(ORDERS));
        assertEquals(List.of(ORDERS), a.snapshot().entries());
        assertTrue(a.localUnsubscribe(ORDERS));
        assertFalse(a.localUnsubscribe(ORDERS), "unbalanced unsubscribe changes nothing");
        assertEquals(List.of(), a.snapshot().entries());
    }

    @Test
    void overflowingOutboxReplacesDeltasWithOneFullSet() {
        InterestEngine a = new InterestEngine(id("a1", "A"), new InterestEngine.Config(SECOND, 10, 16, 0), rnd(1));
        a.peerUp(id("a2", "A"));
        for (int i = 0; i < 100; i++) {
            a.localSubscribe(InterestEntry.plain("t" + i));
            a.flush();
        }
        List<Outgoing> out = a.drainOutbox();
        assertTrue(out.size() <= 16, "bounded: " + out.size());
        Outgoing lastFull = null;
        for (Outgoing o : out) {
            if (o.message() instanceof NodeFull) {
                lastFull = o;
            }
        }
        NodeFull full = (NodeFull) lastFull.message();
        // the deltas queued after the full set, applied on top of it, reach the current version
        long last = full.version();
        for (Outgoing o : out.subList(out.indexOf(lastFull) + 1, out.size())) {
            assertEquals(++last, ((NodeDelta) o.message()).version());
        }
        assertEquals(100, last);
        assertTrue(a.stats().deltasReplaced() > 0);
    }

    // ------------------------------------------------------------ node delta rules

    @Test
    void deltaRulesApplyIgnoreOrPull() {
        InterestEngine a = engine("a1", "A");
        a.peerUp(id("a2", "A", 5));
        assertEquals(List.of(new Outgoing("a2", new NodePull(List.of("a2")))), a.drainOutbox(), "pulls on peerUp");
        a.onMessage("a2", false, new NodeFull("a2", 5, 0, List.of()), 0);
        InterestEntry x = InterestEntry.plain("x");
        InterestEntry y = InterestEntry.plain("y");

        a.onMessage("a2", false, new NodeDelta("a2", 5, 1, List.of(x), List.of()), 0);
        assertEquals(List.of(x), peer(a, "a2").entries(), "next version applies");
        assertEquals(1, peer(a, "a2").version());

        a.onMessage("a2", false, new NodeDelta("a2", 5, 1, List.of(y), List.of()), 0);
        a.onMessage("a2", false, new NodeDelta("a2", 4, 9, List.of(y), List.of()), 0);
        assertEquals(List.of(x), peer(a, "a2").entries(), "old version and old incarnation are ignored");
        assertEquals(List.of(), a.drainOutbox());

        a.onMessage("a2", false, new NodeDelta("a2", 5, 3, List.of(y), List.of()), 0);
        assertEquals(List.of(new Outgoing("a2", new NodePull(List.of("a2")))), a.drainOutbox(), "gap: pull");
        a.onMessage("a2", false, new NodeDelta("a2", 5, 4, List.of(y), List.of()), 1);
        assertEquals(List.of(), a.drainOutbox(), "no second pull while one is outstanding");
        a.onMessage("a2", false, new NodeDelta("a2", 5, 4, List.of(y), List.of()), 2 * SECOND);
        assertEquals(1, a.drainOutbox().size(), "the pull is repeated after a gossip interval");

        a.onMessage("a2", false, new NodeFull("a2", 5, 4, List.of(y)), 2 * SECOND);
        assertEquals(List.of(y), peer(a, "a2").entries(), "a newer full set replaces");
        a.onMessage("a2", false, new NodeFull("a2", 5, 3, List.of(x)), 2 * SECOND);
        assertEquals(List.of(y), peer(a, "a2").entries(), "an older full set is ignored");

        a.onMessage("a2", false, new NodeDelta("a2", 6, 1, List.of(x), List.of()), 4 * SECOND);
        assertEquals(List.of(new Outgoing("a2", new NodePull(List.of("a2")))), a.drainOutbox(),
                "newer incarnation: pull");
        a.onMessage("a2", false, new NodeFull("a2", 6, 1, List.of(x)), 4 * SECOND);
        assertEquals(6, peer(a, "a2").incarnation());
        assertEquals(List.of(x), peer(a, "a2").entries());
    }

    @Test
    void messagesFromNodesNotAliveAreIgnored() {
        InterestEngine a = engine("a1", "A");
        a.onMessage("a9", false, new NodeFull("a9", 1, 1, List.of(ORDERS)), 0);
        assertEquals(List.of(), a.snapshot().peers());
        a.peerUp(id("a2", "A"));
        a.onMessage("a2", true, new NodeFull("a2", 1, 1, List.of(ORDERS)), 0);
        assertEquals(List.of(), peer(a, "a2").entries(), "a site peer's message on a gateway link is ignored");
        assertTrue(a.stats().ignoredMessages() >= 2);
    }

    @Test
    void peerUpWithNewerIncarnationDiscardsOldInterest() {
        InterestEngine a = engine("a1", "A");
        a.peerUp(id("a2", "A", 1));
        a.onMessage("a2", false, new NodeFull("a2", 1, 3, List.of(ORDERS)), 0);
        assertEquals(List.of(ORDERS), peer(a, "a2").entries());
        a.peerUp(id("a2", "A", 1));
        assertEquals(List.of(ORDERS), peer(a, "a2").entries(), "same incarnation: nothing changes");
        a.peerUp(id("a2", "A", 0));
        assertEquals(List.of(ORDERS), peer(a, "a2").entries(), "older incarnation: stale report");
        a.drainOutbox();
        a.peerUp(id("a2", "A", 2));
        assertEquals(List.of(), peer(a, "a2").entries());
        assertEquals(2, peer(a, "a2").incarnation());
        assertTrue(a.drainOutbox().contains(new Outgoing("a2", new NodePull(List.of("a2")))), "pulls the new life");
        assertTrue(a.route("orders.x", Origin.LOCAL, Set.of(), null).routeForwards().isEmpty());
    }

    // ------------------------------------------------------------ membership and announcements

    @Test
    void downPeerInterestIsRemovedAndTheSmallestLiveNodeAnnouncesIt() {
        Mesh mesh = new Mesh();
        mesh.add("a1", "A").add("a2", "A").add("a3", "A").add("b1", "B").add("b2", "B");
        mesh.allUp();
        mesh.engine("a3").localSubscribe(ORDERS);
        mesh.settle();
        assertTrue(mesh.engine("b1").route("orders.x", Origin.LOCAL, Set.of(), null).gatewayForwards()
                .containsKey("A"));

        mesh.engine("a1").peerDown("a3");
        mesh.engine("a2").peerDown("a3");
        List<Outgoing> fromA1 = mesh.engine("a1").drainOutbox();
        List<Outgoing> fromA2 = mesh.engine("a2").drainOutbox();
        assertEquals(Set.of(mesh.engine("a1").gatewayPeer("B")), destinations(only(fromA1, SiteUpdate.class)),
                "a1, the smallest live name, announces to its gateway peer in B");
        assertEquals(List.of(), only(fromA2, SiteUpdate.class), "a2 updates silently");
        assertEquals(List.of(), mesh.engine("a1").snapshot().peers().stream()
                .filter(p -> p.node().equals("a3")).toList());
        mesh.deliver("a1", fromA1);
        mesh.deliver("a2", fromA2);
        mesh.dropNode("a3");
        mesh.pump();
        for (String b : List.of("b1", "b2")) {
            assertEquals(List.of(), site(mesh.engine(b), "A").entries(), b);
            assertTrue(mesh.engine(b).route("orders.x", Origin.LOCAL, Set.of(), null).staysLocal(), b);
        }
    }

    @Test
    void aGatewayPeerSpeaksForItsOwnSiteOnly() {
        // with TLS the link's peer is the node its certificate names; its site is then the only one it
        // may tell about: interest of site C arriving from a node of site B is ignored
        InterestEngine a = engine("a1", "A");
        a.peerUp(id("b1", "B"));
        a.peerUp(id("c1", "C"));
        a.onMessage("b1", true, new SiteFull("C", DigestedSet.digestOf(List.of(ORDERS)), List.of(ORDERS)), 0);
        a.onMessage("b1", true, new SiteUpdate("C", 0, DigestedSet.digestOf(List.of(ORDERS)), List.of(ORDERS), List.of()), 0);
        assertTrue(a.route("orders.x", Origin.LOCAL, Set.of(), null).gatewayForwards().isEmpty(),
                "site C's interest was taken from a node of site B");
        assertTrue(a.stats().ignoredMessages() >= 2);
        a.onMessage("c1", true, new SiteFull("C", DigestedSet.digestOf(List.of(ORDERS)), List.of(ORDERS)), 0);
        assertEquals(Set.of("C"), a.route("orders.x", Origin.LOCAL, Set.of(), null).gatewayForwards().keySet());
    }

    @Test
    void remoteSiteIsForgottenWithItsLastNodeAndGatewayIsRechosen() {
        InterestEngine a = engine("a1", "A");
        for (int i = 1; i <= 4; i++) {
            a.peerUp(id("b" + i, "B"));
        }
        String gw = a.gatewayPeer("B");
        assertEquals(Set.of(gw), a.linkTargets());
        a.onMessage(gw, true, new SiteFull("B", DigestedSet.digestOf(List.of(ORDERS)), List.of(ORDERS)), 0);
        assertEquals("B", a.route("orders.x", Origin.LOCAL, Set.of(), null).gatewayForwards().keySet()
                .iterator().next());
        a.drainOutbox();
        a.peerDown(gw);
        String next = a.gatewayPeer("B");
        assertNotEquals(gw, next);
        assertEquals(List.of(new Outgoing(next, new SiteDigest("B", DigestedSet.digestOf(List.of(ORDERS)), false))),
                a.drainOutbox(), "the new gateway is asked to confirm at once");
        for (int i = 1; i <= 4; i++) {
            a.peerDown("b" + i);
        }
        assertNull(a.gatewayPeer("B"));
        assertEquals(Set.of("A"), a.knownSites());
        assertTrue(a.route("orders.x", Origin.LOCAL, Set.of(), null).staysLocal());
    }

    @Test
    void aLostGatewayLinkMovesTheGatewayForAWhile() {
        InterestEngine a = engine("a1", "A");
        a.peerUp(id("a2", "A"));
        for (int i = 1; i <= 4; i++) {
            a.peerUp(id("b" + i, "B"));
        }
        String gw = a.gatewayPeer("B");
        a.onMessage(gw, true, new SiteFull("B", DigestedSet.digestOf(List.of(ORDERS)), List.of(ORDERS)), 0);
        a.drainOutbox();
        long avoid = java.util.concurrent.TimeUnit.SECONDS.toNanos(10);

        assertFalse(a.gatewayLinkLost("a2", avoid), "a site peer is no gateway");
        String notGw = List.of("b1", "b2", "b3", "b4").stream().filter(n -> !n.equals(gw)).findFirst().orElseThrow();
        assertFalse(a.gatewayLinkLost(notGw, avoid), "a node that is not the gateway changes nothing");
        assertTrue(a.gatewayLinkLost(gw, avoid));
        String next = a.gatewayPeer("B");
        assertNotEquals(gw, next);
        assertTrue(a.linkTargets().contains(next) && !a.linkTargets().contains(gw), a.linkTargets().toString());
        assertEquals(List.of(new Outgoing(next, new SiteDigest("B", DigestedSet.digestOf(List.of(ORDERS)), false))),
                a.drainOutbox(), "the new gateway is asked to confirm at once");
        assertEquals(Set.of("B"), a.route("orders.x", Origin.LOCAL, Set.of(), null).gatewayForwards().keySet(),
                "the site stays reachable: its interest is kept");

        // membership then reports another node of B dead; gw is still avoided...
        String third = List.of("b1", "b2", "b3", "b4").stream().filter(n -> !n.equals(gw) && !n.equals(next))
                .findFirst().orElseThrow();
        a.peerDown(third);
        assertEquals(next, a.gatewayPeer("B"));
        // ...until the avoid time has passed: the next re-choice may take it back
        a.tick(avoid + 1);
        String fourth = List.of("b1", "b2", "b3", "b4").stream()
                .filter(n -> !n.equals(gw) && !n.equals(next) && !n.equals(third)).findFirst().orElseThrow();
        a.peerDown(fourth);
        a.peerDown(next);
        assertEquals(gw, a.gatewayPeer("B"));
        assertFalse(a.gatewayLinkLost(gw, avoid), "the last node of a site stays its gateway");
        assertEquals(gw, a.gatewayPeer("B"));
    }

    @Test
    void aPlainDecisionIsReusedUntilTheTableOrAGatewayChanges() {
        InterestEngine a = engine("a1", "A");
        a.peerUp(id("a2", "A"));
        for (int i = 1; i <= 3; i++) {
            a.peerUp(id("b" + i, "B"));
        }
        String gw = a.gatewayPeer("B");
        a.onMessage(gw, true, new SiteFull("B", DigestedSet.digestOf(List.of(ORDERS)), List.of(ORDERS)), 0);
        assertNull(a.cachedRoute("orders.x", Origin.LOCAL), "nothing decided yet");
        RouteDecision first = a.route("orders.x", Origin.LOCAL, Set.of(), Set.of());
        assertSame(first, a.cachedRoute("orders.x", Origin.LOCAL), "the next event reuses the decision");
        assertNull(a.cachedRoute("orders.x", Origin.GATEWAY), "per origin");
        assertNull(a.cachedRoute("orders.x", Origin.ROUTE), "a route hop decides nothing");

        a.localSubscribe(ORDERS_EU);
        assertNull(a.cachedRoute("orders.x", Origin.LOCAL), "any change of the table voids it");
        RouteDecision second = a.route("orders.x", Origin.LOCAL, Set.of(), Set.of());
        assertSame(second, a.cachedRoute("orders.x", Origin.LOCAL));

        assertTrue(a.gatewayLinkLost(gw, java.util.concurrent.TimeUnit.SECONDS.toNanos(10)));
        assertNull(a.cachedRoute("orders.x", Origin.LOCAL), "a moved gateway voids it");
        RouteDecision third = a.route("orders.x", Origin.LOCAL, Set.of(), Set.of());
        assertNotEquals(gw, third.gatewayNodes().get("B"), "and the new decision names the new gateway");
    }

    @Test
    void decisionsWithQueueGroupsAreNeverReused() {
        InterestEngine a = engine("a1", "A");
        a.peerUp(id("a2", "A"));
        a.peerUp(id("a3", "A"));
        InterestEntry grouped = new InterestEntry("jobs.>", "workers");
        a.onMessage("a2", false, new NodeFull("a2", 1, 1, List.of(grouped)), 0);
        a.onMessage("a3", false, new NodeFull("a3", 1, 1, List.of(grouped)), 0);
        RouteDecision d = a.route("jobs.x", Origin.LOCAL, Set.of(), Set.of());
        assertEquals(1, d.routeForwards().size(), "one member of the group gets it: " + d);
        assertEquals(Set.of("workers"), d.routeForwards().values().iterator().next());
        assertNull(a.cachedRoute("jobs.x", Origin.LOCAL), "each event picks a member afresh");
    }

    @Test
    void gatewayChoiceIsReproducibleAndSpreadsOverTheSite() {
        Map<String, Integer> load = new TreeMap<>();
        for (int n = 0; n < 200; n++) {
            InterestEngine x = engine("x" + n, "X");
            InterestEngine again = engine("x" + n, "X");
            for (int i = 1; i <= 5; i++) {
                x.peerUp(id("b" + i, "B"));
                again.peerUp(id("b" + (6 - i), "B"));
            }
            assertEquals(x.gatewayPeer("B"), again.gatewayPeer("B"), "independent of arrival order");
            load.merge(x.gatewayPeer("B"), 1, Integer::sum);
        }
        assertEquals(5, load.size(), "every node of B is somebody's gateway: " + load);
        load.values().forEach(v -> assertTrue(v > 15, "spread: " + load));
    }

    // ------------------------------------------------------------ site updates and digests

    @Test
    void siteUpdateAppliesOnBaseIgnoresWhenCurrentAndAsksOtherwise() {
        InterestEngine a = engine("a1", "A");
        a.peerUp(id("a2", "A"));
        a.peerUp(id("b1", "B"));
        assertTrue(a.drainOutbox().contains(new Outgoing("b1", new SiteDigest("B", 0, true))), "asks on peerUp");
        a.onMessage("b1", true, new SiteDigest("B", 0, false), 0);
        assertTrue(site(a, "B").confirmed(), "B confirmed: it holds nothing");
        a.tick(0); // starts the gossip timer: the next round is a second later
        a.drainOutbox();
        long d0 = 0;
        long d1 = DigestedSet.digestOf(List.of(ORDERS));
        long d2 = DigestedSet.digestOf(List.of(ORDERS, ORDERS_EU));
        SiteUpdate u1 = new SiteUpdate("B", d0, d1, List.of(ORDERS), List.of());
        a.onMessage("b1", true, u1, 0);
        assertEquals(List.of(ORDERS), site(a, "B").entries());
        assertEquals(List.of(new Outgoing("a2", u1)), a.drainOutbox(), "forwarded to the site peers");

        a.onMessage("b1", true, u1, 0);
        assertEquals(List.of(new Outgoing("a2", u1)), a.drainOutbox(), "already at the result: only forwarded");

        SiteUpdate stale = new SiteUpdate("B", 12345, d2, List.of(ORDERS_EU), List.of());
        a.onMessage("b1", true, stale, 0);
        assertEquals(List.of(ORDERS), site(a, "B").entries());
        assertEquals(List.of(new Outgoing("a2", stale)), a.drainOutbox(), "held, in case what it builds on comes later");
        a.tick(SECOND / 20);
        assertEquals(List.of(), only(a.drainOutbox(), SiteDigest.class), "still waiting");
        a.tick(SECOND / 10);
        List<Outgoing> out = a.drainOutbox();
        assertTrue(out.contains(new Outgoing("b1", new SiteDigest("B", d1, false))),
                "after a tenth of the gossip interval it asks the sender: " + out);

        a.onMessage("b1", true, new SiteFull("B", d2, List.of(ORDERS, ORDERS_EU)), 0);
        assertEquals(List.of(ORDERS, ORDERS_EU), site(a, "B").entries());
        assertTrue(site(a, "B").confirmed());
    }

    @Test
    void siteUpdatesThatOvertakeEachOtherAreAppliedInOrder() {
        InterestEngine a = engine("a1", "A");
        a.peerUp(id("b1", "B"));
        a.peerUp(id("b2", "B"));
        a.onMessage(a.gatewayPeer("B"), true, new SiteDigest("B", 0, false), 0);
        a.drainOutbox();
        long d1 = DigestedSet.digestOf(List.of(ORDERS));
        long d2 = DigestedSet.digestOf(List.of(ORDERS, ORDERS_EU));
        long d3 = DigestedSet.digestOf(List.of(ORDERS_EU));
        a.onMessage("b2", true, new SiteUpdate("B", d2, d3, List.of(), List.of(ORDERS)), 0);
        a.onMessage("b1", true, new SiteUpdate("B", d1, d2, List.of(ORDERS_EU), List.of()), 0);
        assertEquals(List.of(), site(a, "B").entries());
        a.onMessage("b1", true, new SiteUpdate("B", 0, d1, List.of(ORDERS), List.of()), 0);
        assertEquals(List.of(ORDERS_EU), site(a, "B").entries(), "the held updates followed the one they built on");
        a.tick(SECOND);
        assertEquals(List.of(), only(a.drainOutbox(), SiteFull.class));
        assertEquals(0, a.stats().siteFullsAsked() - 1, "only the question of the peerUp was ever sent");
    }

    @Test
    void forwardedSiteUpdateThatDoesNotFitAsksOwnGateway() {
        InterestEngine a = engine("a1", "A");
        a.peerUp(id("a2", "A"));
        a.peerUp(id("b1", "B"));
        a.peerUp(id("b2", "B"));
        a.tick(0);
        a.drainOutbox();
        a.onMessage("a2", false, new SiteUpdate("B", 999, 1000, List.of(ORDERS), List.of()), 0);
        a.tick(SECOND / 2);
        assertEquals(List.of(), only(a.drainOutbox(), SiteDigest.class).stream()
                .filter(o -> o.toNode().equals(a.gatewayPeer("B"))).toList(),
                "the question sent on peerUp is still outstanding");
        a.onMessage("a2", false, new SiteUpdate("B", 999, 1000, List.of(ORDERS), List.of()), 2 * SECOND);
        a.drainOutbox();
        a.tick(2 * SECOND + SECOND / 10);
        assertTrue(a.drainOutbox().contains(new Outgoing(a.gatewayPeer("B"), new SiteDigest("B", 0, true))));
    }

    @Test
    void siteDigestQuestionIsAnsweredOnlyWhenSynced() {
        InterestEngine a = engine("a1", "A");
        a.localSubscribe(ORDERS);
        a.flush();
        a.onMessage("b1", true, new SiteDigest("A", 0, true), 0);
        assertEquals(List.of(), a.drainOutbox(), "before its first gossip round it does not know it is alone");
        a.tick(0);
        a.onMessage("b1", true, new SiteDigest("A", 0, true), SECOND / 20);
        assertEquals(List.of(), a.drainOutbox(), "b1's copy was current a moment ago: the update is on its way");
        a.onMessage("b1", true, new SiteDigest("A", 0, true), SECOND);
        long mine = a.siteDigest();
        assertEquals(List.of(new Outgoing("b1", new SiteFull("A", mine, List.of(ORDERS)))), a.drainOutbox(),
                "alone in its site, a node answers for it, even before b1's peerUp");
        a.onMessage("b1", true, new SiteDigest("A", mine, true), 0);
        assertEquals(List.of(new Outgoing("b1", new SiteDigest("A", mine, false))), a.drainOutbox(), "echo");
        a.onMessage("b1", true, new SiteDigest("A", mine, false), 0);
        assertEquals(List.of(), a.drainOutbox(), "no echo unless asked");

        InterestEngine fresh = engine("a3", "A");
        fresh.peerUp(id("a2", "A"));
        fresh.tick(0);
        fresh.drainOutbox();
        fresh.onMessage("b1", true, new SiteDigest("A", 0, true), 0);
        assertEquals(List.of(), fresh.drainOutbox(), "with a site peer and no sync yet it does not answer");
    }

    // ------------------------------------------------------------ readiness and convergence

    @Test
    void readyAfterSyncWithASitePeerAndEveryRemoteSite() {
        Mesh mesh = new Mesh();
        mesh.add("a1", "A").add("a2", "A").add("b1", "B").add("c1", "C").add("c2", "C");
        InterestEngine alone = engine("z1", "Z");
        assertFalse(alone.ready(), "nothing is known before the first gossip round");
        alone.tick(0);
        assertTrue(alone.ready(), "a node alone in the mesh is ready after its first gossip round");
        mesh.allUp();
        for (InterestEngine e : mesh.engines.values()) {
            assertFalse(e.ready(), e.self().name());
        }
        mesh.engine("c2").localSubscribe(new InterestEntry("jobs.*", "workers"));
        mesh.settle();
        for (InterestEngine e : mesh.engines.values()) {
            assertTrue(e.ready(), e.self().name() + " " + e.snapshot());
            InterestSnapshot.Site c = e.self().site().equals("C") ? null : site(e, "C");
            if (c != null) {
                assertEquals(List.of(new InterestEntry("jobs.*", "workers")), c.entries());
            }
        }
    }

    // ------------------------------------------------------------ routing decisions

    @Test
    void localPublishGoesOnceToEachMatchingPeerAndSite() {
        Mesh mesh = triangle();
        mesh.engine("a1").localSubscribe(ORDERS);
        mesh.engine("a2").localSubscribe(ORDERS_EU);
        mesh.engine("a3").localSubscribe(InterestEntry.plain("billing.>"));
        mesh.engine("b2").localSubscribe(ORDERS_EU);
        mesh.engine("b3").localSubscribe(ORDERS);
        mesh.engine("c1").localSubscribe(InterestEntry.plain("billing.x"));
        mesh.settle();
        InterestEngine a1 = mesh.engine("a1");

        RouteDecision d = a1.route("orders.eu.x", Origin.LOCAL, Set.of(), null);
        assertTrue(d.deliverLocal());
        assertEquals(Set.of("a2"), d.routeForwards().keySet());
        assertEquals(Set.of("B"), d.gatewayForwards().keySet(), "C has no matching interest");
        assertEquals(a1.gatewayPeer("B"), d.gatewayNodes().get("B"));

        RouteDecision none = a1.route("nobody.cares", Origin.LOCAL, Set.of(), null);
        assertEquals(RouteDecision.NONE, none);

        RouteDecision viaRoute = mesh.engine("a2").route("orders.eu.x", Origin.ROUTE, Set.of(), null);
        assertTrue(viaRoute.deliverLocal());
        assertTrue(viaRoute.staysLocal(), "a route-received event is delivered locally only");

        String gw = d.gatewayNodes().get("B");
        RouteDecision viaGateway = mesh.engine(gw).route("orders.eu.x", Origin.GATEWAY, Set.of(), null);
        Set<String> expected = new TreeSet<>(Set.of("b2", "b3"));
        expected.remove(gw);
        assertEquals(expected, viaGateway.routeForwards().keySet(), "forwarded inside B only");
        assertTrue(viaGateway.gatewayForwards().isEmpty());
    }

    @Test
    void queueGroupPrefersOwnNodeThenOwnSiteThenAnotherSite() {
        InterestEntry g = new InterestEntry("jobs.>", "workers");
        Mesh mesh = triangle();
        for (String n : List.of("a1", "a2", "a3", "b1", "b2", "c3")) {
            mesh.engine(n).localSubscribe(g);
        }
        mesh.settle();
        RouteDecision own = mesh.engine("a1").route("jobs.1", Origin.LOCAL, Set.of(), null);
        assertEquals(Set.of("workers"), own.localGroups());
        assertTrue(own.staysLocal());

        mesh.engine("a1").localUnsubscribe(g);
        mesh.settle();
        Map<String, Integer> picked = new TreeMap<>();
        for (int i = 0; i < 200; i++) {
            RouteDecision site = mesh.engine("a1").route("jobs.1", Origin.LOCAL, Set.of(), null);
            assertEquals(Set.of(), site.localGroups());
            assertEquals(1, site.routeForwards().size());
            assertTrue(site.gatewayForwards().isEmpty(), "another site only when the own site has no member");
            String node = site.routeForwards().keySet().iterator().next();
            assertEquals(Set.of("workers"), site.routeForwards().get(node));
            picked.merge(node, 1, Integer::sum);
        }
        assertEquals(Set.of("a2", "a3"), picked.keySet(), "both site members get a share");

        mesh.engine("a2").localUnsubscribe(g);
        mesh.engine("a3").localUnsubscribe(g);
        mesh.settle();
        Set<String> sites = new TreeSet<>();
        for (int i = 0; i < 100; i++) {
            RouteDecision remote = mesh.engine("a1").route("jobs.1", Origin.LOCAL, Set.of(), null);
            assertEquals(1, remote.gatewayForwards().size());
            sites.addAll(remote.gatewayForwards().keySet());
        }
        assertEquals(Set.of("B", "C"), sites);

        // the receiving gateway places the group: a local member, else exactly one site peer
        String gwB = mesh.engine("a1").gatewayPeer("B");
        RouteDecision atB = mesh.engine(gwB).route("jobs.1", Origin.GATEWAY, Set.of("workers"), null);
        if (gwB.equals("b3")) {
            assertEquals(1, atB.routeForwards().size());
            assertEquals(Set.of("workers"), atB.routeForwards().values().iterator().next());
        } else {
            assertEquals(Set.of("workers"), atB.localGroups());
        }
        RouteDecision atC = mesh.engine("c1").route("jobs.1", Origin.GATEWAY, Set.of("workers"), null);
        assertEquals(Map.of("c3", Set.of("workers")), atC.routeForwards());
        RouteDecision atC3 = mesh.engine("c3").route("jobs.1", Origin.ROUTE, Set.of("workers"), null);
        assertEquals(Set.of("workers"), atC3.localGroups());
        RouteDecision lost = mesh.engine("c2").route("nothing.here", Origin.GATEWAY, Set.of("workers"), null);
        assertEquals(Set.of("workers"), lost.unroutableGroups());
    }

    /**
     * Members of one group with different filters, over gossip and site aggregation: every event goes hop by
     * hop (as the broker routes it, a fresh {@link FilterVerdicts} per node) to exactly one member whose filter
     * accepts it, the nearest such (own node, own site, another site), and to none when no member accepts it.
     */
    @Test
    void queueGroupMembersWithDifferentFiltersGetOnlyWhatTheirFilterAccepts() {
        String small = io.weft.routing.filter.EventFilters.sql("amount < 10").canonical();
        String big = io.weft.routing.filter.EventFilters.sql("amount > 100").canonical();
        String eu = io.weft.routing.filter.EventFilters.parse("[{\"prefix\":{\"source\":\"/eu/\"}}]").canonical();
        Mesh mesh = triangle();
        Map<String, String> members = new TreeMap<>(Map.of("a1", small, "a2", big, "b2", eu, "b3", big, "c3", eu));
        members.forEach((node, f) -> mesh.engine(node).localSubscribe(new InterestEntry("jobs.>", "workers", f)));
        mesh.engine("c1").localSubscribe(new InterestEntry("jobs.>", "workers")); // in the group, no filter...
        mesh.engine("c1").localUnsubscribe(new InterestEntry("jobs.>", "workers")); // ...then gone again
        mesh.settle();
        for (String site : List.of("B", "C")) {
            assertTrue(mesh.engine("a1").snapshot().sites().stream().filter(x -> x.site().equals(site)).findFirst()
                    .orElseThrow().entries().stream().allMatch(e -> e.filter() != null),
                    "the site aggregate carries the group entries with their filters");
        }
        SplittableRandom rnd = new SplittableRandom(3);
        Map<String, Integer> placed = new TreeMap<>();
        for (int i = 0; i < 600; i++) {
            int amount = rnd.nextInt(4) == 0 ? 5 : rnd.nextInt(300);
            String source = rnd.nextBoolean() ? "/eu/shop" : "/us/shop";
            io.weft.routing.filter.Attributes ev = io.weft.routing.filter.MapAttributes.of(Map.of("id", "e" + i,
                    "source", source, "type", "job", "specversion", "1.0", "amount", amount));
            Set<String> accepting = new TreeSet<>();
            members.forEach((node, f) -> {
                if (io.weft.routing.CompiledFilters.of(f).test(ev)) {
                    accepting.add(node);
                }
            });
            String what = "event amount=" + amount + " source=" + source + " accepted by " + accepting;
            List<String> got = groupDeliveries(mesh, "a1", "jobs.run", ev, "workers");
            if (accepting.isEmpty()) {
                assertEquals(List.of(), got, what);
                continue;
            }
            assertEquals(1, got.size(), what + ": delivered at " + got);
            String at = got.get(0);
            assertTrue(accepting.contains(at), what + ": went to " + at);
            if (accepting.contains("a1")) {
                assertEquals("a1", at, what);
            } else if (accepting.contains("a2")) {
                assertEquals("a2", at, what + ": own site first");
            }
            placed.merge(at, 1, Integer::sum);
        }
        // b3 has a2's filter, and a2 is nearer: b3 gets only what a2 is gone for (below)
        assertEquals(Set.of("a1", "a2", "b2", "c3"), placed.keySet(), "every nearest accepting member got events: " + placed);

        // with no member in its own site, a1's events that only b3 accepts cross to B and reach b3
        mesh.engine("a1").localUnsubscribe(new InterestEntry("jobs.>", "workers", small));
        mesh.engine("a2").localUnsubscribe(new InterestEntry("jobs.>", "workers", big));
        mesh.settle();
        io.weft.routing.filter.Attributes onlyB3 = io.weft.routing.filter.MapAttributes.of(Map.of("id", "x",
                "source", "/us/shop", "type", "job", "specversion", "1.0", "amount", 200));
        for (int i = 0; i < 20; i++) {
            assertEquals(List.of("b3"), groupDeliveries(mesh, "a1", "jobs.run", onlyB3, "workers"));
        }
        io.weft.routing.filter.Attributes nobody = io.weft.routing.filter.MapAttributes.of(Map.of("id", "y",
                "source", "/us/shop", "type", "job", "specversion", "1.0", "amount", 50));
        FilterVerdicts v = new FilterVerdicts(nobody);
        RouteDecision d = mesh.engine("a1").route("jobs.run", Origin.LOCAL, Set.of(), null, v);
        assertTrue(d.staysLocal() && d.localGroups().isEmpty() && d.unroutableGroups().isEmpty(),
                "no member accepts it: it stays where it was published, and that is no loss: " + d);
        assertEquals(2, v.evaluated(), "the two distinct filters of sites B and C, once each");
    }

    /**
     * Routes one event from {@code publisher} hop by hop as the broker does (forwards whose filter
     * conditions reject the event are not sent) and returns the nodes that delivered {@code group} locally;
     * fails on a group that a node could not place, or placed on a node without an accepting member.
     */
    private static List<String> groupDeliveries(Mesh mesh, String publisher, String topic,
                                                io.weft.routing.filter.Attributes ev, String group) {
        List<String> delivered = new ArrayList<>();
        ArrayDeque<Object[]> hops = new ArrayDeque<>();
        hops.add(new Object[] {publisher, Origin.LOCAL, Set.<String>of()});
        while (!hops.isEmpty()) {
            Object[] hop = hops.poll();
            String node = (String) hop[0];
            @SuppressWarnings("unchecked")
            Set<String> assigned = (Set<String>) hop[2];
            FilterVerdicts v = new FilterVerdicts(ev);
            RouteDecision d = mesh.engine(node).route(topic, (Origin) hop[1], assigned, null, v);
            assertEquals(Set.of(), d.unroutableGroups(), node + " lost groups");
            if (d.localGroups().contains(group)) {
                boolean accepts = mesh.engine(node).snapshot().entries().stream().anyMatch(e -> group.equals(e.queueGroup())
                        && (e.filter() == null || v.accepts(e.filter())));
                assertTrue(accepts, node + " was given " + group + " but has no member that accepts the event");
                delivered.add(node);
            }
            for (Map.Entry<String, Set<String>> f : d.routeForwards().entrySet()) {
                List<String> cond = d.routeConditions().get(f.getKey());
                if (cond == null || v.anyAccepts(cond)) {
                    hops.add(new Object[] {f.getKey(), Origin.ROUTE, f.getValue()});
                }
            }
            for (Map.Entry<String, Set<String>> f : d.gatewayForwards().entrySet()) {
                List<String> cond = d.gatewayConditions().get(f.getKey());
                if (cond == null || v.anyAccepts(cond)) {
                    hops.add(new Object[] {d.gatewayNodes().get(f.getKey()), Origin.GATEWAY, f.getValue()});
                }
            }
        }
        return delivered;
    }

    @Test
    void queueGroupChoiceIsReproducibleBySeed() {
        List<String> first = choices(42);
        assertEquals(first, choices(42));
        assertNotEquals(first, choices(43));
    }

    private List<String> choices(long seed) {
        InterestEntry g = new InterestEntry("jobs.>", "workers");
        InterestEngine a = new InterestEngine(id("a1", "A"), CONFIG, new SplittableRandom(seed));
        for (int i = 2; i <= 6; i++) {
            a.peerUp(id("a" + i, "A"));
            a.onMessage("a" + i, false, new NodeFull("a" + i, 1, 1, List.of(g)), 0);
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            out.add(a.route("jobs.x", Origin.LOCAL, Set.of(), null).routeForwards().keySet().iterator().next());
        }
        return out;
    }

    @Test
    void localGroupsMatchedFromTheBrokerOverrideTheEngineView() {
        InterestEngine a = engine("a1", "A");
        a.peerUp(id("a2", "A"));
        a.onMessage("a2", false, new NodeFull("a2", 1, 1, List.of(new InterestEntry("jobs.>", "w"))), 0);
        RouteDecision d = a.route("jobs.x", Origin.LOCAL, Set.of(), Set.of("w"));
        assertEquals(Set.of("w"), d.localGroups());
        assertTrue(d.staysLocal());
    }

    @Test
    void snapshotShowsTheWholeTable() {
        Mesh mesh = triangle();
        mesh.engine("a1").localSubscribe(ORDERS);
        mesh.engine("a2").localSubscribe(ORDERS_EU);
        mesh.engine("b1").localSubscribe(ORDERS_EU);
        mesh.engine("b2").localSubscribe(ORDERS);
        mesh.settle();
        InterestSnapshot s = mesh.engine("a1").snapshot();
        assertEquals("a1", s.node());
        assertEquals(List.of(ORDERS), s.entries());
        assertEquals(List.of("a2", "a3"), s.peers().stream().map(InterestSnapshot.Peer::node).toList());
        assertEquals(List.of(ORDERS_EU), s.peers().get(0).entries());
        assertEquals(List.of("B", "C"), s.sites().stream().map(InterestSnapshot.Site::site).toList());
        assertEquals(List.of(ORDERS), s.sites().get(0).entries(), "orders.> subsumes orders.eu.*");
        assertEquals(16, s.sites().get(0).digest().length());
        assertTrue(s.ready());
    }

    // ------------------------------------------------------------ helpers

    /** Three sites of three nodes, all up and settled. */
    private static Mesh triangle() {
        Mesh mesh = new Mesh();
        for (String site : List.of("A", "B", "C")) {
            for (int i = 1; i <= 3; i++) {
                mesh.add(site.toLowerCase() + i, site);
            }
        }
        mesh.allUp();
        mesh.settle();
        return mesh;
    }

    /** A lossless, synchronous mesh: delivers every message in order until nothing is left. */
    static final class Mesh {
        final Map<String, InterestEngine> engines = new TreeMap<>();
        final ArrayDeque<Object[]> wire = new ArrayDeque<>();
        long now;

        Mesh add(String name, String site) {
            engines.put(name, new InterestEngine(id(name, site), CONFIG, rnd(name.hashCode())));
            return this;
        }

        InterestEngine engine(String name) {
            return engines.get(name);
        }

        void allUp() {
            for (InterestEngine e : engines.values()) {
                for (InterestEngine other : engines.values()) {
                    e.peerUp(other.self());
                }
            }
        }

        void dropNode(String name) {
            engines.remove(name);
        }

        /** Two gossip rounds plus everything they cause. */
        void settle() {
            for (int round = 0; round < 3; round++) {
                now += SECOND;
                for (InterestEngine e : engines.values()) {
                    e.tick(now);
                }
                pump();
            }
        }

        void pump() {
            for (InterestEngine e : engines.values()) {
                deliver(e.self().name(), e.drainOutbox());
            }
            int steps = 0;
            while (!wire.isEmpty()) {
                Object[] item = wire.poll();
                InterestEngine to = engines.get((String) item[1]);
                if (to == null) {
                    continue;
                }
                String from = (String) item[0];
                boolean viaGateway = !engines.containsKey(from)
                        || !engines.get(from).self().site().equals(to.self().site());
                to.onMessage(from, viaGateway, (MeshMessage) item[2], now);
                deliver(to.self().name(), to.drainOutbox());
                if (++steps > 1_000_000) {
                    throw new AssertionError("gossip does not quiesce");
                }
            }
        }

        void deliver(String from, List<Outgoing> out) {
            for (Outgoing o : out) {
                wire.add(new Object[] {from, o.toNode(), o.message()});
            }
        }
    }

    private static InterestEngine engine(String name, String site) {
        return new InterestEngine(id(name, site), CONFIG, rnd(1));
    }

    private static NodeId id(String name, String site) {
        return id(name, site, 1);
    }

    private static NodeId id(String name, String site, long incarnation) {
        return new NodeId(name, site, incarnation);
    }

    private static SplittableRandom rnd(long seed) {
        return new SplittableRandom(seed);
    }

    private static InterestSnapshot.Peer peer(InterestEngine e, String name) {
        return e.snapshot().peers().stream().filter(p -> p.node().equals(name)).findFirst().orElseThrow();
    }

    private static InterestSnapshot.Site site(InterestEngine e, String name) {
        return e.snapshot().sites().stream().filter(s -> s.site().equals(name)).findFirst().orElseThrow();
    }

    private static List<Outgoing> only(List<Outgoing> out, Class<? extends MeshMessage> type) {
        return out.stream().filter(o -> type.isInstance(o.message())).toList();
    }

    private static Set<String> destinations(List<Outgoing> out) {
        Set<String> to = new HashSet<>();
        out.forEach(o -> to.add(o.toNode()));
        return to;
    }
}
