package io.weft.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** Site aggregation: union of the nodes' entries minus subsumed ones, and its digest. */
class SiteAggregateTest {
    private static final String G = "workers";
    /** Two filters' canonical texts (the aggregate compares them as opaque identities). */
    static final String F1 = "[{\"exact\":{\"type\":\"created\"}}]";
    static final String F2 = "[{\"sql\":\"amount > 100\"}]";

    @Test
    void broaderPlainPatternSubsumesNarrowerOnesOfTheSameGroupOnly() {
        SiteAggregate agg = new SiteAggregate();
        EntryDiff diff = new EntryDiff();
        agg.add(InterestEntry.plain("orders.eu.*"), diff);
        agg.add(InterestEntry.plain("orders.eu.created"), diff);
        agg.add(new InterestEntry("orders.eu.*", G), diff);
        assertEquals(List.of(InterestEntry.plain("orders.eu.*"), new InterestEntry("orders.eu.*", G)), agg.sorted());

        diff.clear();
        agg.add(InterestEntry.plain("orders.>"), diff);
        assertEquals(List.of(InterestEntry.plain("orders.>"), new InterestEntry("orders.eu.*", G)), agg.sorted(),
                "plain orders.> covers plain orders.eu.* but not the group entry");
        assertEquals(List.of(InterestEntry.plain("orders.>")), diff.sortedAdded());
        assertEquals(List.of(InterestEntry.plain("orders.eu.*")), diff.sortedRemoved());

        diff.clear();
        agg.remove(InterestEntry.plain("orders.>"), diff);
        assertEquals(List.of(InterestEntry.plain("orders.eu.*"), new InterestEntry("orders.eu.*", G)), agg.sorted(),
                "removing the cover brings back what it covered, minus what is still covered");
    }

    @Test
    void anUnfilteredEntrySubsumesFilteredOnesAndAFilteredOneOnlyItsOwnFilter() {
        SiteAggregate agg = new SiteAggregate();
        EntryDiff diff = new EntryDiff();
        InterestEntry euF1 = new InterestEntry("orders.eu.*", null, F1);
        InterestEntry allF1 = new InterestEntry("orders.>", null, F1);
        InterestEntry euF2 = new InterestEntry("orders.eu.*", null, F2);
        agg.add(euF1, diff);
        agg.add(euF2, diff);
        assertEquals(List.of(euF1, euF2), agg.sorted(), "two filters on one pattern: both stay (their union)");
        agg.add(allF1, diff);
        assertEquals(List.of(allF1, euF2), agg.sorted(), "orders.> where F1 covers orders.eu.* where F1, not where F2");

        diff.clear();
        InterestEntry eu = InterestEntry.plain("orders.eu.*");
        agg.add(eu, diff);
        assertEquals(List.of(allF1, eu), agg.sorted(), "without a filter it covers the same pattern with any filter");
        assertEquals(List.of(eu), diff.sortedAdded());
        assertEquals(List.of(euF2), diff.sortedRemoved());

        InterestEntry inGroup = new InterestEntry("orders.eu.*", G, F1);
        agg.add(inGroup, diff);
        assertTrue(agg.contains(inGroup), "a plain entry never covers a group's");

        diff.clear();
        agg.add(InterestEntry.plain("orders.>"), diff);
        assertEquals(List.of(InterestEntry.plain("orders.>"), inGroup), agg.sorted());
        diff.clear();
        agg.remove(InterestEntry.plain("orders.>"), diff);
        agg.remove(eu, diff);
        assertEquals(List.of(allF1, euF2, inGroup), agg.sorted(), "what the covers covered comes back, minus the still covered");
        assertNotEquals(DigestedSet.digestOf(List.of(eu)), DigestedSet.digestOf(List.of(new InterestEntry("orders.eu.*", null, F1))),
                "the digest covers the filter");
        assertEquals(Hash64.entry(eu), Hash64.entry(new InterestEntry("orders.eu.*", null)),
                "an entry without a filter hashes as it did before filters");
    }

    @Test
    void entryHeldByTwoNodesStaysUntilBothDropIt() {
        SiteAggregate agg = new SiteAggregate();
        EntryDiff diff = new EntryDiff();
        InterestEntry e = InterestEntry.plain("a.b");
        agg.add(e, diff);
        agg.add(e, diff);
        agg.remove(e, diff);
        assertEquals(List.of(e), agg.sorted());
        agg.remove(e, diff);
        assertEquals(List.of(), agg.sorted());
        assertEquals(0, agg.digest(), "the empty set's digest is 0");
    }

    @Test
    void digestDependsOnTheSetOnly() {
        List<InterestEntry> entries = new ArrayList<>();
        for (String p : PatternIndexTest.allPatterns()) {
            entries.add(InterestEntry.plain(p));
            entries.add(new InterestEntry(p, G));
        }
        long expected = DigestedSet.digestOf(aggregateOf(entries));
        for (long seed = 1; seed <= 5; seed++) {
            List<InterestEntry> shuffled = new ArrayList<>(entries);
            Collections.shuffle(shuffled, new Random(seed));
            SiteAggregate agg = new SiteAggregate();
            for (InterestEntry e : shuffled) {
                agg.add(e, new EntryDiff());
            }
            assertEquals(expected, agg.digest(), "seed=" + seed);
        }
        assertNotEquals(DigestedSet.digestOf(List.of(InterestEntry.plain("a"))),
                DigestedSet.digestOf(List.of(new InterestEntry("a", "g"))));
        assertNotEquals(DigestedSet.digestOf(List.of(new InterestEntry("a.b", "c"))),
                DigestedSet.digestOf(List.of(new InterestEntry("a", "b.c"))));
    }

    /** Random nodes add and remove random entries; the aggregate and the reported diffs stay exact. */
    @Test
    void incrementalAggregateMatchesReference() {
        List<String> patterns = PatternIndexTest.allPatterns();
        String[] groups = {null, null, "g1", "g2"};
        String[] filters = {null, null, null, F1, F2};
        for (long seed = 1; seed <= 12; seed++) {
            Random rnd = new Random(seed);
            SiteAggregate agg = new SiteAggregate();
            List<Set<InterestEntry>> nodes = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                nodes.add(new HashSet<>());
            }
            Set<InterestEntry> before = new TreeSet<>();
            for (int step = 0; step < 400; step++) {
                Set<InterestEntry> node = nodes.get(rnd.nextInt(nodes.size()));
                InterestEntry e = new InterestEntry(patterns.get(rnd.nextInt(patterns.size())),
                        groups[rnd.nextInt(groups.length)], filters[rnd.nextInt(filters.length)]);
                EntryDiff diff = new EntryDiff();
                if (node.contains(e)) {
                    node.remove(e);
                    agg.remove(e, diff);
                } else {
                    node.add(e);
                    agg.add(e, diff);
                }
                List<InterestEntry> union = new ArrayList<>();
                Map<InterestEntry, Integer> seen = new HashMap<>();
                for (Set<InterestEntry> n : nodes) {
                    for (InterestEntry x : n) {
                        if (seen.merge(x, 1, Integer::sum) == 1) {
                            union.add(x);
                        }
                    }
                }
                Set<InterestEntry> expected = aggregateOf(union);
                String where = "seed=" + seed + " step=" + step + " " + e;
                assertEquals(List.copyOf(expected), agg.sorted(), where);
                assertEquals(DigestedSet.digestOf(expected), agg.digest(), where);
                Set<InterestEntry> added = new TreeSet<>(expected);
                added.removeAll(before);
                Set<InterestEntry> removed = new TreeSet<>(before);
                removed.removeAll(expected);
                assertEquals(List.copyOf(added), diff.sortedAdded(), where);
                assertEquals(List.copyOf(removed), diff.sortedRemoved(), where);
                before = expected;
            }
        }
    }

    /** The obvious quadratic aggregation. */
    static Set<InterestEntry> aggregateOf(List<InterestEntry> union) {
        Set<InterestEntry> out = new TreeSet<>();
        for (InterestEntry e : union) {
            boolean covered = false;
            for (InterestEntry o : union) {
                if (!o.equals(e) && java.util.Objects.equals(o.queueGroup(), e.queueGroup())
                        && (o.filter() == null || o.filter().equals(e.filter()))
                        && PatternIndex.covers(o.pattern(), e.pattern())) {
                    covered = true;
                    break;
                }
            }
            if (!covered) {
                out.add(e);
            }
        }
        return out;
    }
}
