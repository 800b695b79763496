package io.weft.broker.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DeliveryPolicyTest {
    @Test
    void absentNullAndEmptyGiveTheDefaults() throws Exception {
        DeliveryPolicy d = DeliveryPolicy.defaults();
        assertEquals(d, DeliveryPolicy.fromJson(null));
        assertEquals(d, DeliveryPolicy.fromJson(json("null")));
        assertEquals(d, DeliveryPolicy.fromJson(json("{}")));
        assertEquals(10, d.retry());
        assertEquals(DeliveryPolicy.BackoffPolicy.EXPONENTIAL, d.backoffPolicy());
        assertEquals(Duration.ofMillis(500), d.backoffDelay());
        assertEquals(Duration.ofSeconds(60), d.backoffMax());
        assertEquals(Duration.ofSeconds(10), d.timeout());
        assertEquals(Duration.ofSeconds(60), d.retryAfterMax());
        assertNull(d.deadLetterTopic());
        assertEquals(11, d.maxAttempts());
    }

    @Test
    void everyMemberIsReadAndTheRealizedJsonReadsBack() throws Exception {
        DeliveryPolicy d = DeliveryPolicy.fromJson(json("""
                {"retry": 5, "backoffPolicy": "linear", "backoffDelay": "PT2S", "backoffMax": "PT30S",
                 "timeout": "PT1M", "retryAfterMax": "PT5M", "deadLetterTopic": "orders.dead"}"""));
        assertEquals(new DeliveryPolicy(5, DeliveryPolicy.BackoffPolicy.LINEAR, Duration.ofSeconds(2),
                Duration.ofSeconds(30), Duration.ofMinutes(1), "orders.dead", Duration.ofMinutes(5)), d);
        assertEquals(d, DeliveryPolicy.fromJson(d.toJson()));
        assertEquals(DeliveryPolicy.defaults(), DeliveryPolicy.fromJson(DeliveryPolicy.defaults().toJson()));
        assertEquals("{\"retry\":5,\"backoffPolicy\":\"linear\",\"backoffDelay\":\"PT2S\",\"backoffMax\":\"PT30S\","
                + "\"timeout\":\"PT1M\",\"retryAfterMax\":\"PT5M\",\"deadLetterTopic\":\"orders.dead\"}",
                d.toJson().toString());
    }

    @Test
    void retryAfterMaxFollowsBackoffMaxAndALongDelayRaisesTheDefaultMax() throws Exception {
        DeliveryPolicy wide = DeliveryPolicy.fromJson(json("{\"backoffMax\": \"PT2M\"}"));
        assertEquals(Duration.ofMinutes(2), wide.retryAfterMax());
        DeliveryPolicy slow = DeliveryPolicy.fromJson(json("{\"backoffDelay\": \"PT2M\"}"));
        assertEquals(Duration.ofMinutes(2), slow.backoffMax());
        assertEquals(Duration.ofMinutes(2), slow.retryAfterMax());
        assertEquals(Duration.ZERO, DeliveryPolicy.fromJson(json("{\"retryAfterMax\": \"PT0S\"}")).retryAfterMax());
    }

    @Test
    void anEmptyDeadLetterTopicMeansNone() throws Exception {
        assertNull(DeliveryPolicy.fromJson(json("{\"deadLetterTopic\": \"\"}")).deadLetterTopic());
        assertNull(DeliveryPolicy.fromJson(json("{\"deadLetterTopic\": null}")).deadLetterTopic());
    }

    @Test
    void theMessageStartsWithTheFieldPath() throws Exception {
        InvalidRuleException e = assertThrows(InvalidRuleException.class,
                () -> DeliveryPolicy.fromJson(json("{\"backoffDelay\": \"P5\"}")));
        assertEquals("delivery.backoffDelay", e.field());
        assertTrue(e.getMessage().startsWith("delivery.backoffDelay: not an ISO-8601 duration: 'P5'"), e.getMessage());
        assertEquals("subscriptions[2].delivery.backoffDelay", e.at("subscriptions[2]").field());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            []                                   | delivery                 | must be an object, not an array
            {"retry": -1}                        | delivery.retry           | must be an integer in [0, 200], not -1
            {"retry": 201}                       | delivery.retry           | must be an integer in [0, 200], not 201
            {"retry": "3"}                       | delivery.retry           | must be an integer in [0, 200], not a string
            {"retry": 2.5}                       | delivery.retry           | must be an integer in [0, 200], not 2.5
            {"retry": 99999999999}               | delivery.retry           | must be an integer in [0, 200], not 99999999999
            {"backoffPolicy": "fibonacci"}       | delivery.backoffPolicy   | 'fibonacci' is not a backoff policy; use linear or exponential
            {"backoffPolicy": "Linear"}          | delivery.backoffPolicy   | 'Linear' is not a backoff policy
            {"backoffDelay": 5}                  | delivery.backoffDelay    | must be an ISO-8601 duration string such as PT0.5S, not a number
            {"backoffDelay": "P1M"}              | delivery.backoffDelay    | not an ISO-8601 duration: 'P1M'
            {"backoffDelay": "PT0S"}             | delivery.backoffDelay    | PT0S is out of range: must be >= PT0.001S and <= PT1H
            {"backoffDelay": "-PT1S"}            | delivery.backoffDelay    | PT-1S is out of range
            {"backoffDelay": "PT2H"}             | delivery.backoffDelay    | PT2H is out of range
            {"backoffMax": "PT0.1S"}             | delivery.backoffMax      | PT0.1S is out of range: must be >= PT0.5S and <= PT1H
            {"timeout": "PT0S"}                  | delivery.timeout         | PT0S is out of range: must be > PT0S and <= PT5M
            {"timeout": "PT6M"}                  | delivery.timeout         | PT6M is out of range
            {"retryAfterMax": "-PT1S"}           | delivery.retryAfterMax   | PT-1S is out of range: must be >= PT0S and <= PT1H
            {"deadLetterTopic": "orders.*"}      | delivery.deadLetterTopic | invalid topic 'orders.*': wildcard '*' is only allowed in subscription patterns
            {"deadLetterTopic": "orders..dead"}  | delivery.deadLetterTopic | invalid topic 'orders..dead': empty token
            {"deadLetterTopic": "_weft.dead"}    | delivery.deadLetterTopic | '_weft.dead' is an internal topic
            {"deadLetterTopic": 7}               | delivery.deadLetterTopic | must be a string, not a number
            {"retries": 3}                       | delivery.retries         | unknown member; expected retry, backoffPolicy, backoffDelay
            {"deadLetterSink": {"uri": "http://x"}} | delivery.deadLetterSink | Weft dead-letters to a topic: use deadLetterTopic
            {"format": "json"}                   | delivery.format          | the content mode is protocolsettings.contentmode
            """)
    void invalidMembersAreNamed(String input, String field, String detail) throws Exception {
        InvalidRuleException e = assertThrows(InvalidRuleException.class, () -> DeliveryPolicy.fromJson(json(input)));
        assertEquals(field, e.field());
        assertTrue(e.detail().startsWith(detail), e.getMessage());
        assertEquals(field + ": " + e.detail(), e.getMessage());
    }

    @Test
    void theConstructorChecksToo() {
        InvalidRuleException e = assertThrows(InvalidRuleException.class, () -> new DeliveryPolicy(3,
                DeliveryPolicy.BackoffPolicy.LINEAR, null, Duration.ofSeconds(1), Duration.ofSeconds(1), null,
                Duration.ZERO));
        assertEquals("delivery.backoffDelay: is required", e.getMessage());
    }

    static JsonNode json(String s) throws Exception {
        return RuleJson.MAPPER.readTree(s);
    }
}
