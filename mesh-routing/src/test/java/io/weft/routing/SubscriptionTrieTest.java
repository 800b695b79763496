package io.weft.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.protocol.InvalidTopicException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SubscriptionTrieTest {
    private final SubscriptionTrie<String> trie = new SubscriptionTrie<>(64);

    /** Plain subscribers, sorted, so assertions do not depend on the unspecified order. */
    static <T extends Comparable<T>> List<T> plain(Match<T> m) {
        List<T> list = new ArrayList<>(m.subscribers());
        list.sort(null);
        return list;
    }

    /** Queue groups as name to sorted members. */
    static <T extends Comparable<T>> Map<String, List<T>> groups(Match<T> m) {
        Map<String, List<T>> map = new TreeMap<>();
        for (QueueGroup<T> g : m.groups()) {
            List<T> members = new ArrayList<>(g.members());
            members.sort(null);
            assertEquals(null, map.put(g.name(), members), "group listed twice: " + g.name());
        }
        return map;
    }

    @Test
    void literalPatternMatchesOnlyItsTopic() {
        trie.add("orders.eu.created", null, "s1");
        assertEquals(List.of("s1"), plain(trie.match("orders.eu.created")));
        assertTrue(trie.match("orders.eu").isEmpty());
        assertTrue(trie.match("orders.eu.created.x").isEmpty());
        assertTrue(trie.match("orders.us.created").isEmpty());
    }

    @Test
    void starMatchesExactlyOneToken() {
        trie.add("orders.*.created", null, "s1");
        trie.add("*", null, "top");
        assertEquals(List.of("s1"), plain(trie.match("orders.eu.created")));
        assertEquals(List.of("s1"), plain(trie.match("orders.us.created")));
        assertTrue(trie.match("orders.created").isEmpty());
        assertTrue(trie.match("orders.eu.west.created").isEmpty());
        assertEquals(List.of("top"), plain(trie.match("orders")));
    }

    @Test
    void restMatchesOneOrMoreTrailingTokens() {
        trie.add("orders.>", null, "s1");
        assertEquals(List.of("s1"), plain(trie.match("orders.eu")));
        assertEquals(List.of("s1"), plain(trie.match("orders.eu.created.v2")));
        assertTrue(trie.match("orders").isEmpty(), "'>' needs at least one token");
        assertTrue(trie.match("payments.eu").isEmpty());
        trie.add(">", null, "all");
        assertEquals(List.of("all"), plain(trie.match("orders")));
        assertEquals(List.of("all", "s1"), plain(trie.match("orders.eu")));
    }

    @Test
    void firstTokenWildcardsSkipInternalTopics() {
        trie.add(">", null, "all");
        trie.add("*.inbox.>", null, "star");
        trie.add("_weft.inbox.>", null, "inbox");
        assertEquals(List.of("inbox"), plain(trie.match("_weft.inbox.n1.7")));
        assertTrue(trie.match("_weft.api.streams").isEmpty());
        assertEquals(List.of("all", "star"), plain(trie.match("app.inbox.7")));
        assertEquals(List.of("all"), plain(trie.match("_weftish.x")));
    }

    @Test
    void subscriberOfTwoMatchingPatternsIsListedOncePerPattern() {
        trie.add("orders.*", null, "s");
        trie.add("orders.>", null, "s");
        trie.add("orders.eu", null, "s");
        assertEquals(List.of("s", "s", "s"), plain(trie.match("orders.eu")));
        assertEquals(3, trie.size());
    }

    @Test
    void queueGroupsMergeAcrossPatternsWithEachMemberOnce() {
        trie.add("orders.*", "workers", "a");
        trie.add("orders.>", "workers", "b");
        trie.add("orders.eu", "workers", "a");
        trie.add("orders.eu", "auditors", "c");
        trie.add("orders.eu", null, "plain");
        Match<String> m = trie.match("orders.eu");
        assertEquals(List.of("plain"), plain(m));
        assertEquals(Map.of("workers", List.of("a", "b"), "auditors", List.of("c")), groups(m));
        assertEquals(Map.of("workers", List.of("b")), groups(trie.match("orders.eu.x")));
    }

    @Test
    void addHasSetSemantics() {
        trie.add("a.b", null, "s");
        trie.add("a.b", null, "s");
        trie.add("a.b", "g", "s");
        trie.add("a.b", "g", "s");
        assertEquals(2, trie.size());
        Match<String> m = trie.match("a.b");
        assertEquals(List.of("s"), plain(m));
        assertEquals(Map.of("g", List.of("s")), groups(m));
    }

    @Test
    void removeIsExactAndPrunesToEmpty() {
        trie.add("a.b.c", null, "s1");
        trie.add("a.*.c", null, "s1");
        trie.add("a.>", "g", "s2");
        trie.add("a.b.c", null, "s2");
        assertEquals(4, trie.size());
        assertFalse(trie.remove("a.b.c", "g", "s1"), "wrong group");
        assertFalse(trie.remove("a.b", null, "s1"), "prefix of a pattern");
        assertFalse(trie.remove("a.b.c.d", null, "s1"), "longer than any pattern");
        assertFalse(trie.remove("a.b.c", null, "nobody"));
        assertFalse(trie.remove("a..c", null, "s1"), "invalid pattern is simply absent");
        assertTrue(trie.remove("a.b.c", null, "s1"));
        assertFalse(trie.remove("a.b.c", null, "s1"), "already removed");
        assertEquals(List.of("s1", "s2"), plain(trie.match("a.b.c")));
        assertTrue(trie.remove("a.*.c", null, "s1"));
        assertTrue(trie.remove("a.>", "g", "s2"));
        assertTrue(trie.remove("a.b.c", null, "s2"));
        assertEquals(0, trie.size());
        assertTrue(trie.match("a.b.c").isEmpty());
        assertTrue(trieIsPruned(trie), "empty nodes must be pruned");
    }

    @Test
    void churnLeavesNoNodesBehind() {
        for (int round = 0; round < 3; round++) {
            for (int i = 0; i < 1000; i++) {
                trie.add("t" + i + ".x." + (i % 7), i % 3 == 0 ? "g" + (i % 5) : null, "s" + i);
                trie.add("t" + i + ".*.>", null, "w" + i);
            }
            for (int i = 0; i < 1000; i++) {
                assertTrue(trie.remove("t" + i + ".x." + (i % 7), i % 3 == 0 ? "g" + (i % 5) : null, "s" + i));
                assertTrue(trie.remove("t" + i + ".*.>", null, "w" + i));
            }
            assertEquals(0, trie.size());
            assertTrue(trieIsPruned(trie));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ".", "a.", ".a", "a..b", "ord*", "*a", "orders.>.x", ">.a", "a.>>",
        "a b", " a", "a\tb", "a\u2003b", "a.b\n", "a\u0000"})
    void invalidPatternsAreRejectedWithAMessage(String pattern) {
        InvalidTopicException e = assertThrows(InvalidTopicException.class,
                () -> trie.add(pattern, null, "s"));
        assertTrue(e.getMessage().startsWith("invalid pattern"), e.getMessage());
        assertEquals(0, trie.size());
    }

    @Test
    void invalidPatternMessagesNameTheRule() {
        assertTrue(messageOf("ord*.x").contains("must be a whole token"), messageOf("ord*.x"));
        assertTrue(messageOf("a.>.b").contains("only allowed as the last token"), messageOf("a.>.b"));
        assertTrue(messageOf("a..b").contains("empty token"), messageOf("a..b"));
        assertTrue(messageOf("a b").contains("white space"), messageOf("a b"));
        assertThrows(InvalidTopicException.class, () -> trie.add(null, null, "s"));
    }

    private String messageOf(String pattern) {
        return assertThrows(InvalidTopicException.class, () -> trie.add(pattern, null, "s")).getMessage();
    }

    @Test
    void badQueueGroupsAndNullSubscribersAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> trie.add("a", "", "s"));
        assertThrows(IllegalArgumentException.class, () -> trie.add("a", "my group", "s"));
        assertThrows(NullPointerException.class, () -> trie.add("a", null, null));
        assertFalse(trie.remove("a", null, null));
        assertEquals(0, trie.size());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ".", "..", "a..b", "a.", ".a", "a.*", "a.>", "*", ">", "ord*", "a b",
        "a\tb", "a\u2003b", "a\u007f"})
    void matchOnInvalidTopicsIsEmpty(String topic) {
        trie.add(">", null, "all");
        trie.add("*", null, "one");
        trie.add("a.*", null, "a");
        assertTrue(trie.match(topic).isEmpty(), "'" + topic + "' is not a topic");
        assertEquals(0, trie.cacheSize(), "invalid topics are not cached");
    }

    @Test
    void matchOnNullOrOverlongTopicIsEmpty() {
        trie.add(">", null, "all");
        assertTrue(trie.match(null).isEmpty());
        assertTrue(trie.match("a".repeat(io.weft.protocol.Topics.MAX_LENGTH + 1)).isEmpty());
        assertFalse(trie.match("a".repeat(io.weft.protocol.Topics.MAX_LENGTH)).isEmpty());
        String tokens32 = "a" + ".a".repeat(io.weft.protocol.Topics.MAX_TOKENS - 1);
        assertFalse(trie.match(tokens32).isEmpty());
        assertTrue(trie.match(tokens32 + ".a").isEmpty(), "too many tokens");
    }

    @Test
    void cacheHitReturnsTheSameSnapshot() {
        trie.add("a.*", null, "s");
        Match<String> first = trie.match("a.b");
        assertSame(first, trie.match(new String("a.b")));
        assertEquals(1, trie.cacheSize());
        assertSame(Match.empty(), trie.match("nobody.cares"), "empty results are shared");
        assertEquals(2, trie.cacheSize(), "empty results are cached too");
    }

    @Test
    void cacheSeesAddsAndRemovesAfterATopicWasCached() {
        assertTrue(trie.match("orders.eu.created").isEmpty());
        assertTrue(trie.match("orders.us.created").isEmpty());
        trie.add("orders.eu.created", null, "literal");
        assertEquals(List.of("literal"), plain(trie.match("orders.eu.created")));
        assertTrue(trie.match("orders.us.created").isEmpty());
        trie.add("orders.*.created", "g", "star");
        assertEquals(Map.of("g", List.of("star")), groups(trie.match("orders.us.created")));
        trie.add("orders.>", null, "rest");
        assertEquals(List.of("literal", "rest"), plain(trie.match("orders.eu.created")));
        Match<String> before = trie.match("orders.eu.created");
        trie.remove("orders.eu.created", null, "literal");
        assertEquals(List.of("rest"), plain(trie.match("orders.eu.created")));
        assertEquals(List.of("literal", "rest"), plain(before), "a match is an immutable snapshot");
        trie.remove("orders.>", null, "rest");
        trie.remove("orders.*.created", "g", "star");
        assertTrue(trie.match("orders.eu.created").isEmpty());
        assertTrue(trie.match("orders.us.created").isEmpty());
    }

    @Test
    void unrelatedChangesKeepCachedEntries() {
        trie.add("a.b", null, "s");
        Match<String> cached = trie.match("a.b");
        trie.add("c.d", null, "s");
        trie.add("c.*", null, "s");
        trie.add("a.c.>", null, "s");
        assertSame(cached, trie.match("a.b"), "only topics the changed pattern matches are dropped");
    }

    @Test
    void cacheStaysBoundedAndCorrect() {
        SubscriptionTrie<String> small = new SubscriptionTrie<>(10);
        small.add("t.>", null, "s");
        for (int i = 0; i < 10_000; i++) {
            assertEquals(List.of("s"), small.match("t." + i).subscribers());
            assertTrue(small.cacheSize() <= 10, "cache grew to " + small.cacheSize());
        }
        assertTrue(small.cacheSize() > 0);
        small.remove("t.>", null, "s");
        assertEquals(0, small.cacheSize(), "a wildcard change drops every topic it matches");
        assertTrue(small.match("t.9999").isEmpty());
    }

    @Test
    void disabledCacheStillMatches() {
        SubscriptionTrie<String> uncached = new SubscriptionTrie<>(0);
        uncached.add("a.*", null, "s");
        assertEquals(List.of("s"), uncached.match("a.b").subscribers());
        assertEquals(0, uncached.cacheSize());
        assertThrows(IllegalArgumentException.class, () -> new SubscriptionTrie<String>(-1));
    }

    @Test
    void oneSlotCacheWorks() {
        SubscriptionTrie<String> one = new SubscriptionTrie<>(1);
        one.add("a.*", null, "s");
        assertEquals(List.of("s"), one.match("a.b").subscribers());
        assertEquals(List.of("s"), one.match("a.c").subscribers());
        assertEquals(1, one.cacheSize());
    }

    @Test
    void manySubscribersOnOnePattern() {
        for (int i = 0; i < 5000; i++) {
            trie.add("hot.topic", i % 2 == 0 ? null : "g", "s" + i);
        }
        Match<String> m = trie.match("hot.topic");
        assertEquals(2500, m.subscribers().size());
        assertEquals(2500, m.groups().get(0).members().size());
        for (int i = 0; i < 5000; i += 2) {
            assertTrue(trie.remove("hot.topic", null, "s" + i));
        }
        assertTrue(trie.match("hot.topic").subscribers().isEmpty());
        assertEquals(2500, trie.size());
    }

    /** No subscription left and only the root node remains. */
    private static boolean trieIsPruned(SubscriptionTrie<String> trie) {
        return trie.size() == 0 && trie.nodeCount() == 1;
    }
}
