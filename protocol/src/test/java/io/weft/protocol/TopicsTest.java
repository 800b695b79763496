package io.weft.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TopicsTest {
    @Test
    void acceptsOrdinaryTopicsAndPatterns() {
        Topics.validateTopic("orders.eu.created");
        Topics.validateTopic("com.example.order-created_v2");
        Topics.validatePattern("orders.>");
        Topics.validatePattern("orders.*.created");
        Topics.validatePattern(">");
        Topics.validatePattern("*");
    }

    @Test
    void rejectsWithAMessageNamingTheRule() {
        assertMessage("", false, "must not be empty");
        assertMessage("orders..eu", false, "empty token");
        assertMessage(".orders", false, "empty token");
        assertMessage("orders.", false, "empty token");
        assertMessage("orders eu", false, "white space");
        assertMessage("orders.*", false, "only allowed in subscription patterns");
        assertMessage("orders.>.eu", true, "last token");
        assertMessage("ord*.eu", true, "whole token");
        assertMessage("orders.e>", true, "whole token");
        assertMessage("a.".repeat(40) + "a", true, "tokens");
        assertMessage("x".repeat(Topics.MAX_LENGTH + 1), false, "longer than");
    }

    private static void assertMessage(String s, boolean pattern, String fragment) {
        InvalidTopicException e = assertThrows(InvalidTopicException.class,
                () -> {
                    if (pattern) {
                        Topics.validatePattern(s);
                    } else {
                        Topics.validateTopic(s);
                    }
                });
        assertTrue(e.getMessage().contains(fragment), e.getMessage());
        assertEquals(pattern ? ErrorCode.INVALID_PATTERN : ErrorCode.INVALID_TOPIC, e.code());
    }

    @Test
    void referenceMatcher() {
        assertTrue(Topics.matches("orders.>", "orders.eu.created"));
        assertFalse(Topics.matches("orders.>", "orders"));
        assertTrue(Topics.matches("orders.*.created", "orders.eu.created"));
        assertFalse(Topics.matches("orders.*", "orders.eu.created"));
        assertTrue(Topics.matches(">", "a"));
        assertFalse(Topics.matches(">", "_weft.inbox.n1.7"), "a first-token wildcard skips internal topics");
        assertFalse(Topics.matches("*.inbox.>", "_weft.inbox.n1.7"));
        assertTrue(Topics.matches("_weft.>", "_weft.inbox.n1.7"));
        assertTrue(Topics.matches("_weft.*.n1.>", "_weft.inbox.n1.7"));
        assertTrue(Topics.matches(">", "_weftish.a"), "only the exact first token is internal");
        assertTrue(Topics.matches("a.>", "a._weft"));
        assertTrue(Topics.isInternal("_weft"));
        assertTrue(Topics.isInternal("_weft.api.streams"));
        assertFalse(Topics.isInternal("_weftish.a"));
        assertTrue(Topics.hasWildcard("a.*"));
        assertFalse(Topics.hasWildcard("a.b"));
    }
}
