package io.weft.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Smoke test of concurrent match with add/remove. No sleeps and no timing: readers run until the
 * writer is done, and the assertions hold under every interleaving.
 */
class SubscriptionTrieConcurrencyTest {
    private static final int HOT_TOPICS = 50;

    @Test
    void readersAlwaysSeeStableSubscriptionsAndNoStaleEntrySurvives() throws InterruptedException {
        SubscriptionTrie<String> trie = new SubscriptionTrie<>(64);
        trie.add("s.>", null, "stable");
        trie.add("s.*.x", "g", "stableMember");
        AtomicBoolean writerDone = new AtomicBoolean();
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();

        Thread writer = new Thread(() -> {
            for (int i = 0; i < 20_000; i++) {
                String pattern = i % 3 == 0 ? "s.*.x" : "s.k" + (i % HOT_TOPICS) + ".x";
                trie.add(pattern, i % 2 == 0 ? null : "g", "w" + i);
                if (!trie.remove(pattern, i % 2 == 0 ? null : "g", "w" + i)) {
                    failures.add("remove of w" + i + " failed");
                }
            }
            writerDone.set(true);
        });
        Thread[] readers = new Thread[2];
        for (int r = 0; r < readers.length; r++) {
            readers[r] = new Thread(() -> {
                int j = 0;
                while (!writerDone.get() || j < 10_000) {
                    String topic = "s.k" + (j++ % HOT_TOPICS) + ".x";
                    Match<String> m = trie.match(topic);
                    if (!m.subscribers().contains("stable") || m.groups().stream()
                            .noneMatch(g -> g.name().equals("g") && g.members().contains("stableMember"))) {
                        failures.add(topic + " lost a stable subscription: " + m);
                    }
                }
            });
        }
        writer.start();
        for (Thread t : readers) {
            t.start();
        }
        writer.join();
        for (Thread t : readers) {
            t.join();
        }

        assertTrue(failures.isEmpty(), () -> failures.size() + " failures, first: " + failures.peek());
        assertEquals(2, trie.size());
        for (int k = 0; k < HOT_TOPICS; k++) {
            Match<String> m = trie.match("s.k" + k + ".x");
            assertEquals(List.of("stable"), m.subscribers(), "stale cache entry for s.k" + k + ".x");
            assertEquals(Map.of("g", List.of("stableMember")), SubscriptionTrieTest.groups(m));
        }
    }
}
