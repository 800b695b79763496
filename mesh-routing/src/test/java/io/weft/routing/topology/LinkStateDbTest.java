package io.weft.routing.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** {@link LinkState} and {@link LinkStateDb}: versions, the two-way check, costs, tombstones, MaxAge, anti-entropy. */
class LinkStateDbTest {
    private static final long MAX_AGE = 40_000;

    static LinkState.Link link(String site, String node, int cost) {
        return new LinkState.Link(site, node, cost);
    }

    static LinkState rec(String node, String site, long inc, long seq, LinkState.Link... links) {
        return new LinkState(node, site, inc, seq, false, true, false, node + ":7000", List.of(links));
    }

    static LinkState edge(String node, String site, long inc, long seq, LinkState.Link... links) {
        return new LinkState(node, site, inc, seq, true, false, false, node + ":7000", List.of(links));
    }

    @Test
    void recordsValidateAndSortTheirLinks() {
        assertThrows(IllegalArgumentException.class, () -> rec("", "s", 1, 1));
        assertThrows(IllegalArgumentException.class, () -> rec("n", "", 1, 1));
        assertThrows(IllegalArgumentException.class, () -> link("t", "x", 0));
        assertThrows(IllegalArgumentException.class, () -> link("t", "x", 65536));
        assertThrows(IllegalArgumentException.class, () -> link("", "x", 1));
        assertThrows(IllegalArgumentException.class, () -> rec("n", "s", 1, 1, link("s", "m", 1)), "own site");
        assertThrows(IllegalArgumentException.class, () -> rec("n", "s", 1, 1, link("t", "x", 1), link("t", "x", 2)));
        assertThrows(IllegalArgumentException.class, () -> rec("n", "s", -1, 1));
        assertThrows(IllegalArgumentException.class, () -> new LinkState("n", "s", 1, 1, false, true, true, "",
                List.of(link("t", "x", 1))), "a tombstone with links");
        link("t", "x", 65535);
        assertEquals(rec("n", "s", 1, 1, link("t", "x", 1), link("a", "y", 2)),
                rec("n", "s", 1, 1, link("a", "y", 2), link("t", "x", 1)));
        assertEquals(link("t", "x", 1), rec("n", "s", 1, 1, link("t", "x", 1), link("a", "y", 2)).linkTo("t", "x"));
        assertEquals(null, rec("n", "s", 1, 1, link("t", "x", 1)).linkTo("t", "y"));
    }

    @Test
    void newerIsByIncarnationThenSeq() {
        LinkState a = rec("n", "s", 2, 5);
        assertTrue(rec("n", "s", 2, 6).isNewerThan(a));
        assertTrue(rec("n", "s", 3, 0).isNewerThan(a));
        assertFalse(rec("n", "s", 2, 5).isNewerThan(a));
        assertFalse(rec("n", "s", 1, 99).isNewerThan(a));
        assertTrue(LinkState.tombstone("n", "s", 2).isNewerThan(a));
        assertFalse(LinkState.tombstone("n", "s", 2).isNewerThan(rec("n", "s", 3, 0)));
        assertThrows(IllegalArgumentException.class, () -> a.isNewerThan(rec("m", "s", 1, 1)));
    }

    @Test
    void applyInstallsOnlyNewerRecords() {
        LinkStateDb db = new LinkStateDb(MAX_AGE);
        assertEquals(0, db.digest());
        assertTrue(db.apply(rec("n", "s", 1, 2), 0));
        long d = db.digest();
        assertFalse(db.apply(rec("n", "s", 1, 2, link("t", "x", 1)), 0), "same version: ignored");
        assertFalse(db.apply(rec("n", "s", 1, 1), 0), "older: ignored");
        assertEquals(d, db.digest());
        assertTrue(db.apply(rec("n", "s", 1, 3), 0));
        assertNotEquals(d, db.digest());
        assertEquals(1, db.size());
        assertEquals(3, db.get("n").seq());
    }

    @Test
    void aOneWayLinkIsNotInTheGraph() {
        LinkStateDb db = new LinkStateDb(MAX_AGE);
        db.apply(rec("a1", "A", 1, 1, link("B", "b1", 1)), 0);
        db.apply(rec("b1", "B", 1, 1), 0);
        SiteGraph g = db.siteGraph();
        assertEquals(List.of("A", "B"), g.sites());
        assertEquals(0, g.linkCount(), "b1 does not confirm the link");
        assertEquals(List.of(), db.holders("A", "B"));
        db.apply(rec("b1", "B", 1, 2, link("A", "a1", 1)), 0);
        assertEquals(1, db.siteGraph().linkCount());
        assertEquals(List.of("a1"), db.holders("A", "B"));
        assertEquals(List.of("b1"), db.holders("B", "A"));
        // a record of the peer that names another site does not confirm
        db.apply(rec("b1", "C", 1, 3, link("A", "a1", 1)), 0);
        assertEquals(0, db.siteGraph().linkCount());
    }

    @Test
    void linkCostIsTheMaxOfTheSidesAndTheMinOverNodePairs() {
        LinkStateDb db = new LinkStateDb(MAX_AGE);
        db.apply(rec("a1", "A", 1, 1, link("B", "b1", 2)), 0);
        db.apply(rec("b1", "B", 1, 1, link("A", "a1", 7), link("A", "a2", 1)), 0);
        db.apply(rec("a2", "A", 1, 1, link("B", "b1", 5)), 0);
        assertEquals(5, db.siteGraph().cost("A", "B"), "pair a1-b1 costs 7, pair a2-b1 costs 5");
        assertEquals(List.of("a1", "a2"), db.holders("A", "B"));
        db.apply(rec("a2", "A", 1, 2), 0);
        assertEquals(7, db.siteGraph().cost("A", "B"));
        assertEquals(List.of("a1"), db.holders("A", "B"));
    }

    @Test
    void aSiteIsNoTransitWhenAnyOfItsRecordsSaysSo() {
        LinkStateDb db = new LinkStateDb(MAX_AGE);
        db.apply(rec("e1", "E", 1, 1), 0);
        db.apply(edge("e2", "E", 1, 1), 0);
        db.apply(rec("h1", "H", 1, 1), 0);
        assertTrue(db.siteGraph().isNoTransit("E"));
        assertFalse(db.siteGraph().isNoTransit("H"));
        db.apply(LinkState.tombstone("e2", "E", 1), 0);
        assertFalse(db.siteGraph().isNoTransit("E"), "a tombstone says nothing of its site");
    }

    @Test
    void aTombstoneRemovesTheNodesLinksUntilItsNextIncarnation() {
        LinkStateDb db = new LinkStateDb(MAX_AGE);
        db.apply(rec("a1", "A", 1, 1, link("B", "b1", 1)), 0);
        db.apply(rec("b1", "B", 5, 1, link("A", "a1", 1)), 0);
        assertEquals(1, db.siteGraph().linkCount());
        assertTrue(db.apply(LinkState.tombstone("b1", "B", 5), 10));
        assertEquals(0, db.siteGraph().linkCount(), "a1's record still lists b1, but nobody confirms it");
        assertEquals(List.of("A"), db.siteGraph().sites(), "B has no live record");
        assertFalse(db.apply(rec("b1", "B", 5, 9, link("A", "a1", 1)), 20), "a stale record of the dead life");
        assertFalse(db.apply(LinkState.tombstone("b1", "B", 5), 20));
        assertTrue(db.apply(rec("b1", "B", 6, 0, link("A", "a1", 1)), 30), "the next life");
        assertEquals(1, db.siteGraph().linkCount());
    }

    @Test
    void recordsExpireAfterMaxAgeWithoutANewerCopy() {
        LinkStateDb db = new LinkStateDb(1000);
        assertThrows(IllegalArgumentException.class, () -> new LinkStateDb(0));
        db.apply(rec("a1", "A", 1, 1, link("B", "b1", 1)), 0);
        db.apply(rec("b1", "B", 1, 1, link("A", "a1", 1)), 500);
        db.apply(LinkState.tombstone("c1", "C", 1), 100);
        assertEquals(List.of(), db.expire(999));
        assertEquals(List.of("a1"), db.expire(1000));
        assertEquals(0, db.siteGraph().linkCount());
        db.apply(rec("a1", "A", 1, 2, link("B", "b1", 1)), 1000); // refreshed
        assertEquals(1, db.siteGraph().linkCount());
        assertEquals(List.of("c1"), db.expire(1100));
        assertEquals(List.of("b1"), db.expire(1500));
        assertEquals(List.of("a1"), db.records().stream().map(LinkState::node).toList());
        LinkStateDb fresh = new LinkStateDb(1000);
        fresh.apply(rec("a1", "A", 1, 2, link("B", "b1", 1)), 0);
        assertEquals(fresh.digest(), db.digest(), "the digest follows removals");
        assertTrue(db.apply(rec("b1", "B", 1, 1, link("A", "a1", 1)), 1600),
                "a stale copy after expiry is installed again (harmless: see the class doc)");
    }

    /**
     * A random mesh of nodes: for each node a history of records (older versions, sometimes a
     * tombstone and a later incarnation), with links that are sometimes one-way.
     */
    static List<LinkState> randomHistory(SplittableRandom rnd) {
        int sites = 2 + rnd.nextInt(6);
        List<String[]> nodes = new ArrayList<>(); // {node, site}
        for (int s = 0; s < sites; s++) {
            int k = 1 + rnd.nextInt(3);
            for (int i = 0; i < k; i++) {
                nodes.add(new String[] {"n" + s + "_" + i, "S" + s});
            }
        }
        List<LinkState> out = new ArrayList<>();
        for (String[] n : nodes) {
            long inc = 1 + rnd.nextInt(3);
            int versions = 1 + rnd.nextInt(3);
            boolean noTransit = rnd.nextInt(4) == 0;
            for (int v = 0; v < versions; v++) {
                List<LinkState.Link> links = new ArrayList<>();
                for (String[] m : nodes) {
                    if (!m[1].equals(n[1]) && rnd.nextInt(3) == 0) {
                        links.add(link(m[1], m[0], 1 + rnd.nextInt(3)));
                    }
                }
                out.add(new LinkState(n[0], n[1], inc, v, noTransit, !noTransit, false, "", links));
            }
            if (rnd.nextInt(5) == 0) {
                out.add(LinkState.tombstone(n[0], n[1], inc));
                if (rnd.nextBoolean()) {
                    out.add(new LinkState(n[0], n[1], inc + 1, 0, noTransit, true, false, "", List.of()));
                }
            }
        }
        return out;
    }

    /** Arrival order does not matter: same digest, summary, graph and tree fingerprints. */
    @Test
    void permutationsOfArrivalOrderGiveTheSameDatabase() {
        for (long seed = 1; seed <= 200; seed++) {
            SplittableRandom rnd = new SplittableRandom(seed);
            List<LinkState> history = randomHistory(rnd);
            LinkStateDb first = null;
            for (int p = 0; p < 5; p++) {
                List<LinkState> order = new ArrayList<>(history);
                Collections.shuffle(order, new java.util.Random(rnd.nextLong()));
                LinkStateDb db = new LinkStateDb(MAX_AGE);
                for (LinkState r : order) {
                    db.apply(r, 0);
                }
                if (first == null) {
                    first = db;
                    continue;
                }
                String why = "seed " + seed + " permutation " + p;
                assertEquals(first.digest(), db.digest(), why);
                assertEquals(first.summary(), db.summary(), why);
                assertEquals(first.records(), db.records(), why);
                assertEquals(first.siteGraph(), db.siteGraph(), why);
                for (String o : db.siteGraph().sites()) {
                    assertEquals(TreeComputer.compute(first.siteGraph(), o).fingerprint(),
                            TreeComputer.compute(db.siteGraph(), o).fingerprint(), why + " origin " + o);
                }
            }
            assertEquals(expectedGraph(first.records()), first.siteGraph(), "seed " + seed);
        }
    }

    /** The two-way check restated over the final records, for the comparison above. */
    private static SiteGraph expectedGraph(List<LinkState> records) {
        Map<String, LinkState> byNode = new TreeMap<>();
        records.forEach(r -> byNode.put(r.node(), r));
        SiteGraph.Builder b = new SiteGraph.Builder();
        for (LinkState r : records) {
            if (r.tombstone()) {
                continue;
            }
            b.site(r.site(), r.noTransit());
            for (LinkState.Link l : r.links()) {
                LinkState p = byNode.get(l.peerNode());
                if (p == null || p.tombstone() || !p.site().equals(l.peerSite())) {
                    continue;
                }
                for (LinkState.Link back : p.links()) {
                    if (back.peerNode().equals(r.node()) && back.peerSite().equals(r.site())) {
                        b.link(r.site(), l.peerSite(), Math.max(l.cost(), back.cost()));
                    }
                }
            }
        }
        return b.build();
    }

    /** Two databases that exchange summaries, push what is newer and pull what is missing end up equal. */
    @Test
    void antiEntropyConverges() {
        for (long seed = 1; seed <= 200; seed++) {
            SplittableRandom rnd = new SplittableRandom(seed);
            List<LinkState> history = randomHistory(rnd);
            LinkStateDb a = new LinkStateDb(MAX_AGE);
            LinkStateDb b = new LinkStateDb(MAX_AGE);
            for (LinkState r : history) {
                if (rnd.nextBoolean()) {
                    a.apply(r, 0);
                }
                if (rnd.nextBoolean()) {
                    b.apply(r, 0);
                }
            }
            String why = "seed " + seed;
            // a sends its digest; b differs and answers with its summary
            List<LinkState.Version> bSummary = b.summary();
            List<LinkState> push = a.newerThan(bSummary);
            List<String> pull = a.missingFrom(bSummary);
            for (LinkState r : push) {
                assertTrue(b.apply(r, 1), why + ": pushed " + r + " is newer at b");
            }
            for (LinkState r : b.recordsOf(pull)) {
                assertTrue(a.apply(r, 1), why + ": pulled " + r + " is newer at a");
            }
            assertEquals(a.digest(), b.digest(), why);
            assertEquals(a.records(), b.records(), why);
            assertEquals(List.of(), a.newerThan(b.summary()), why);
            assertEquals(List.of(), a.missingFrom(b.summary()), why);
        }
    }

    @Test
    void digestIsASetHashOfVersions() {
        LinkStateDb a = new LinkStateDb(MAX_AGE);
        LinkStateDb b = new LinkStateDb(MAX_AGE);
        a.apply(rec("x", "S", 1, 1), 0);
        a.apply(rec("y", "T", 1, 1), 0);
        b.apply(rec("y", "T", 1, 1), 5);
        b.apply(rec("x", "S", 1, 1), 7);
        assertEquals(a.digest(), b.digest());
        b.apply(rec("x", "S", 1, 2), 7);
        assertNotEquals(a.digest(), b.digest());
        assertEquals(List.of("x"), a.missingFrom(b.summary()));
        assertEquals(List.of(), b.missingFrom(a.summary()));
        assertEquals(List.of(rec("x", "S", 1, 2)), b.newerThan(a.summary()));
    }
}
