package io.weft.storage;

import io.weft.protocol.Topics;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SubjectsTest {

    @Test
    void overlapExamples() {
        assertTrue(Subjects.overlap("orders.>", "orders.eu.*"));
        assertTrue(Subjects.overlap("orders.eu.*", "orders.>"));
        assertTrue(Subjects.overlap("orders.*.created", "orders.eu.*"));
        assertTrue(Subjects.overlap(">", "a"));
        assertTrue(Subjects.overlap("a.b", "a.b"));
        assertFalse(Subjects.overlap("orders.*", "orders.eu.created"));
        assertFalse(Subjects.overlap("orders.>", "orders"));
        assertFalse(Subjects.overlap("orders.>", "payments.>"));
        assertFalse(Subjects.overlap("a.*.c", "a.b.d"));
        assertFalse(Subjects.overlap(">", "_weft.inbox.>"), "a wildcard does not match internal topics");
        assertTrue(Subjects.overlap("_weft.>", "_weft.inbox.*"));
    }

    /** Compares with brute force: is there a topic (over a small alphabet) that both patterns match? */
    @Test
    void overlapAgreesWithBruteForce() {
        long seed = 42;
        Random random = new Random(seed);
        String[] tokens = {"a", "b", Topics.INTERNAL_TOKEN, "*", ">"};
        List<String> topics = allTopics(4);
        for (int n = 0; n < 2_000; n++) {
            String p = randomPattern(random, tokens);
            String q = randomPattern(random, tokens);
            boolean expected = topics.stream().anyMatch(t -> Topics.matches(p, t) && Topics.matches(q, t));
            assertEquals(expected, Subjects.overlap(p, q), () -> p + " vs " + q + " (seed " + seed + ")");
        }
    }

    private static String randomPattern(Random random, String[] tokens) {
        int len = 1 + random.nextInt(3);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < len; i++) {
            String t = tokens[random.nextInt(i == len - 1 ? tokens.length : tokens.length - 1)];
            b.append(i == 0 ? "" : ".").append(t);
        }
        return b.toString();
    }

    /** Every topic of 1..maxLen tokens over {a, b, z, _weft}; z stands for "any other token". */
    private static List<String> allTopics(int maxLen) {
        List<String> out = new ArrayList<>();
        List<String> level = List.of("");
        for (int len = 1; len <= maxLen; len++) {
            List<String> next = new ArrayList<>();
            for (String prefix : level) {
                for (String t : new String[] {"a", "b", "z", Topics.INTERNAL_TOKEN}) {
                    next.add(prefix.isEmpty() ? t : prefix + "." + t);
                }
            }
            out.addAll(next);
            level = next;
        }
        return out;
    }
}
