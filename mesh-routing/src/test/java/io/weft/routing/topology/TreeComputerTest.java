package io.weft.routing.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** {@link TreeComputer} and {@link SiteTree} against {@link ReferenceTrees}, and the tie-breaking rules by example. */
class TreeComputerTest {
    /** A random graph as the reference sees it (matrix) and as the code under test does (a {@link SiteGraph}). */
    record RandomGraph(List<String> sites, int[][] cost, boolean[] noTransit, SiteGraph graph) {
    }

    /**
     * 2..9 sites with names drawn so that name order is not generation order, edges with a random
     * density, costs 1..3 (many equal-cost ties), a third of the sites no-transit. Links are added
     * to the builder in random order and some twice with a higher cost first (the builder keeps
     * the lower).
     */
    static RandomGraph randomGraph(SplittableRandom rnd) {
        int n = 2 + rnd.nextInt(8);
        List<String> pool = new ArrayList<>(List.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "zz", "m0"));
        Collections.shuffle(pool, new java.util.Random(rnd.nextLong()));
        List<String> sites = new ArrayList<>(pool.subList(0, n));
        int[][] cost = new int[n][n];
        boolean[] nt = new boolean[n];
        double density = 0.2 + rnd.nextDouble() * 0.6;
        List<int[]> links = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            nt[i] = rnd.nextInt(3) == 0;
            for (int j = i + 1; j < n; j++) {
                if (rnd.nextDouble() < density) {
                    cost[i][j] = cost[j][i] = 1 + rnd.nextInt(3);
                    links.add(new int[] {i, j});
                }
            }
        }
        Collections.shuffle(links, new java.util.Random(rnd.nextLong()));
        SiteGraph.Builder b = new SiteGraph.Builder();
        for (int i = 0; i < n; i++) {
            b.site(sites.get(i), nt[i]);
        }
        for (int[] l : links) {
            int c = cost[l[0]][l[1]];
            if (rnd.nextInt(4) == 0) {
                b.link(sites.get(l[1]), sites.get(l[0]), c + 1 + rnd.nextInt(3)); // a costlier pair, also joining them
            }
            b.link(sites.get(l[0]), sites.get(l[1]), c);
        }
        return new RandomGraph(sites, cost, nt, b.build());
    }

    @Test
    void matchesTheBruteForceReferenceOnRandomGraphs() {
        int trees = 0;
        for (long seed = 1; seed <= 500; seed++) {
            RandomGraph g = randomGraph(new SplittableRandom(seed));
            for (String origin : g.sites()) {
                ReferenceTrees.Tree ref = ReferenceTrees.compute(g.sites(), g.cost(), g.noTransit(), origin);
                SiteTree t = TreeComputer.compute(g.graph(), origin);
                String why = "seed " + seed + ", origin " + origin + ", " + g.graph();
                assertTreeEquals(ref, t, why);
                trees++;
            }
        }
        assertTrue(trees > 2000, "trees checked: " + trees);
    }

    /** Every parent, depth, the reached set, subtrees, next hops, and no children below a no-transit site but the root. */
    static void assertTreeEquals(ReferenceTrees.Tree ref, SiteTree t, String why) {
        assertEquals(ref.origin(), t.origin(), why);
        assertEquals(ref.sites(), t.sites(), why + ": reached sites");
        assertEquals(ref.parents(), t.parents(), why + ": parents");
        assertEquals(ref.fingerprint(), t.fingerprint(), why + ": fingerprint");
        SiteGraph g = t.graph();
        for (String s : g.sites()) {
            assertEquals(ref.depth().getOrDefault(s, -1), t.depth(s), why + ": depth of " + s);
            assertEquals(ref.parents().get(s), t.parent(s), why + ": parent of " + s);
            if (g.isNoTransit(s) && !s.equals(t.origin())) {
                assertEquals(List.of(), t.children(s), why + ": no-transit " + s + " has children");
            }
            List<String> expectedChildren = new ArrayList<>();
            ref.parents().forEach((c, p) -> {
                if (p.equals(s)) {
                    expectedChildren.add(c);
                }
            });
            assertEquals(expectedChildren, t.children(s), why + ": children of " + s);
            for (String x : g.sites()) {
                assertEquals(ref.inSubtree(s, x), t.inSubtree(s, x), why + ": " + x + " below " + s);
                String hop = null;
                if (ref.inSubtree(s, x) && !x.equals(s)) {
                    hop = x;
                    while (!ref.parents().get(hop).equals(s)) {
                        hop = ref.parents().get(hop);
                    }
                }
                assertEquals(hop, t.nextHop(s, x), why + ": next hop from " + s + " to " + x);
            }
        }
    }

    @Test
    void cheaperPathWinsOverFewerHops() {
        // o-a costs 5; o-b-a costs 2: a hangs below b
        SiteGraph g = new SiteGraph.Builder().link("o", "a", 5).link("o", "b", 1).link("b", "a", 1).build();
        SiteTree t = TreeComputer.compute(g, "o");
        assertEquals("b", t.parent("a"));
        assertEquals(2, t.depth("a"));
    }

    @Test
    void atEqualCostFewerHopsWin() {
        // o-a costs 2; o-b-a costs 1+1: equal cost, the direct link has fewer hops
        SiteGraph g = new SiteGraph.Builder().link("o", "a", 2).link("o", "b", 1).link("b", "a", 1).build();
        SiteTree t = TreeComputer.compute(g, "o");
        assertEquals("o", t.parent("a"));
        assertEquals(1, t.depth("a"));
    }

    @Test
    void atEqualCostAndHopsTheLowerNamedParentWins() {
        // a square o-x-t and o-y-t: t's parent is x, whatever order the links came in
        SiteGraph g1 = new SiteGraph.Builder().link("o", "y", 1).link("y", "t", 1).link("o", "x", 1).link("x", "t", 1)
                .build();
        SiteGraph g2 = new SiteGraph.Builder().link("x", "t", 1).link("o", "x", 1).link("t", "y", 1).link("y", "o", 1)
                .build();
        assertEquals(g1, g2);
        assertEquals("x", TreeComputer.compute(g1, "o").parent("t"));
        assertEquals("x", TreeComputer.compute(g2, "o").parent("t"));
        // renamed so that the other path sorts first: the choice follows the names
        SiteGraph g3 = new SiteGraph.Builder().link("o", "y", 1).link("y", "t", 1).link("o", "z", 1).link("z", "t", 1)
                .build();
        assertEquals("y", TreeComputer.compute(g3, "o").parent("t"));
    }

    @Test
    void noTransitSitesAreLeavesExceptAsRoot() {
        // hub h, edges e1 (no-transit) with uplinks to h and g; g beyond
        SiteGraph g = new SiteGraph.Builder().site("e1", true).link("e1", "h", 1).link("e1", "g", 1).link("h", "g", 5)
                .build();
        SiteTree fromH = TreeComputer.compute(g, "h");
        assertEquals("h", fromH.parent("g"), "h reaches g directly at cost 5, not through the edge at 2");
        assertEquals(List.of(), fromH.children("e1"));
        SiteTree fromE = TreeComputer.compute(g, "e1");
        assertEquals(List.of("g", "h"), fromE.children("e1"), "an edge is the root of its own tree");
        // an edge whose only way anywhere is through another edge is unreachable
        SiteGraph chain = new SiteGraph.Builder().site("e1", true).site("e2", true).link("h", "e1", 1)
                .link("e1", "e2", 1).build();
        SiteTree t = TreeComputer.compute(chain, "h");
        assertFalse(t.contains("e2"));
        assertEquals(-1, t.depth("e2"));
        assertNull(t.parent("e2"));
        assertEquals(List.of("e1", "h"), t.sites());
    }

    @Test
    void originOutsideTheGraphHasNoTree() {
        assertNull(TreeComputer.compute(SiteGraph.EMPTY, "o"));
        SiteTree alone = TreeComputer.compute(new SiteGraph.Builder().site("o", false).site("p", false).build(), "o");
        assertEquals(List.of("o"), alone.sites());
        assertEquals(Map.of(), alone.parents());
        assertNull(alone.nextHop("o", "p"));
    }

    @Test
    void aLongChainDoesNotOverflowTheStack() {
        SiteGraph.Builder b = new SiteGraph.Builder();
        for (int i = 0; i < 5000; i++) {
            b.link(String.format("s%05d", i), String.format("s%05d", i + 1), 1);
        }
        SiteTree t = TreeComputer.compute(b.build(), "s00000");
        assertEquals(5000, t.depth("s05000"));
        assertEquals("s00001", t.nextHop("s00000", "s05000"));
        assertTrue(t.inSubtree("s02500", "s04000"));
    }

    /** The fingerprint changes if and only if the parent map does, over pairs of related random graphs. */
    @Test
    void fingerprintChangesIffParentsChange() {
        int same = 0;
        int changed = 0;
        for (long seed = 1; seed <= 300; seed++) {
            SplittableRandom rnd = new SplittableRandom(seed);
            RandomGraph g = randomGraph(rnd);
            // a second graph: one link's cost changed, or one link added or removed
            int n = g.sites().size();
            int[][] cost2 = new int[n][];
            for (int i = 0; i < n; i++) {
                cost2[i] = g.cost()[i].clone();
            }
            int i = rnd.nextInt(n);
            int j = rnd.nextInt(n);
            if (i != j) {
                int c = rnd.nextInt(4); // 0 removes
                cost2[i][j] = cost2[j][i] = c;
            }
            SiteGraph.Builder b = new SiteGraph.Builder();
            for (int k = 0; k < n; k++) {
                b.site(g.sites().get(k), g.noTransit()[k]);
                for (int m = k + 1; m < n; m++) {
                    if (cost2[k][m] > 0) {
                        b.link(g.sites().get(k), g.sites().get(m), cost2[k][m]);
                    }
                }
            }
            SiteGraph g2 = b.build();
            for (String o : g.sites()) {
                SiteTree t1 = TreeComputer.compute(g.graph(), o);
                SiteTree t2 = TreeComputer.compute(g2, o);
                boolean parentsEqual = t1.parents().equals(t2.parents());
                assertEquals(parentsEqual, t1.fingerprint() == t2.fingerprint(),
                        "seed " + seed + " origin " + o + ": " + t1 + " vs " + t2);
                if (parentsEqual) {
                    same++;
                } else {
                    changed++;
                }
            }
        }
        assertTrue(same > 100 && changed > 100, "both cases exercised: same " + same + ", changed " + changed);
    }

    /**
     * Relabelling sites while keeping their name order keeps every tree (up to the labels); a
     * relabelling that swaps the order of two tied candidates swaps the choice, as name-based
     * tie-breaking says.
     */
    @Test
    void orderPreservingRelabellingGivesTheSameTrees() {
        for (long seed = 1; seed <= 200; seed++) {
            RandomGraph g = randomGraph(new SplittableRandom(seed));
            List<String> sorted = new ArrayList<>(g.sites());
            Collections.sort(sorted);
            Map<String, String> rename = new TreeMap<>();
            for (int i = 0; i < sorted.size(); i++) {
                rename.put(sorted.get(i), "site-" + (char) ('a' + i) + "-" + seed);
            }
            SiteGraph.Builder b = new SiteGraph.Builder();
            for (String s : g.graph().sites()) {
                b.site(rename.get(s), g.graph().isNoTransit(s));
                g.graph().neighbours(s).forEach((x, c) -> b.link(rename.get(s), rename.get(x), c));
            }
            SiteGraph renamed = b.build();
            for (String o : g.sites()) {
                Map<String, String> expected = new TreeMap<>();
                TreeComputer.compute(g.graph(), o).parents().forEach((c, p) -> expected.put(rename.get(c), rename.get(p)));
                assertEquals(expected, TreeComputer.compute(renamed, rename.get(o)).parents(), "seed " + seed + " origin " + o);
            }
        }
    }
}
