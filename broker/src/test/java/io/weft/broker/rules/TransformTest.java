package io.weft.broker.rules;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.cloudevents.CloudEvent;
import io.weft.broker.rules.HttpBinding.ContentMode;
import java.math.BigDecimal;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TransformTest {
    /** Data that breaks naive templating: quotes, backslashes, newlines, control characters, non-ASCII. */
    private static final String NASTY = "He said \"hi\" \\o/\nline2\ttab\u0001 é € 😀 </script>";
    private static final ObjectNode DATA = RuleJson.MAPPER.createObjectNode();

    static {
        ObjectNode order = DATA.putObject("order");
        order.put("id", "A-1");
        order.put("note", NASTY);
        order.put("total", new BigDecimal("12.50"));
        order.put("paid", true);
        order.putArray("items").addObject().put("sku", "x");
        order.putNull("coupon");
    }

    private static final CloudEvent ORDER = TestEvents.order(DATA.toString());

    // ------------------------------------------------------------ original, data, constant

    @Test
    void originalIsTheDefaultAndChangesNothing() throws Exception {
        assertSame(Transform.original(), Transform.fromJson(null));
        assertSame(Transform.original(), Transform.fromJson(json("null")));
        assertSame(Transform.original(), Transform.fromJson(json("{\"kind\": \"original\"}")));
        assertSame(ORDER, Transform.original().apply(ORDER));
        assertEquals(ContentMode.STRUCTURED, Transform.original().contentMode(ContentMode.STRUCTURED));
    }

    @Test
    void dataSendsThePayloadAloneInBinaryMode() throws Exception {
        Transform t = Transform.fromJson(json("{\"kind\": \"data\"}"));
        assertEquals(Transform.Kind.DATA, t.kind());
        assertSame(ORDER, t.apply(ORDER));
        assertEquals(ContentMode.BINARY, t.contentMode(ContentMode.STRUCTURED));
    }

    @Test
    void aStringConstantIsTextAndAnythingElseJson() throws Exception {
        CloudEvent s = Transform.fromJson(json("{\"kind\": \"constant\", \"value\": \"ping é\"}")).apply(ORDER);
        assertEquals(Transform.TEXT, s.getDataContentType());
        assertEquals("ping é", body(s));
        CloudEvent o = Transform.fromJson(json("{\"kind\": \"constant\", \"value\": {\"ping\": [1, 2.50]}}"))
                .apply(ORDER);
        assertEquals(Transform.JSON, o.getDataContentType());
        assertEquals("{\"ping\":[1,2.50]}", body(o));
        CloudEvent n = Transform.fromJson(json("{\"kind\": \"constant\", \"value\": null}")).apply(ORDER);
        assertEquals("null", body(n));
        assertAttributesKept(o);
    }

    // ------------------------------------------------------------ jsonpath

    @Test
    void jsonpathSendsOneValueAsJson() throws Exception {
        assertEquals("\"A-1\"", body(jsonpath("$.data.order.id")));
        assertEquals("12.50", body(jsonpath("$.data.order.total")), "numbers as written");
        assertEquals("{\"sku\":\"x\"}", body(jsonpath("$.data.order.items[0]")));
        assertEquals("null", body(jsonpath("$.data.order.coupon")));
        assertEquals("\"e-1\"", body(jsonpath("$.id")), "attributes are at the top");
        assertEquals("5", body(jsonpath("$.priority")), "an Integer extension is a number");
        assertEquals("\"2026-03-01T12:00:00Z\"", body(jsonpath("$.time")));
        CloudEvent e = jsonpath("$.data.order.id");
        assertEquals(Transform.JSON, e.getDataContentType());
        assertAttributesKept(e);
    }

    @Test
    void theRootPathIsTheWholeEventInTheJsonFormat() throws Exception {
        JsonNode whole = json(body(jsonpath("$")));
        assertEquals("orders.created", whole.get("type").textValue());
        assertEquals("acme", whole.get("tenant").textValue());
        assertEquals(DATA, whole.get("data"));
    }

    @Test
    void aMissingPathSendsNullOrTheDefault() throws Exception {
        assertEquals("null", body(jsonpath("$.data.order.nothing")));
        CloudEvent d = Transform.fromJson(json("""
                {"kind": "jsonpath", "path": "$.data.order.nothing", "default": {"id": "unknown"}}""")).apply(ORDER);
        assertEquals("{\"id\":\"unknown\"}", body(d));
        CloudEvent present = Transform.fromJson(json("""
                {"kind": "jsonpath", "path": "$.data.order.coupon", "default": 0}""")).apply(ORDER);
        assertEquals("null", body(present), "a present null is a value, not missing");
    }

    @Test
    void textDataIsAStringAndBinaryDataIsBase64() throws Exception {
        CloudEvent text = TestEvents.base().withDataContentType("text/plain; charset=utf-8")
                .withData("hello \"you\"".getBytes(StandardCharsets.UTF_8)).build();
        assertEquals("\"hello \\\"you\\\"\"", body(Transform.fromJson(path("$.data")).apply(text)));
        CloudEvent bin = TestEvents.base().withDataContentType("application/octet-stream")
                .withData(new byte[] {0, 1, (byte) 0xff}).build();
        assertEquals("null", body(Transform.fromJson(path("$.data")).apply(bin)));
        assertEquals("\"AAH/\"", body(Transform.fromJson(path("$.data_base64")).apply(bin)));
        CloudEvent broken = TestEvents.base().withDataContentType("application/json")
                .withData("{not json".getBytes(StandardCharsets.UTF_8)).build();
        assertEquals("\"{not json\"", body(Transform.fromJson(path("$.data")).apply(broken)),
                "JSON that does not parse is read as text");
        CloudEvent none = TestEvents.base().build();
        assertEquals("null", body(Transform.fromJson(path("$.data")).apply(none)));
    }

    // ------------------------------------------------------------ template

    @Test
    void jsonTemplateEscapesWhateverTheDataHolds() throws Exception {
        CloudEvent e = template("""
                {"id": "<id>", "text": "Note: <note>!", "note": <note>, "line": "<id>\\n<note>"}""", "json")
                .apply(ORDER);
        assertEquals(Transform.JSON, e.getDataContentType());
        JsonNode out = json(body(e)); // valid JSON, or this throws
        assertEquals("A-1", out.get("id").textValue());
        assertEquals("Note: " + NASTY + "!", out.get("text").textValue());
        assertEquals(NASTY, out.get("note").textValue());
        assertEquals("A-1\n" + NASTY, out.get("line").textValue());
        assertTrue(body(e).contains("\\\"hi\\\" \\\\o/\\nline2\\ttab\\u0001 é € 😀"), body(e));
        assertAttributesKept(e);
    }

    @Test
    void thePackageDocsExample() throws Exception {
        String data = """
                {"order": {"id": "A-\\"1\\"", "total": 12.50}}""";
        CloudEvent order = TestEvents.base().withSource(URI.create("/shop"))
                .withDataContentType("application/json").withData(data.getBytes(StandardCharsets.UTF_8)).build();
        Transform t = Transform.fromJson(json("""
                {"kind": "template", "format": "json",
                 "inputs": {"id": "$.data.order.id", "total": "$.data.order.total", "source": "$.source"},
                 "template": "{\\"text\\": \\"Order <id> from <source>\\", \\"total\\": <total>}"}"""));
        assertEquals("{\"text\": \"Order A-\\\"1\\\" from /shop\", \"total\": 12.50}", body(t.apply(order)));
    }

    @Test
    void jsonTemplateValuesKeepTheirTypes() throws Exception {
        JsonNode out = json(body(template("""
                {"total": <total>, "paid": <paid>, "items": <items>, "coupon": <coupon>, "missing": <missing>,
                 "inString": "<total>/<paid>/<items>/<coupon>/<missing>", "event": <event>}""", "json")
                .apply(ORDER)));
        assertEquals("12.50", out.get("total").toString());
        assertTrue(out.get("paid").booleanValue());
        assertEquals(json("[{\"sku\":\"x\"}]"), out.get("items"));
        assertTrue(out.get("coupon").isNull());
        assertTrue(out.get("missing").isNull());
        assertEquals("12.50/true/[{\"sku\":\"x\"}]//", out.get("inString").textValue());
        assertEquals("e-1", out.get("event").get("id").textValue());
        assertEquals(DATA, out.get("event").get("data"));
    }

    @Test
    void placeholdersInKeysAndUnknownAnglesInStrings() throws Exception {
        JsonNode out = json(body(template("{\"<id>\": \"<b><id></b> <nope>\"}", "json").apply(ORDER)));
        assertEquals("<b>A-1</b> <nope>", out.get("A-1").textValue());
    }

    @Test
    void aValueInsideAJsonStringIsEscapedByteForByte() throws Exception {
        CloudEvent e = template("[\"<note>\"]", "json").apply(ORDER);
        assertArrayEquals(("[\"" + NASTY.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n")
                .replace("\t", "\\t").replace("\u0001", "\\u0001") + "\"]").getBytes(StandardCharsets.UTF_8),
                e.getData().toBytes());
    }

    @Test
    void anyStringRoundTripsThroughAJsonTemplate() throws Exception {
        CompiledTemplate t = CompiledTemplate.compile("{\"in\": \"a<v>b\", \"as\": <v>}", true, List.of("v"), "f");
        SplittableRandom random = new SplittableRandom(11);
        String specials = "\"\\/<>\n\r\t\b\f\u0000\u001f\u007f\u2028\u2029\ud800\udc00\u00e9\u20ac";
        for (int round = 0; round < 2000; round++) {
            StringBuilder b = new StringBuilder();
            for (int i = random.nextInt(10); i > 0; i--) {
                switch (random.nextInt(3)) {
                    case 0 -> b.append(specials.charAt(random.nextInt(specials.length())));
                    case 1 -> b.appendCodePoint(0x1F600 + random.nextInt(80));
                    default -> b.append((char) random.nextInt(0x20, 0x7f));
                }
            }
            String v = b.toString();
            JsonNode out = json(t.render(new JsonNode[] {TextNode.valueOf(v)}));
            assertEquals("a" + v + "b", out.get("in").textValue(), "seed 11, round " + round);
            assertEquals(v, out.get("as").textValue(), "seed 11, round " + round);
        }
    }

    @Test
    void textTemplateInsertsTheText() throws Exception {
        CloudEvent e = template("<order id=\"<id>\">\n<note> (<total>, <missing>) <items></order>", "text")
                .apply(ORDER);
        assertEquals(Transform.TEXT, e.getDataContentType());
        assertEquals("<order id=\"A-1\">\n" + NASTY + " (12.50, ) [{\"sku\":\"x\"}]</order>", body(e));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            `{"a": <id>`           | not valid JSON with every placeholder as a value: Unexpected end-of-input
            `{<id>: 1}`            | not valid JSON with every placeholder as a value: Unexpected character ('0'
            `{"a": <id> <total>}`  | not valid JSON with every placeholder as a value: Unexpected character ('0'
            `<id> <total>`         | not valid JSON with every placeholder as a value: more than one JSON value, the second at line 1 column 6
            `{"a": <nope>}`        | placeholder <nope> names no input (inputs: id, note, total, paid, items, coupon, missing, event)
            `  `                   | not valid JSON with every placeholder as a value: empty
            `{"a": "<id>}`         | not valid JSON with every placeholder as a value: Unexpected end-of-input
            `{"a": 1, "b": tru}`   | not valid JSON with every placeholder as a value: Unrecognized token 'tru'
            `{"a": -<id>}`         | not valid JSON with every placeholder as a value: Unexpected character ('"'
            `[1<id>]`              | not valid JSON with every placeholder as a value: Unexpected character ('"'
            `[<id>2]`              | not valid JSON with every placeholder as a value: Unexpected character ('2'
            """)
    void jsonTemplatesThatCannotRenderJsonAreRefused(String template, String detail) {
        InvalidRuleException e = assertThrows(InvalidRuleException.class, () -> template(template, "json"));
        assertEquals("transform.template", e.field());
        assertTrue(e.detail().startsWith(detail), e.getMessage());
    }

    @Test
    void theErrorPointsAtTheTemplatesLineAndColumn() {
        InvalidRuleException e = assertThrows(InvalidRuleException.class,
                () -> template("{\n  \"id\": <id>,\n  \"note\": <note> x\n}", "json"));
        // Jackson reports the column after the offending character (the x is in column 18)
        assertTrue(e.detail().contains("Unexpected character ('x'") && e.detail().contains("line 3 column 19"),
                e.getMessage());
    }

    @Test
    void aTextTemplateNeedNotBeJson() throws Exception {
        assertEquals("{\"a\": A-1", body(template("{\"a\": <id>", "text").apply(ORDER)));
    }

    // ------------------------------------------------------------ parsing

    @Test
    void everyKindRoundTripsThroughItsJson() throws Exception {
        for (String t : List.of(
                "{\"kind\":\"original\"}",
                "{\"kind\":\"data\"}",
                "{\"kind\":\"constant\",\"value\":{\"a\":[1,\"b\"]}}",
                "{\"kind\":\"jsonpath\",\"path\":\"$.data.order['id']\",\"default\":null}",
                "{\"kind\":\"template\",\"inputs\":{\"id\":\"$.data.order.id\",\"src\":\"$.source\"},"
                        + "\"template\":\"{\\\"id\\\": <id>}\",\"format\":\"json\"}",
                "{\"kind\":\"template\",\"inputs\":{},\"template\":\"hello\",\"format\":\"text\"}")) {
            Transform parsed = Transform.fromJson(json(t));
            assertEquals(json(t), parsed.toJson(), t);
            assertEquals(parsed, Transform.fromJson(parsed.toJson()));
        }
        assertEquals("json", Transform.fromJson(json("{\"kind\":\"template\",\"template\":\"{}\"}"))
                .toJson().get("format").textValue(), "json is the default format");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            []                                                        | transform              | must be an object, not an array
            {}                                                        | transform.kind         | is required: original, data, constant, jsonpath or template
            {"kind": "jq"}                                            | transform.kind         | 'jq' is not a transform kind
            {"kind": "data", "path": "$"}                             | transform.path         | unknown member; expected kind
            {"kind": "constant"}                                      | transform.value        | is required
            {"kind": "jsonpath"}                                      | transform.path         | a JSONPath is required
            {"kind": "jsonpath", "path": "$.data.items[*]"}           | transform.path         | invalid JSONPath '$.data.items[*]': wildcards
            {"kind": "jsonpath", "path": 3}                           | transform.path         | must be a string, not a number
            {"kind": "template", "inputs": {}}                        | transform.template     | is required
            {"kind": "template", "template": "x", "format": "xml"}    | transform.format       | 'xml' is not a template format; use json or text
            {"kind": "template", "template": "x", "inputs": []}       | transform.inputs       | must be an object, not an array
            {"kind": "template", "template": "x", "inputs": {"id": "$..id"}}  | transform.inputs.id | invalid JSONPath '$..id': recursive descent
            {"kind": "template", "template": "x", "inputs": {"id": 1}}        | transform.inputs.id | must be a string, not a number
            {"kind": "template", "template": "x", "inputs": {"a b": "$.id"}}  | transform.inputs.a b | an input name is 1 to 64 ASCII letters, digits, _, - and .
            {"kind": "template", "template": "x", "inputs": {"": "$.id"}}     | transform.inputs.    | an input name is 1 to 64
            {"kind": "template", "template": "x", "inputTemplate": "x"}       | transform.inputTemplate | unknown member; expected kind, inputs, template, format
            """)
    void invalidTransformsAreNamed(String input, String field, String detail) {
        InvalidRuleException e = assertThrows(InvalidRuleException.class, () -> Transform.fromJson(json(input)));
        assertEquals(field, e.field());
        assertTrue(e.detail().startsWith(detail), e.getMessage());
    }

    @Test
    void atMost100Inputs() throws Exception {
        ObjectNode t = RuleJson.MAPPER.createObjectNode().put("kind", "template").put("template", "{}");
        ObjectNode in = t.putObject("inputs");
        for (int i = 0; i <= Transform.MAX_INPUTS; i++) {
            in.put("v" + i, "$.id");
        }
        assertEquals("transform.inputs", assertThrows(InvalidRuleException.class, () -> Transform.fromJson(t)).field());
    }

    // ------------------------------------------------------------ helpers

    /** Every attribute but data, datacontenttype and dataschema is the original's. */
    private static void assertAttributesKept(CloudEvent e) {
        assertEquals(ORDER.getId(), e.getId());
        assertEquals(ORDER.getSource(), e.getSource());
        assertEquals(ORDER.getType(), e.getType());
        assertEquals(ORDER.getSubject(), e.getSubject());
        assertEquals(ORDER.getTime(), e.getTime());
        assertEquals(ORDER.getExtensionNames(), e.getExtensionNames());
        for (String name : ORDER.getExtensionNames()) {
            assertEquals(ORDER.getExtension(name), e.getExtension(name));
        }
        assertNull(e.getDataSchema(), "the schema described the replaced data");
    }

    private static Transform template(String template, String format) {
        ObjectNode t = RuleJson.MAPPER.createObjectNode().put("kind", "template").put("format", format)
                .put("template", template);
        t.putObject("inputs")
                .put("id", "$.data.order.id")
                .put("note", "$.data.order.note")
                .put("total", "$.data.order.total")
                .put("paid", "$.data.order.paid")
                .put("items", "$.data.order.items")
                .put("coupon", "$.data.order.coupon")
                .put("missing", "$.data.order.nothing")
                .put("event", "$");
        return Transform.fromJson(t);
    }

    private static CloudEvent jsonpath(String path) throws Exception {
        return Transform.fromJson(path(path)).apply(ORDER);
    }

    private static JsonNode path(String path) {
        return RuleJson.MAPPER.createObjectNode().put("kind", "jsonpath").put("path", path);
    }

    private static String body(CloudEvent e) {
        return new String(e.getData().toBytes(), StandardCharsets.UTF_8);
    }

    private static JsonNode json(String s) throws Exception {
        return DeliveryPolicyTest.json(s);
    }
}
