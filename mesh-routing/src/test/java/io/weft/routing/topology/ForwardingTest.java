package io.weft.routing.topology;

import io.weft.routing.Hash64;

import static io.weft.routing.topology.LinkStateDbTest.edge;
import static io.weft.routing.topology.LinkStateDbTest.link;
import static io.weft.routing.topology.LinkStateDbTest.rec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.routing.topology.Forwarding.Decision;
import io.weft.routing.topology.Forwarding.Drop;
import io.weft.routing.topology.Forwarding.DropReason;
import io.weft.routing.topology.Forwarding.Forward;
import io.weft.routing.topology.Forwarding.Header;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The forwarding decision over a small mesh:
 * <pre>
 *        O (o1, o2)
 *   o1 /          \ o2
 *   a1 A (a1, a2)  B (b1)
 *   a1 |   a2 \   / b1  \ b1
 *      c1 C    E (e1)    c1 C      E no-transit
 * </pre>
 * O—A, O—B, A—C, B—C, A—E, B—E all cost 1. From O: A and B are children of O; C (cost 2 via A or
 * via B, 2 hops either way) hangs below A by name, and so does E.
 */
class ForwardingTest {
    private LinkStateDb db;
    private TreeCache cache;
    private long fp;

    @BeforeEach
    void mesh() {
        db = new LinkStateDb(40_000);
        db.apply(rec("o1", "O", 1, 1, link("A", "a1", 1)), 0);
        db.apply(rec("o2", "O", 1, 1, link("B", "b1", 1)), 0);
        db.apply(rec("a1", "A", 1, 1, link("O", "o1", 1), link("C", "c1", 1)), 0);
        db.apply(rec("a2", "A", 1, 1, link("E", "e1", 1)), 0);
        db.apply(rec("b1", "B", 1, 1, link("O", "o2", 1), link("C", "c1", 1), link("E", "e1", 1)), 0);
        db.apply(rec("c1", "C", 1, 1, link("A", "a1", 1), link("B", "b1", 1)), 0);
        db.apply(edge("e1", "E", 1, 1, link("A", "a2", 1), link("B", "b1", 1)), 0);
        cache = new TreeCache();
        assertTrue(cache.install(db.siteGraph()));
        fp = cache.current("O").fingerprint();
        SiteTree t = cache.current("O");
        assertEquals(List.of("A", "B"), t.children("O"));
        assertEquals(List.of("C", "E"), t.children("A"));
    }

    private static Forwarding at(String site, String node) {
        return new Forwarding(site, node, Forwarding.DEFAULT_MAX_SITE_HOPS);
    }

    @Test
    void thePublisherStampsItsSitesCurrentTree() {
        assertEquals(new Header("O", fp, 0), at("O", "o1").stamp(cache));
        assertNull(at("Z", "z1").stamp(cache), "a site in no graph has no tree");
        assertThrows(IllegalArgumentException.class, () -> new Header("O", fp, -1));
        assertThrows(IllegalArgumentException.class, () -> new Forwarding("O", "o1", 0));
        assertEquals(new Header("O", fp, 1), new Header("O", fp, 0).next());
    }

    @Test
    void ingressSendsToChildrenWhoseSubtreeWantsItThroughAnEgress() {
        Forwarding o1 = at("O", "o1");
        Header h = o1.stamp(cache);
        SiteTree t = o1.treeOf(h, cache);
        // C wants it: only A's subtree holds C; o1 holds a link to A itself
        Decision d = o1.ingress(t, h, Set.of("C"), Set.of("A"), c -> db.holders("O", c));
        assertTrue(d.accepted());
        assertEquals(List.of(new Forward("A", "o1", 1)), d.forwards());
        assertEquals(List.of(), d.drops());
        // B wants it: o1 has no link to B, o2 holds one
        d = o1.ingress(t, h, Set.of("B"), Set.of("A"), c -> db.holders("O", c));
        assertEquals(List.of(new Forward("B", "o2", 1)), d.forwards());
        // everyone: one copy per child, sorted
        d = o1.ingress(t, h, Set.of("O", "A", "B", "C", "E"), Set.of("A"), c -> db.holders("O", c));
        assertEquals(List.of(new Forward("A", "o1", 1), new Forward("B", "o2", 1)), d.forwards());
    }

    @Test
    void childrenWhoseSubtreeHasNoInterestArePruned() {
        Forwarding o1 = at("O", "o1");
        Header h = o1.stamp(cache);
        SiteTree t = o1.treeOf(h, cache);
        assertEquals(List.of(), o1.ingress(t, h, Set.of(), Set.of("A"), c -> db.holders("O", c)).forwards());
        assertEquals(List.of(), o1.ingress(t, h, Set.of("O"), Set.of("A"), c -> db.holders("O", c)).forwards(),
                "its own site is not forwarded to");
        assertEquals(List.of(), o1.ingress(t, h, Set.of("Z"), Set.of("A"), c -> db.holders("O", c)).forwards(),
                "a site not in the tree");
        // at A, the ingress for C: E has no interest, so only C
        Forwarding a1 = at("A", "a1");
        Header ha = h.next();
        Decision d = a1.ingress(t, ha, Set.of("C", "B"), Set.of("O", "C"), c -> db.holders("A", c));
        assertEquals(List.of(new Forward("C", "a1", 2)), d.forwards(), "B is not below A");
        d = a1.ingress(t, ha, Set.of("E"), Set.of("O", "C"), c -> db.holders("A", c));
        assertEquals(List.of(new Forward("E", "a2", 2)), d.forwards(), "a2 holds the link to E");
    }

    @Test
    void noEgressWhenNoNodeOfTheSiteHoldsALinkToTheChild() {
        Forwarding o1 = at("O", "o1");
        Header h = o1.stamp(cache);
        SiteTree t = o1.treeOf(h, cache);
        Decision d = o1.ingress(t, h, Set.of("B", "C"), Set.of("A"), c -> List.of());
        assertEquals(List.of(new Forward("A", "o1", 1)), d.forwards());
        assertEquals(List.of(new Drop("B", DropReason.NO_EGRESS)), d.drops());
        // the records say o1 holds a link to B, but o1 knows it is down: not itself
        d = o1.ingress(t, h, Set.of("B"), Set.of("A"), c -> List.of("o1"));
        assertEquals(List.of(new Drop("B", DropReason.NO_EGRESS)), d.drops());
        assertEquals("no_egress", DropReason.NO_EGRESS.metricName());
    }

    @Test
    void egressIsARendezvousPickAmongHoldersKeyedByTheChild() {
        Forwarding x = at("O", "o9");
        List<String> holders = new ArrayList<>(List.of("o1", "o2", "o3", "o4", "o5"));
        String expected = null;
        long best = 0;
        for (String n : holders) {
            long s = Hash64.rendezvous("B", n);
            if (expected == null || s > best) {
                expected = n;
                best = s;
            }
        }
        for (int i = 0; i < 10; i++) {
            Collections.shuffle(holders, new java.util.Random(i));
            assertEquals(expected, x.egressFor("B", Set.of(), holders), "seed " + i);
            assertEquals(expected, at("O", "o7").egressFor("B", Set.of(), holders), "any node of the site picks it");
        }
        assertEquals("o9", x.egressFor("B", Set.of("B"), holders), "its own live link first");
        // keyed by the child: different children spread over the holders
        Set<String> picks = new java.util.TreeSet<>();
        for (int c = 0; c < 50; c++) {
            picks.add(x.egressFor("C" + c, Set.of(), holders));
        }
        assertTrue(picks.size() >= 3, "picks " + picks);
    }

    @Test
    void aGatewayHopIsAcceptedFromTheParentAtItsDepthOnly() {
        Forwarding c1 = at("C", "c1");
        Decision d = c1.receive(new Header("O", fp, 2), "A", cache);
        assertTrue(d.accepted());
        assertSame(cache.current("O"), d.tree());
        assertEquals(DropReason.NOT_PARENT, c1.receive(new Header("O", fp, 2), "B", cache).reason());
        assertEquals(DropReason.BAD_DEPTH, c1.receive(new Header("O", fp, 1), "A", cache).reason());
        assertEquals(DropReason.BAD_DEPTH, c1.receive(new Header("O", fp, 3), "A", cache).reason());
        assertEquals(DropReason.UNKNOWN_TREE, c1.receive(new Header("O", fp + 1, 2), "A", cache).reason());
        assertEquals(DropReason.UNKNOWN_TREE, c1.receive(new Header("Q", fp, 2), "A", cache).reason());
        assertEquals(DropReason.NOT_PARENT, at("O", "o1").receive(new Header("O", fp, 0), "A", cache).reason(),
                "the origin has no parent in its own tree");
    }

    @Test
    void theHopCapBoundsReceiveAndIngress() {
        Forwarding c1 = new Forwarding("C", "c1", 1);
        assertEquals(DropReason.HOP_CAP, c1.receive(new Header("O", fp, 2), "A", cache).reason());
        Forwarding a1 = new Forwarding("A", "a1", 1);
        Header h = new Header("O", fp, 1);
        Decision d = a1.receive(h, "O", cache);
        assertTrue(d.accepted());
        d = a1.ingress(d.tree(), h, Set.of("C"), Set.of("C"), c -> db.holders("A", c));
        assertEquals(List.of(new Drop("C", DropReason.HOP_CAP)), d.drops());
        assertEquals(List.of(), d.forwards());
    }

    @Test
    void theEgressChecksTheTreeAndItsOwnLink() {
        Forwarding o2 = at("O", "o2");
        Header h = new Header("O", fp, 0);
        Decision d = o2.egress(h, "B", cache, Set.of("B"));
        assertEquals(List.of(new Forward("B", "o2", 1)), d.forwards());
        assertEquals(DropReason.LINK_DOWN, o2.egress(h, "B", cache, Set.of()).reason());
        assertEquals(DropReason.UNKNOWN_TREE, o2.egress(new Header("O", fp ^ 1, 0), "B", cache, Set.of("B")).reason());
        assertEquals(DropReason.NOT_PARENT, o2.egress(h, "C", cache, Set.of("C")).reason(), "C is not O's child");
        assertEquals(DropReason.HOP_CAP, new Forwarding("A", "a1", 1).egress(new Header("O", fp, 1), "C", cache,
                Set.of("C")).reason());
    }

    @Test
    void theIngressRefusesAHeaderOfAnotherTree() {
        Forwarding o1 = at("O", "o1");
        SiteTree t = cache.current("O");
        assertThrows(IllegalArgumentException.class,
                () -> o1.ingress(t, new Header("O", fp ^ 1, 0), Set.of("A"), Set.of(), c -> List.of()));
    }

    /**
     * An event stamped on the tree before a change is still accepted on it after the change (the
     * old trees are kept), while an event on the new tree follows the new parents; after K more
     * graph versions the old tree is gone.
     */
    @Test
    void oldTreesStayUsableForKVersions() {
        Header old = new Header("O", fp, 2);
        // the link A—C goes down: a1 and c1 re-originate without it; C now hangs below B
        db.apply(rec("a1", "A", 1, 2, link("O", "o1", 1)), 1);
        db.apply(rec("c1", "C", 1, 2, link("B", "b1", 1)), 1);
        assertTrue(cache.install(db.siteGraph()));
        assertFalse(cache.install(db.siteGraph()), "the same graph is not a new version");
        long fpNew = cache.current("O").fingerprint();
        assertNotEquals(fp, fpNew);
        Forwarding c1 = at("C", "c1");
        assertTrue(c1.receive(old, "A", cache).accepted(), "the old tree is still held");
        assertEquals(DropReason.NOT_PARENT, c1.receive(new Header("O", fpNew, 2), "A", cache).reason());
        assertTrue(c1.receive(new Header("O", fpNew, 2), "B", cache).accepted());
        // changes that leave O's tree alone keep its fingerprint
        for (int i = 0; i < 3; i++) {
            db.apply(rec("x" + i, "X" + i, 1, 1), 2);
            assertTrue(cache.install(db.siteGraph()));
            assertEquals(fpNew, cache.current("O").fingerprint());
        }
        assertEquals(4, cache.versions());
        assertEquals(DropReason.UNKNOWN_TREE, c1.receive(old, "A", cache).reason(), "K=4 versions later");
        assertTrue(c1.receive(new Header("O", fpNew, 2), "B", cache).accepted());
    }
}
