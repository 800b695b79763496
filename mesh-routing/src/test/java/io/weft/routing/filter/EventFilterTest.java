package io.weft.routing.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The Subscriptions API dialects: matching, validation with field paths, and the canonical form. */
class EventFilterTest {
    private static final Attributes EVENT = MapAttributes.of(Map.of(
            "specversion", "1.0", "id", "e1", "source", "https://shop.example/orders", "type", "com.example.order.created",
            "subject", "order-42", "amount", 150, "priority", true, "region", "eu-west"));

    private static boolean passes(String filtersJson) {
        return EventFilters.parse(filtersJson).test(EVENT);
    }

    // ---- matching: each row is a filter list and whether EVENT passes it

    private static final List<Object> MATCHING = List.of(
            // exact: every attribute, case-sensitive
            "[{\"exact\":{\"type\":\"com.example.order.created\"}}]", true,
            "[{\"exact\":{\"type\":\"com.example.order.created\",\"subject\":\"order-42\"}}]", true,
            "[{\"exact\":{\"type\":\"com.example.order.created\",\"subject\":\"order-43\"}}]", false,
            "[{\"exact\":{\"type\":\"COM.EXAMPLE.ORDER.CREATED\"}}]", false,
            "[{\"exact\":{\"type\":\"com.example.order\"}}]", false,
            // prefix and suffix
            "[{\"prefix\":{\"type\":\"com.example.\"}}]", true,
            "[{\"prefix\":{\"type\":\"com.example.\",\"source\":\"https://\"}}]", true,
            "[{\"prefix\":{\"type\":\"com.example.\",\"source\":\"http://\"}}]", false,
            "[{\"prefix\":{\"type\":\"Com.\"}}]", false,
            "[{\"suffix\":{\"type\":\".created\"}}]", true,
            "[{\"suffix\":{\"type\":\".Created\"}}]", false,
            "[{\"suffix\":{\"type\":\"com.example.order.created\"}}]", true,
            // a missing attribute fails exact, prefix and suffix
            "[{\"exact\":{\"missing\":\"x\"}}]", false,
            "[{\"prefix\":{\"missing\":\"x\"}}]", false,
            "[{\"suffix\":{\"type\":\".created\",\"missing\":\"x\"}}]", false,
            // an Integer or Boolean attribute compares by its canonical string
            "[{\"exact\":{\"amount\":\"150\"}}]", true,
            "[{\"exact\":{\"amount\":\"0150\"}}]", false,
            "[{\"prefix\":{\"amount\":\"15\"}}]", true,
            "[{\"suffix\":{\"amount\":\"50\"}}]", true,
            "[{\"exact\":{\"priority\":\"true\"}}]", true,
            "[{\"exact\":{\"priority\":\"TRUE\"}}]", false,
            // all, any, not, nested
            "[{\"all\":[{\"prefix\":{\"type\":\"com.\"}},{\"suffix\":{\"type\":\".created\"}}]}]", true,
            "[{\"all\":[{\"prefix\":{\"type\":\"com.\"}},{\"suffix\":{\"type\":\".deleted\"}}]}]", false,
            "[{\"any\":[{\"exact\":{\"region\":\"us-east\"}},{\"exact\":{\"region\":\"eu-west\"}}]}]", true,
            "[{\"any\":[{\"exact\":{\"region\":\"us-east\"}},{\"exact\":{\"region\":\"ap-south\"}}]}]", false,
            "[{\"not\":{\"exact\":{\"region\":\"us-east\"}}}]", true,
            "[{\"not\":{\"exact\":{\"region\":\"eu-west\"}}}]", false,
            "[{\"not\":{\"exact\":{\"missing\":\"x\"}}}]", true,
            "[{\"not\":{\"not\":{\"exact\":{\"region\":\"eu-west\"}}}}]", true,
            "[{\"any\":[{\"not\":{\"prefix\":{\"type\":\"com.\"}}},{\"all\":[{\"exact\":{\"subject\":\"order-42\"}},"
                    + "{\"not\":{\"suffix\":{\"region\":\"-east\"}}}]}]}]", true,
            "[{\"all\":[{\"any\":[{\"exact\":{\"id\":\"e2\"}},{\"exact\":{\"id\":\"e3\"}}]},{\"exact\":{\"id\":\"e1\"}}]}]",
            false,
            // sql: Boolean true without error only
            "[{\"sql\":\"amount > 100 AND region LIKE 'eu-%'\"}]", true,
            "[{\"sql\":\"amount > 200\"}]", false,
            "[{\"sql\":\"priority\"}]", true,
            "[{\"sql\":\"region\"}]", false,
            "[{\"sql\":\"missing = 'x'\"}]", false,
            "[{\"sql\":\"NOT (missing = 'x')\"}]", false,
            "[{\"cesql\":\"subject = 'order-42'\"}]", true,
            // not of an erroring sql filter passes: the sql filter failed
            "[{\"not\":{\"sql\":\"missing = 'x'\"}}]", true,
            "[{\"not\":{\"sql\":\"amount / 0 = 0\"}}]", true,
            "[{\"not\":{\"sql\":\"INT(region) = 0\"}}]", true,
            "[{\"not\":{\"sql\":\"amount > 100\"}}]", false,
            // a list ANDs; the empty list passes all
            "[]", true,
            "[{\"exact\":{\"region\":\"eu-west\"}},{\"sql\":\"amount > 100\"}]", true,
            "[{\"exact\":{\"region\":\"eu-west\"}},{\"sql\":\"amount > 200\"}]", false);

    static Stream<Arguments> matching() {
        return IntStream.range(0, MATCHING.size() / 2).mapToObj(i -> Arguments.of(MATCHING.get(2 * i), MATCHING.get(2 * i + 1)));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("matching")
    void matches(String filters, boolean expected) {
        assertEquals(expected, passes(filters));
    }

    @Test
    void aMissingAttributeFailsEvenTheEmptyishEvent() {
        Attributes empty = MapAttributes.of(Map.of());
        assertFalse(EventFilters.parse("[{\"exact\":{\"type\":\"t\"}}]").test(empty));
        assertTrue(EventFilters.parse("[{\"not\":{\"exact\":{\"type\":\"t\"}}}]").test(empty));
        assertTrue(EventFilters.parse("[{\"sql\":\"EXISTS type\"}]").test(empty), "REQUIRED attributes always exist");
        assertTrue(EventFilters.acceptAll().test(empty));
    }

    // ---- validation: each row is a filter document and the exact message

    private static final List<String> INVALID = List.of(
            "{\"exact\":{\"type\":\"t\"}}", "filters: expected an array of filters, found an object",
            "null", "filters: expected an array of filters, found null",
            "", "filters: expected an array of filters, found nothing",
            "[\"exact\"]", "filters[0]: expected a filter object, found a string",
            "[{}]", "filters[0]: a filter object has exactly one key, its dialect; found none",
            "[{\"exact\":{\"type\":\"t\"},\"prefix\":{\"type\":\"t\"}}]",
            "filters[0]: a filter object has exactly one key, its dialect; found 2: exact, prefix",
            "[{\"regex\":\"a.*\"}]",
            "filters[0]: unknown dialect 'regex' (expected exact, prefix, suffix, all, any, not, sql or cesql)",
            "[{\"Exact\":{\"type\":\"t\"}}]",
            "filters[0]: unknown dialect 'Exact' (expected exact, prefix, suffix, all, any, not, sql or cesql)",
            "[{\"exact\":{\"type\":\"t\"}},{\"all\":[{\"exact\":{\"\":\"t\"}}]}]",
            "filters[1].all[0].exact: attribute name must not be empty",
            "[{\"exact\":{\"type\":\"\"}}]", "filters[0].exact.type: value must not be empty",
            "[{\"prefix\":{\"type\":5}}]", "filters[0].prefix.type: expected a string, found a number",
            "[{\"suffix\":{\"type\":null}}]", "filters[0].suffix.type: expected a string, found null",
            "[{\"exact\":[\"type\"]}]", "filters[0].exact: expected an object of attribute names to strings, found an array",
            "[{\"exact\":{}}]", "filters[0].exact: must name at least one attribute",
            "[{\"exact\":{\"Type\":\"t\"}}]",
            "filters[0].exact: attribute name 'Type' is not a CloudEvents attribute name (lower-case letters a-z and "
                    + "digits 0-9)",
            "[{\"all\":[]}]", "filters[0].all: must hold at least one filter",
            "[{\"any\":[]}]", "filters[0].any: must hold at least one filter",
            "[{\"any\":{\"exact\":{\"type\":\"t\"}}}]", "filters[0].any: expected an array of filters, found an object",
            "[{\"not\":[{\"exact\":{\"type\":\"t\"}}]}]", "filters[0].not: expected a filter object, found an array",
            "[{\"not\":{\"any\":[{\"exact\":{\"type\":\"t\"}},{\"nope\":1}]}}]",
            "filters[0].not.any[1]: unknown dialect 'nope' (expected exact, prefix, suffix, all, any, not, sql or cesql)",
            "[{\"sql\":\"(amount > 1 AND flag\"}]", "filters[0].sql: expected ')' at position 20",
            "[{\"exact\":{\"type\":\"t\"}},{\"cesql\":\"amount >\"}]", "filters[1].cesql: expected an expression at position 8",
            "[{\"sql\":true}]", "filters[0].sql: expected a string (a CESQL expression), found a boolean",
            "[{\"sql\":\"nosuch(type)\"}]", "filters[0].sql: unknown function NOSUCH with 1 argument at position 0",
            "[{\"sql\":\"amount + 1\"}]", "filters[0].sql: the expression gives an Integer, a filter needs a Boolean at position 0");

    static Stream<Arguments> invalid() {
        return IntStream.range(0, INVALID.size() / 2).mapToObj(i -> Arguments.of(INVALID.get(2 * i), INVALID.get(2 * i + 1)));
    }

    @ParameterizedTest(name = "[{index}] {1}")
    @MethodSource("invalid")
    void invalidFiltersNameTheField(String json, String message) {
        InvalidFilterException e = assertThrows(InvalidFilterException.class, () -> EventFilters.parse(json));
        assertEquals(message, e.getMessage());
        assertEquals(message.substring(0, message.indexOf(": ")), e.path());
        assertEquals(message.substring(message.indexOf(": ") + 2), e.reason());
    }

    @Test
    void badJsonIsRejectedWithJacksonsReasonAndPlace() {
        for (String json : List.of("[{\"exact\":{\"type\":\"a\",\"type\":\"b\"}}]", "[{\"exact\":{\"type\":\"t\"}}] []",
                "[{\"exact\":{\"type\":\"t\"}", "[{'exact':{}}]")) {
            InvalidFilterException e = assertThrows(InvalidFilterException.class, () -> EventFilters.parse(json), json);
            assertEquals("filters", e.path());
            assertTrue(e.reason().startsWith("not valid JSON: ") && e.reason().contains(" at line 1, column "), e.reason());
        }
        assertTrue(assertThrows(InvalidFilterException.class, () -> EventFilters.parse(
                "[{\"exact\":{\"type\":\"a\",\"type\":\"b\"}}]")).reason().contains("Duplicate field 'type'"));
    }

    @Test
    void aCesqlErrorIsTheCauseAndKeepsItsPosition() {
        InvalidFilterException e = assertThrows(InvalidFilterException.class,
                () -> EventFilters.parse("[{\"sql\":\"amount > 'x\"}]"));
        FilterSyntaxException cause = assertInstanceOf(FilterSyntaxException.class, e.getCause());
        assertEquals(9, cause.position());
        assertEquals("unterminated string literal", cause.reason());
    }

    @Test
    void nestingIsBounded() {
        String deep = "{\"exact\":{\"type\":\"t\"}}";
        for (int i = 1; i < EventFilter.MAX_DEPTH; i++) {
            deep = "{\"not\":" + deep + "}";
        }
        assertTrue(EventFilters.parse("[" + deep + "]").filters().get(0) instanceof NotFilter);
        String tooDeep = "[{\"not\":" + deep + "}]";
        InvalidFilterException e = assertThrows(InvalidFilterException.class, () -> EventFilters.parse(tooDeep));
        assertEquals("filters nested more than 32 levels deep", e.reason());
        assertEquals("filters[0]" + ".not".repeat(EventFilter.MAX_DEPTH), e.path());

        EventFilter built = EventFilter.exact(Map.of("type", "t"));
        for (int i = 1; i < EventFilter.MAX_DEPTH; i++) {
            built = EventFilter.not(built);
        }
        EventFilter deepest = built;
        assertEquals("not: filters nested more than 32 levels deep",
                assertThrows(InvalidFilterException.class, () -> EventFilter.not(deepest)).getMessage());
    }

    @Test
    void factoriesCheckAsTheReaderDoes() {
        assertEquals("exact: attribute name must not be empty",
                assertThrows(InvalidFilterException.class, () -> EventFilter.exact(Map.of("", "x"))).getMessage());
        assertEquals("prefix.type: value must not be empty",
                assertThrows(InvalidFilterException.class, () -> EventFilter.prefix(Map.of("type", ""))).getMessage());
        assertEquals("any: must hold at least one filter",
                assertThrows(InvalidFilterException.class, () -> EventFilter.any(List.of())).getMessage());
        assertEquals("sql: expected ')' at position 4",
                assertThrows(InvalidFilterException.class, () -> EventFilter.sql("(a=1")).getMessage());
        assertEquals("filters[0].sql: expected an expression at position 8",
                assertThrows(InvalidFilterException.class, () -> EventFilters.sql("amount >")).getMessage());
    }

    // ---- the canonical form

    @Test
    void canonicalFormSortsKeysDropsWhitespaceAndWritesCesqlAsSql() {
        EventFilters filters = EventFilters.parse("[\n"
                + "  { \"exact\" : { \"type\" : \"t\", \"source\" : \"s\", \"id\" : \"1\" } },\n"
                + "  { \"cesql\" : \"amount  >  100\" },\n"
                + "  { \"any\" : [ { \"prefix\" : { \"subject\" : \"a\" } }, { \"not\" : { \"suffix\" : { \"b\" : \"c\" } } } ] }\n"
                + "]");
        assertEquals("[{\"exact\":{\"id\":\"1\",\"source\":\"s\",\"type\":\"t\"}},{\"sql\":\"amount  >  100\"},"
                + "{\"any\":[{\"prefix\":{\"subject\":\"a\"}},{\"not\":{\"suffix\":{\"b\":\"c\"}}}]}]", filters.canonical());
    }

    @Test
    void equalFiltersHaveEqualCanonicalFormsWhateverTheKeyOrderAndAlias() {
        EventFilters a = EventFilters.parse("[{\"exact\":{\"type\":\"t\",\"source\":\"s\"}},{\"cesql\":\"x = 1\"}]");
        EventFilters b = EventFilters.parse("[{\"exact\":{\"source\":\"s\",\"type\":\"t\"}},{\"sql\":\"x = 1\"}]");
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertEquals(a.canonical(), b.canonical());
        assertEquals(a.filters(), b.filters());
        assertEquals(a.filters().get(0).hashCode(), b.filters().get(0).hashCode());

        Map<String, String> forward = new LinkedHashMap<>();
        forward.put("type", "t");
        forward.put("source", "s");
        Map<String, String> backward = new LinkedHashMap<>();
        backward.put("source", "s");
        backward.put("type", "t");
        assertEquals(EventFilter.exact(forward), EventFilter.exact(backward));
        assertEquals(EventFilter.exact(forward).canonical(), EventFilter.exact(backward).canonical());
        assertEquals(EventFilters.of(List.of(EventFilter.exact(forward))), EventFilters.parse(
                "[{\"exact\":{\"source\":\"s\",\"type\":\"t\"}}]"));
    }

    @Test
    void differentFiltersDiffer() {
        List<String> distinct = List.of(
                "[]",
                "[{\"exact\":{\"type\":\"t\"}}]",
                "[{\"prefix\":{\"type\":\"t\"}}]",
                "[{\"suffix\":{\"type\":\"t\"}}]",
                "[{\"exact\":{\"type\":\"u\"}}]",
                "[{\"exact\":{\"subject\":\"t\"}}]",
                "[{\"all\":[{\"exact\":{\"type\":\"t\"}}]}]",
                "[{\"any\":[{\"exact\":{\"type\":\"t\"}}]}]",
                "[{\"not\":{\"exact\":{\"type\":\"t\"}}}]",
                "[{\"sql\":\"type = 't'\"}]",
                "[{\"sql\":\"type='t'\"}]",
                "[{\"exact\":{\"type\":\"t\"}},{\"exact\":{\"id\":\"1\"}}]",
                "[{\"exact\":{\"id\":\"1\"}},{\"exact\":{\"type\":\"t\"}}]");
        for (int i = 0; i < distinct.size(); i++) {
            for (int j = 0; j < distinct.size(); j++) {
                EventFilters x = EventFilters.parse(distinct.get(i));
                EventFilters y = EventFilters.parse(distinct.get(j));
                assertEquals(i == j, x.equals(y), x + " vs " + y);
                assertEquals(i == j, x.canonical().equals(y.canonical()));
            }
            assertEquals(distinct.get(i), EventFilters.parse(distinct.get(i)).canonical(), "already canonical");
        }
    }

    @Test
    void canonicalFormRoundTripsAwkwardStrings() throws Exception {
        String awkward = "q\"b\\s/t\tn\nc\u0001 \u00e9 \u20ac \uD83D\uDE00 \u2028";
        EventFilters filters = EventFilters.of(List.of(
                EventFilter.exact(Map.of("subject", awkward)),
                EventFilter.sql("subject = 'it\\'s \"quoted\" \\% " + awkward.replace("\\", "") + "'")));
        String canonical = filters.canonical();
        assertTrue(canonical.contains("\\u0001"), canonical);
        assertTrue(canonical.contains("\\\"") && canonical.contains("\\\\") && canonical.contains("\\t"), canonical);
        assertTrue(canonical.contains("\u20ac") && canonical.contains("\uD83D\uDE00"), "other characters as themselves");
        EventFilters back = EventFilters.parse(canonical);
        assertEquals(filters, back);
        assertEquals(canonical, back.canonical());
        // and it is JSON any reader agrees with
        assertEquals(new ObjectMapper().readTree(canonical), new ObjectMapper().readTree(back.canonical()));
        assertEquals(awkward, new ObjectMapper().readTree(canonical).get(0).get("exact").get("subject").textValue());
    }

    @Test
    void loneSurrogatesAreEscapedSoTheFormIsValidUtf8() {
        EventFilters filters = EventFilters.parse("[{\"exact\":{\"subject\":\"a\\ud800b\"}}]");
        assertEquals("[{\"exact\":{\"subject\":\"a\\ud800b\"}}]", filters.canonical());
        assertEquals(filters, EventFilters.parse(filters.canonical()));
    }

    @Test
    void sqlTextIsKeptAsWritten() {
        EventFilters filters = EventFilters.sql("amount>100  AND  Region LIKE 'eu-%'");
        assertEquals("[{\"sql\":\"amount>100  AND  Region LIKE 'eu-%'\"}]", filters.canonical());
        assertTrue(filters.test(EVENT));
        SqlFilter sql = (SqlFilter) filters.filters().get(0);
        assertEquals("amount>100  AND  Region LIKE 'eu-%'", sql.expression().text());
    }

    @Test
    void theEmptyListIsAcceptAll() {
        assertSame(EventFilters.acceptAll(), EventFilters.parse("[]"));
        assertSame(EventFilters.acceptAll(), EventFilters.of(List.of()));
        assertTrue(EventFilters.acceptAll().isAcceptAll());
        assertEquals("[]", EventFilters.acceptAll().canonical());
        assertFalse(EventFilters.sql("TRUE").isAcceptAll());
    }

    @Test
    void theTreeIsReadable() {
        EventFilters filters = EventFilters.parse("[{\"exact\":{\"type\":\"t\",\"id\":\"1\"}},{\"any\":[{\"sql\":\"TRUE\"}]}]");
        AttributeFilter exact = (AttributeFilter) filters.filters().get(0);
        assertEquals(AttributeFilter.Match.EXACT, exact.match());
        assertEquals(List.of("id", "type"), List.copyOf(exact.attributes().keySet()));
        AnyFilter any = (AnyFilter) filters.filters().get(1);
        assertEquals(EventFilter.sql("TRUE"), any.filters().get(0));
        assertNotEquals(EventFilter.sql("TRUE"), EventFilter.sql("true"));
        assertEquals("{\"any\":[{\"sql\":\"TRUE\"}]}", any.toString());
    }

    @Test
    void mapAttributesTakesOnlyTheThreeTypes() {
        assertEquals("attribute 'time' must be a String, Integer or Boolean, got Long (give other kinds as their "
                        + "canonical string)",
                assertThrows(IllegalArgumentException.class, () -> MapAttributes.of(Map.of("time", 5L))).getMessage());
        assertEquals("attribute name must not be empty",
                assertThrows(IllegalArgumentException.class, () -> MapAttributes.of(Map.of("", "x"))).getMessage());
    }
}
