package io.weft.broker.rules;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.weft.broker.rules.HttpBinding.ContentMode;
import io.weft.broker.rules.HttpBinding.Header;
import io.weft.broker.rules.HttpBinding.Request;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HttpBindingTest {
    private static final String DATA = "{\"order\":{\"id\":\"A-1\",\"total\":12.50}}";
    private static final CloudEvent ORDER = TestEvents.base()
            .withExtension("note", "Euro € 😀")
            .withExtension("urgent", true)
            .withDataContentType("application/json")
            .withData(DATA.getBytes(StandardCharsets.UTF_8))
            .build();

    // ------------------------------------------------------------ percent-encoding

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            `Euro € 😀`      | Euro%20%E2%82%AC%20%F0%9F%98%80
            plain-Text_1.~!  | plain-Text_1.~!
            100%             | 100%25
            `say "hi"`       | say%20%22hi%22
            é                | %C3%A9
            `a+b/c?d=e&f#g`  | a+b/c?d=e&f#g
            """)
    void percentEncodesWhatTheBindingRequires(String in, String out) {
        assertEquals(out, HttpBinding.percentEncode(in));
    }

    @Test
    void controlsDeleteC1AndLoneSurrogates() {
        assertEquals("%09%0A%00%7F%C2%80%C2%9F", HttpBinding.percentEncode("\t\n\u0000\u007f\u0080\u009f"));
        assertEquals("a%EF%BF%BDb%EF%BF%BD", HttpBinding.percentEncode("a\ud800b\udc00"));
        String unchanged = "nothing-to-encode";
        assertSame(unchanged, HttpBinding.percentEncode(unchanged), "no copy when nothing is encoded");
    }

    @Test
    void percentEncodingRoundTripsAndLeavesOnlyAllowedCharacters() {
        SplittableRandom random = new SplittableRandom(7);
        int[] ranges = {0x20, 0x7f, 0x100, 0x800, 0x10000, 0x110000};
        for (int round = 0; round < 2000; round++) {
            StringBuilder s = new StringBuilder();
            for (int i = random.nextInt(12); i > 0; i--) {
                int cp = random.nextInt(ranges[random.nextInt(ranges.length)]);
                if (cp < 0xD800 || cp > 0xDFFF) {
                    s.appendCodePoint(cp);
                }
            }
            String enc = HttpBinding.percentEncode(s.toString());
            for (char c : enc.toCharArray()) {
                assertTrue(c > 0x20 && c < 0x7f && c != '"', "seed 7, round " + round + ": " + enc);
            }
            String dec = URLDecoder.decode(enc.replace("+", "%2B"), StandardCharsets.UTF_8);
            assertEquals(s.toString(), dec, "seed 7, round " + round);
        }
    }

    // ------------------------------------------------------------ binary and structured

    @Test
    void binaryModeHasCeHeadersContentTypeAndTheDataAsBody() {
        Request r = HttpBinding.defaults().encode(ORDER);
        assertEquals("POST", r.method());
        assertEquals(List.of(
                new Header("ce-specversion", "1.0"),
                new Header("ce-id", "e-1"),
                new Header("ce-source", "/shop/orders"),
                new Header("ce-type", "orders.created"),
                new Header("ce-subject", "A-1"),
                new Header("ce-time", "2026-03-01T12:00:00Z"),
                new Header("ce-dataschema", "https://schemas.example/order.json"),
                new Header("ce-note", "Euro%20%E2%82%AC%20%F0%9F%98%80"),
                new Header("ce-priority", "5"),
                new Header("ce-tenant", "acme"),
                new Header("ce-urgent", "true"),
                new Header("Content-Type", "application/json")), r.headers());
        assertArrayEquals(DATA.getBytes(StandardCharsets.UTF_8), r.body());
        assertNull(r.header("ce-datacontenttype"));
    }

    @Test
    void binaryModeWithoutDataOrContentType() {
        CloudEvent bare = CloudEventBuilder.v1().withId("1").withSource(URI.create("s")).withType("t").build();
        Request r = HttpBinding.defaults().encode(bare);
        assertEquals(List.of(new Header("ce-specversion", "1.0"), new Header("ce-id", "1"),
                new Header("ce-source", "s"), new Header("ce-type", "t")), r.headers());
        assertEquals(0, r.body().length);
    }

    @Test
    void structuredModeIsTheJsonFormat() throws Exception {
        HttpBinding b = HttpBinding.fromJson(DeliveryPolicyTest.json("{\"contentmode\": \"structured\"}"));
        Request r = b.encode(ORDER);
        assertEquals(List.of(new Header("Content-Type", "application/cloudevents+json; charset=UTF-8")), r.headers());
        JsonNode j = RuleJson.MAPPER.readTree(r.body());
        assertEquals("1.0", j.get("specversion").textValue());
        assertEquals("e-1", j.get("id").textValue());
        assertEquals("/shop/orders", j.get("source").textValue());
        assertEquals("orders.created", j.get("type").textValue());
        assertEquals("application/json", j.get("datacontenttype").textValue());
        assertEquals("Euro € 😀", j.get("note").textValue());
        assertEquals(5, j.get("priority").intValue());
        assertTrue(j.get("urgent").booleanValue());
        assertEquals(RuleJson.MAPPER.readTree(DATA), j.get("data"), "JSON data is inlined");
    }

    @Test
    void structuredModeCarriesBinaryDataAsBase64() throws Exception {
        CloudEvent bin = TestEvents.base().withDataContentType("application/octet-stream")
                .withData(new byte[] {0, 1, (byte) 0xff}).build();
        Request r = new HttpBinding("POST", List.of(), ContentMode.STRUCTURED).encode(bin);
        assertEquals("AAH/", RuleJson.MAPPER.readTree(r.body()).get("data_base64").textValue());
    }

    @Test
    void structuredModeCarriesTextDataAsAString() throws Exception {
        CloudEvent text = TestEvents.base().withDataContentType("text/plain; charset=utf-8")
                .withData("héllo".getBytes(StandardCharsets.UTF_8)).build();
        Request r = new HttpBinding("POST", List.of(), ContentMode.STRUCTURED).encode(text);
        assertEquals("héllo", RuleJson.MAPPER.readTree(r.body()).get("data").textValue());
        CloudEvent notUtf8 = TestEvents.base().withDataContentType("text/plain")
                .withData(new byte[] {(byte) 0xC0, (byte) 0xA0}).build();
        r = new HttpBinding("POST", List.of(), ContentMode.STRUCTURED).encode(notUtf8);
        assertEquals("wKA=", RuleJson.MAPPER.readTree(r.body()).get("data_base64").textValue());
    }

    @Test
    void userHeadersAndMethodFollow() throws Exception {
        HttpBinding b = HttpBinding.fromJson(DeliveryPolicyTest.json("""
                {"method": "PUT", "headers": {"Authorization": "Bearer abc", "X-Tenant": "acme"}}"""));
        Request r = b.encode(ORDER);
        assertEquals("PUT", r.method());
        assertEquals(List.of(new Header("Authorization", "Bearer abc"), new Header("X-Tenant", "acme")),
                r.headers().subList(r.headers().size() - 2, r.headers().size()));
        assertEquals("Bearer abc", r.header("authorization"));
    }

    @Test
    void theDataTransformForcesBinaryMode() throws Exception {
        HttpBinding structured = new HttpBinding("POST", List.of(), ContentMode.STRUCTURED);
        Request r = structured.encode(ORDER, Transform.fromJson(DeliveryPolicyTest.json("{\"kind\": \"data\"}")));
        assertEquals("application/json", r.header("Content-Type"));
        assertArrayEquals(DATA.getBytes(StandardCharsets.UTF_8), r.body());
        Request t = structured.encode(ORDER, Transform.fromJson(DeliveryPolicyTest.json(
                "{\"kind\": \"constant\", \"value\": \"ping\"}")));
        assertEquals(HttpBinding.STRUCTURED_CONTENT_TYPE, t.header("Content-Type"));
        assertEquals("ping", RuleJson.MAPPER.readTree(t.body()).get("data").textValue());
    }

    // ------------------------------------------------------------ settings

    @Test
    void settingsDefaultAndRoundTrip() throws Exception {
        assertEquals(HttpBinding.defaults(), HttpBinding.fromJson(null));
        assertEquals(HttpBinding.defaults(), HttpBinding.fromJson(DeliveryPolicyTest.json("{}")));
        HttpBinding b = HttpBinding.fromJson(DeliveryPolicyTest.json("""
                {"method": "PATCH", "headers": {"X-B": "2", "X-A": "1"}, "contentmode": "structured"}"""));
        assertEquals("{\"method\":\"PATCH\",\"headers\":{\"X-B\":\"2\",\"X-A\":\"1\"},\"contentmode\":\"structured\"}",
                b.toJson().toString());
        assertEquals(b, HttpBinding.fromJson(b.toJson()));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            {"method": "GET"}                               | protocolsettings.method              | 'GET' is not allowed; use POST, PUT or PATCH
            {"method": "post"}                              | protocolsettings.method              | 'post' is not allowed
            {"contentmode": "batched"}                      | protocolsettings.contentmode         | 'batched' is not a content mode; use binary or structured
            {"headers": {"ce-id": "x"}}                     | protocolsettings.headers.ce-id       | ce- headers carry the event's attributes
            {"headers": {"CE-Source": "x"}}                 | protocolsettings.headers.CE-Source   | ce- headers carry the event's attributes
            {"headers": {"Content-Type": "text/plain"}}     | protocolsettings.headers.Content-Type | Content-Type is set from the event's datacontenttype
            {"headers": {"content-length": "3"}}            | protocolsettings.headers.content-length | set by the HTTP client
            {"headers": {"Host": "evil"}}                   | protocolsettings.headers.Host        | set by the HTTP client
            {"headers": {"Bad Name": "x"}}                  | protocolsettings.headers.Bad Name    | not a valid header name
            {"headers": {"X-A": "a\\nb"}}                   | protocolsettings.headers.X-A         | character U+000A at index 1
            {"headers": {"X-A": "é"}}                       | protocolsettings.headers.X-A         | character U+00E9 at index 0
            {"headers": {"X-A": 1}}                         | protocolsettings.headers.X-A         | a header value must be a string, not a number
            {"headers": {"X-A": "1", "x-a": "2"}}           | protocolsettings.headers.x-a         | given twice
            {"headers": []}                                 | protocolsettings.headers             | must be an object, not an array
            {"timeout": "PT1S"}                             | protocolsettings.timeout             | unknown member; expected method, headers, contentmode
            """)
    void invalidSettingsAreNamed(String input, String field, String detail) {
        InvalidRuleException e = assertThrows(InvalidRuleException.class,
                () -> HttpBinding.fromJson(DeliveryPolicyTest.json(input)));
        assertEquals(field, e.field());
        assertTrue(e.detail().startsWith(detail), e.getMessage());
    }

    @Test
    void atMost64Headers() throws Exception {
        StringBuilder s = new StringBuilder("{\"headers\": {");
        for (int i = 0; i < 65; i++) {
            s.append(i == 0 ? "" : ",").append("\"X-").append(i).append("\": \"v\"");
        }
        InvalidRuleException e = assertThrows(InvalidRuleException.class,
                () -> HttpBinding.fromJson(DeliveryPolicyTest.json(s + "}}")));
        assertEquals("protocolsettings.headers", e.field());
    }
}
