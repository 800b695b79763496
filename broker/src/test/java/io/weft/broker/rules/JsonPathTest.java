package io.weft.broker.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class JsonPathTest {
    private static final String DOC = """
            {"order": {"id": "A-1", "items": [{"sku": "x"}, {"sku": "y"}], "first name": "Ann",
                       "it's": 1, "none": null, "nested": {"deep": [[1, 2], [3]]}, "dash-ed_1": true}}""";

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            $.order.id                 | "A-1"
            $.order.items[0].sku       | "x"
            $.order.items[1]           | {"sku":"y"}
            $.order.items[-1].sku      | "y"
            $.order.items[-2].sku      | "x"
            $['order']['first name']   | "Ann"
            $.order["first name"]      | "Ann"
            `$.order['it\\'s']`        | 1
            $.order.nested.deep[0][1]  | 2
            $.order.dash-ed_1          | true
            $.order.none               | null
            """)
    void selects(String path, String expected) throws Exception {
        JsonNode doc = DeliveryPolicyTest.json(DOC);
        assertEquals(DeliveryPolicyTest.json(expected), JsonPath.parse(path, "p").select(doc));
    }

    @Test
    void rootSelectsTheDocument() throws Exception {
        JsonNode doc = DeliveryPolicyTest.json(DOC);
        assertEquals(doc, JsonPath.parse("$", "p").select(doc));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"$.missing", "$.order.id.more", "$.order.items[2]", "$.order.items[-3]", "$.order.items.sku",
        "$.order[0]", "$.order.none.x"})
    void selectsNothing(String path) throws Exception {
        assertNull(JsonPath.parse(path, "p").select(DeliveryPolicyTest.json(DOC)));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            order.id          | must start with $ (the event; $.data is its data) (at index 0)
            $.order.*         | wildcards are not supported: a path selects one value (at index 8)
            $[*]              | wildcards are not supported
            $..id             | recursive descent (..) is not supported
            $.items[?(@.a)]   | filters and expressions are not supported
            $.items[0:2]      | slices and unions are not supported
            $.items[0,1]      | slices and unions are not supported
            $.items[          | unterminated [
            $.items[0         | unterminated [
            `$['a`            | unterminated quoted member name
            `$['a\\n']`       | unknown escape \\n
            $.                | expected a member name after '.'
            $.a b             | unexpected ' '; expected . or [ (at index 3)
            $.a[x]            | expected an index or a quoted member name after [
            $.a[-]            | expected digits of an index
            $.a[99999999999]  | index out of range
            `$.a['b'x`        | expected ] (at index 7)
            """)
    void refusesWithThePosition(String path, String detail) {
        InvalidRuleException e = assertThrows(InvalidRuleException.class, () -> JsonPath.parse(path, "transform.path"));
        assertEquals("transform.path", e.field());
        assertTrue(e.detail().startsWith("invalid JSONPath '" + path + "': " + detail), e.getMessage());
    }

    @Test
    void emptyAndOversizedPathsAreRefused() {
        assertEquals("transform.path: a JSONPath is required, e.g. $.data.order.id",
                assertThrows(InvalidRuleException.class, () -> JsonPath.parse("", "transform.path")).getMessage());
        assertThrows(InvalidRuleException.class, () -> JsonPath.parse(null, "transform.path"));
        assertThrows(InvalidRuleException.class, () -> JsonPath.parse("$" + ".a".repeat(600), "p"));
        assertThrows(InvalidRuleException.class, () -> JsonPath.parse("$" + ".a".repeat(65), "p"));
        JsonPath.parse("$" + ".a".repeat(64), "p");
    }

    @Test
    void equalByText() {
        assertEquals(JsonPath.parse("$.a[0]", "p"), JsonPath.parse("$.a[0]", "q"));
        assertEquals("$.a[0]", JsonPath.parse("$.a[0]", "p").toString());
    }
}
