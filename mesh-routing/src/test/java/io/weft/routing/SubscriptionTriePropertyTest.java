package io.weft.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.weft.protocol.Topics;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Seeded random operations checked against the slow reference {@link Topics#matches}: a failure
 * prints the seed, cache capacity and step, and replays exactly with that seed.
 */
class SubscriptionTriePropertyTest {
    private static final String[] TOKENS = {"a", "b", "c", "dd", Topics.INTERNAL_TOKEN};
    private static final String[] GROUPS = {null, null, null, "g1", "g2"};
    private static final int STEPS = 2000;

    private record Entry(String pattern, String group, Integer subscriber) {
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 3, 16, 4096})
    void matchAgreesWithReferenceUnderInterleavedAddAndRemove(int cacheCapacity) {
        for (long seed = 1; seed <= 8; seed++) {
            run(seed, cacheCapacity);
        }
    }

    private static void run(long seed, int cacheCapacity) {
        Random rnd = new Random(seed);
        SubscriptionTrie<Integer> trie = new SubscriptionTrie<>(cacheCapacity);
        Set<Entry> model = new HashSet<>();
        for (int step = 0; step < STEPS; step++) {
            String where = "seed=" + seed + " cache=" + cacheCapacity + " step=" + step;
            int op = rnd.nextInt(10);
            if (op < 4) {
                Entry e = new Entry(randomPattern(rnd), GROUPS[rnd.nextInt(GROUPS.length)], rnd.nextInt(6));
                model.add(e);
                trie.add(e.pattern(), e.group(), e.subscriber());
            } else if (op < 7 && !model.isEmpty()) {
                List<Entry> entries = new ArrayList<>(model);
                entries.sort((x, y) -> x.toString().compareTo(y.toString()));
                Entry e = entries.get(rnd.nextInt(entries.size()));
                model.remove(e);
                assertEquals(true, trie.remove(e.pattern(), e.group(), e.subscriber()), where + " remove " + e);
            } else if (op < 8) {
                Entry e = new Entry(randomPattern(rnd), GROUPS[rnd.nextInt(GROUPS.length)], rnd.nextInt(6));
                assertEquals(model.remove(e), trie.remove(e.pattern(), e.group(), e.subscriber()),
                        where + " remove " + e);
            } else {
                String topic = rnd.nextInt(8) == 0 ? randomString(rnd) : randomTopic(rnd);
                assertEquals(reference(model, topic), normalize(trie.match(topic)), where + " topic '" + topic + "'");
            }
            assertEquals(model.size(), trie.size(), where);
        }
        for (Entry e : model) {
            assertEquals(true, trie.remove(e.pattern(), e.group(), e.subscriber()), "seed=" + seed + " drain " + e);
        }
        assertEquals(0, trie.size(), "seed=" + seed);
        assertEquals(1, trie.nodeCount(), "seed=" + seed + ": empty nodes left after removing everything");
    }

    @Test
    void matchIsEmptyExactlyForInvalidTopics() {
        SubscriptionTrie<Integer> trie = new SubscriptionTrie<>(16);
        trie.add(">", null, 1);
        for (long seed = 1; seed <= 5; seed++) {
            Random rnd = new Random(seed);
            for (int i = 0; i < 20_000; i++) {
                String topic = randomString(rnd);
                assertEquals(!Topics.isValidTopic(topic), trie.match(topic).isEmpty(),
                        "seed=" + seed + " i=" + i + " topic '" + topic + "'");
            }
        }
    }

    /** Expected result, normalised: plain subscribers sorted, then groups by name. */
    private static List<Object> reference(Set<Entry> model, String topic) {
        List<Integer> plain = new ArrayList<>();
        Map<String, Set<Integer>> groups = new TreeMap<>();
        if (Topics.isValidTopic(topic)) {
            for (Entry e : model) {
                if (Topics.matches(e.pattern(), topic)) {
                    if (e.group() == null) {
                        plain.add(e.subscriber());
                    } else {
                        groups.computeIfAbsent(e.group(), k -> new TreeSet<>()).add(e.subscriber());
                    }
                }
            }
        }
        plain.sort(null);
        Map<String, List<Integer>> g = new TreeMap<>();
        groups.forEach((name, members) -> g.put(name, new ArrayList<>(members)));
        return List.of(plain, g);
    }

    private static List<Object> normalize(Match<Integer> match) {
        return List.of(SubscriptionTrieTest.plain(match), SubscriptionTrieTest.groups(match));
    }

    private static String randomPattern(Random rnd) {
        int n = 1 + rnd.nextInt(4);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) {
            if (i > 0) {
                b.append('.');
            }
            int r = rnd.nextInt(100);
            if (i == n - 1 && r < 12) {
                b.append('>');
            } else if (r < 30) {
                b.append('*');
            } else {
                b.append(TOKENS[rnd.nextInt(TOKENS.length)]);
            }
        }
        return b.toString();
    }

    private static String randomTopic(Random rnd) {
        int n = 1 + rnd.nextInt(5);
        StringBuilder b = new StringBuilder(TOKENS[rnd.nextInt(TOKENS.length)]);
        for (int i = 1; i < n; i++) {
            b.append('.').append(TOKENS[rnd.nextInt(TOKENS.length)]);
        }
        return b.toString();
    }

    /** Mostly garbage: dots, wildcards, white space and control characters among letters. */
    private static String randomString(Random rnd) {
        char[] alphabet = {'a', 'b', '.', '.', '*', '>', ' ', '\t', '\u2003', '\u0000', '\u007f', 'é'};
        int n = rnd.nextInt(7);
        StringBuilder b = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            b.append(alphabet[rnd.nextInt(alphabet.length)]);
        }
        return b.toString();
    }
}
