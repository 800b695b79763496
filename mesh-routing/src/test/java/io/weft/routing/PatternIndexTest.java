package io.weft.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.protocol.Topics;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** Pattern covering, checked against a brute-force reference over a complete set of topics. */
class PatternIndexTest {

    @Test
    void coversExamples() {
        assertTrue(PatternIndex.covers("orders.>", "orders.eu.*"));
        assertTrue(PatternIndex.covers("orders.>", "orders.eu.created"));
        assertTrue(PatternIndex.covers("orders.>", "orders.>"));
        assertTrue(PatternIndex.covers("orders.*.created", "orders.eu.created"));
        assertTrue(PatternIndex.covers(">", "a"));
        assertTrue(PatternIndex.covers("*.>", "a.b.>"));
        assertFalse(PatternIndex.covers("orders.>", "orders"));
        assertFalse(PatternIndex.covers("orders.*", "orders.>"));
        assertFalse(PatternIndex.covers("orders.eu.*", "orders.>"));
        assertFalse(PatternIndex.covers("orders.eu.created", "orders.eu.*"));
        assertFalse(PatternIndex.covers("a.*", "a.b.c"));
    }

    @Test
    void wildcardsDoNotCoverInternalPatterns() {
        assertFalse(PatternIndex.covers(">", "_weft.inbox.n1.*"));
        assertFalse(PatternIndex.covers("*.>", "_weft.api.streams"));
        assertTrue(PatternIndex.covers("_weft.>", "_weft.inbox.n1.*"));
        PatternIndex index = new PatternIndex();
        index.add(">");
        index.add("_weft.inbox.n1.*");
        index.add("orders.eu");
        assertFalse(index.coveredByOther("_weft.inbox.n1.*"), "a site aggregate must keep the inbox pattern");
        assertTrue(index.coveredByOther("orders.eu"));
        List<String> covered = new ArrayList<>();
        index.forEachCoveredBy(">", covered::add);
        assertEquals(List.of("orders.eu"), covered);
    }

    @Test
    void coversAgreesWithBruteForce() {
        List<String> patterns = allPatterns();
        List<String> topics = universe();
        List<Set<Integer>> matched = new ArrayList<>();
        for (String p : patterns) {
            Set<Integer> m = new TreeSet<>();
            for (int t = 0; t < topics.size(); t++) {
                if (Topics.matches(p, topics.get(t))) {
                    m.add(t);
                }
            }
            matched.add(m);
        }
        for (int i = 0; i < patterns.size(); i++) {
            for (int j = 0; j < patterns.size(); j++) {
                boolean expected = matched.get(i).containsAll(matched.get(j));
                assertEquals(expected, PatternIndex.covers(patterns.get(i), patterns.get(j)),
                        patterns.get(i) + " covers " + patterns.get(j));
            }
        }
    }

    @Test
    void indexQueriesAgreeWithPairwiseCovers() {
        List<String> all = allPatterns();
        for (long seed = 1; seed <= 20; seed++) {
            Random rnd = new Random(seed);
            PatternIndex index = new PatternIndex();
            Set<String> model = new TreeSet<>();
            for (int step = 0; step < 300; step++) {
                String p = all.get(rnd.nextInt(all.size()));
                if (rnd.nextInt(3) == 0) {
                    assertEquals(model.remove(p), index.remove(p), "seed=" + seed + " remove " + p);
                } else {
                    assertEquals(model.add(p), index.add(p), "seed=" + seed + " add " + p);
                }
                assertEquals(model.size(), index.size());
                String q = all.get(rnd.nextInt(all.size()));
                boolean expectCovered = model.stream().anyMatch(o -> !o.equals(q) && PatternIndex.covers(o, q));
                assertEquals(expectCovered, index.coveredByOther(q), "seed=" + seed + " step=" + step + " q=" + q
                        + " set=" + model);
                Set<String> expected = new TreeSet<>();
                for (String o : model) {
                    if (!o.equals(q) && PatternIndex.covers(q, o)) {
                        expected.add(o);
                    }
                }
                Set<String> actual = new TreeSet<>();
                index.forEachCoveredBy(q, actual::add);
                assertEquals(expected, actual, "seed=" + seed + " step=" + step + " covered by " + q);
            }
        }
    }

    /** Every pattern of 1..3 tokens over {a_i, b_i, *} (and the internal token first) with an optional final '>'. */
    static List<String> allPatterns() {
        List<String> out = new ArrayList<>();
        build(out, "", 0);
        return out;
    }

    private static void build(List<String> out, String prefix, int depth) {
        if (depth > 0) {
            out.add(prefix);
        }
        if (depth == 4) {
            return;
        }
        String sep = depth == 0 ? "" : ".";
        out.add(prefix + sep + ">");
        if (depth == 3) {
            return;
        }
        for (String t : depth == 0 ? new String[] {"a0", "b0", "*", Topics.INTERNAL_TOKEN}
                : new String[] {"a" + depth, "b" + depth, "*"}) {
            build(out, prefix + sep + t, depth + 1);
        }
    }

    /** Topics of 1..5 tokens over {a_i, b_i, z}: z stands for any token no pattern names. */
    private static List<String> universe() {
        List<String> out = new ArrayList<>();
        List<String> level = List.of("");
        for (int depth = 0; depth < 5; depth++) {
            List<String> next = new ArrayList<>();
            for (String prefix : level) {
                for (String t : depth == 0 ? new String[] {"a0", "b0", "z", Topics.INTERNAL_TOKEN}
                        : new String[] {"a" + depth, "b" + depth, "z"}) {
                    next.add(prefix.isEmpty() ? t : prefix + "." + t);
                }
            }
            out.addAll(next);
            level = next;
        }
        return out;
    }
}
