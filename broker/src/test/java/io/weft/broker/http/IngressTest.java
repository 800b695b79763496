package io.weft.broker.http;

import static io.weft.broker.http.EmbeddedHttp.post;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.weft.broker.http.EmbeddedHttp.Response;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The CloudEvents HTTP binding on POST /v1/events and /v1/topics/{topic}/events, over a fake router. */
class IngressTest {
    private static final String STRUCTURED = "Content-Type: application/cloudevents+json";
    private static final String BATCH = "Content-Type: application/cloudevents-batch+json";
    private static final String[] BINARY_HEADERS = {
        "ce-specversion: 1.0", "ce-id: e1", "ce-source: /orders/svc", "ce-type: com.example.order.created"};

    private final EmbeddedHttp http = new EmbeddedHttp();

    @AfterEach
    void close() {
        http.close();
    }

    private static String event(String id, String type) {
        return "{\"specversion\":\"1.0\",\"id\":\"" + id + "\",\"source\":\"/src\",\"type\":\"" + type + "\"}";
    }

    private static String[] binary(String... extra) {
        List<String> h = new ArrayList<>(Arrays.asList(BINARY_HEADERS));
        h.addAll(Arrays.asList(extra));
        return h.toArray(String[]::new);
    }

    private static String[] binaryWithout(String attribute) {
        return Arrays.stream(BINARY_HEADERS).filter(h -> !h.startsWith("ce-" + attribute + ":")).toArray(String[]::new);
    }

    private void assertAccepted(Response r, int accepted) {
        assertEquals(202, r.status(), r.body());
        assertEquals("application/json", r.headers().get("Content-Type"));
        JsonNode j = r.json();
        assertEquals(accepted, j.get("accepted").asInt());
        assertEquals(accepted * http.subscribersPerEvent, j.get("delivered").asInt());
        assertEquals(accepted, http.published.size());
    }

    // ---- binary mode

    @Test
    void binaryModeMapsHeadersToAttributesAndBodyToData() {
        Response r = http.exchange(post("/v1/events", "{\"total\":3}", binary(
                "Content-Type: application/json", "ce-subject: order-7", "ce-time: 2024-05-01T10:00:00Z",
                "ce-dataschema: https://example.com/order.json", "CE-TraceParent: 00-abc", "ce-note: caf%C3%A9%20au%25")));
        assertAccepted(r, 1);
        CloudEvent e = http.published.get(0).event();
        assertEquals("com.example.order.created", http.published.get(0).topic());
        assertEquals("e1", e.getId());
        assertEquals(URI.create("/orders/svc"), e.getSource());
        assertEquals("order-7", e.getSubject());
        assertEquals(OffsetDateTime.parse("2024-05-01T10:00:00Z"), e.getTime());
        assertEquals(URI.create("https://example.com/order.json"), e.getDataSchema());
        assertEquals("application/json", e.getDataContentType());
        assertArrayEquals("{\"total\":3}".getBytes(StandardCharsets.UTF_8), e.getData().toBytes());
        assertEquals("00-abc", e.getExtension("traceparent"));
        assertEquals("café au%", e.getExtension("note"), "header values are percent-decoded");
    }

    @Test
    void binaryModeWithoutBodyHasNoData() {
        assertAccepted(http.exchange(post("/v1/events", null, BINARY_HEADERS)), 1);
        assertNull(http.published.get(0).event().getData());
        assertNull(http.published.get(0).event().getDataContentType());
    }

    @ParameterizedTest
    @ValueSource(strings = {"id", "source", "type", "specversion"})
    void binaryModeMissingAttributeIsNamed(String attribute) {
        http.exchange(post("/v1/events", "x", binaryWithout(attribute))).problem(400, attribute);
        assertTrue(http.published.isEmpty());
    }

    @Test
    void binaryModeRejectsOtherSpecVersionsAndBadAttributes() {
        String[] v03 = binaryWithout("specversion");
        v03 = Arrays.copyOf(v03, v03.length + 1);
        v03[v03.length - 1] = "ce-specversion: 0.3";
        assertTrue(http.exchange(post("/v1/events", "x", v03)).problem(400, "specversion")
                .get("detail").asText().contains("1.0"));
        http.exchange(post("/v1/events", "x", binary("ce-time: yesterday"))).problem(400, "time");
        http.exchange(post("/v1/events", "x", binary("ce-Bad_Name: 1"))).problem(400, "bad_name");
        http.exchange(post("/v1/events", "x", binary("ce-id: again"))).problem(400, "id");
        http.exchange(post("/v1/events", "x", binary("ce-note: %zz"))).problem(400, "note");
        assertTrue(http.published.isEmpty());
    }

    // ---- structured mode

    @Test
    void structuredModeReadsTheJsonEventFormat() {
        String body = "{\"specversion\":\"1.0\",\"id\":\"s1\",\"source\":\"urn:x\",\"type\":\"orders.eu.created\","
                + "\"subject\":\"o-1\",\"data\":{\"n\":1.50},\"flag\":true,\"count\":7,\"tenant\":\"t1\",\"gone\":null}";
        assertAccepted(http.exchange(post("/v1/events", body, STRUCTURED + "; charset=UTF-8")), 1);
        CloudEvent e = http.published.get(0).event();
        assertEquals("orders.eu.created", http.published.get(0).topic());
        assertEquals("o-1", e.getSubject());
        assertEquals("application/json", e.getDataContentType(), "JSON data with no datacontenttype is JSON");
        assertEquals("{\"n\":1.50}", new String(e.getData().toBytes(), StandardCharsets.UTF_8));
        assertEquals(Boolean.TRUE, e.getExtension("flag"));
        assertEquals(7, e.getExtension("count"));
        assertEquals("t1", e.getExtension("tenant"));
        assertNull(e.getExtension("gone"));
    }

    @Test
    void structuredModeTextAndBase64Data() {
        String text = "{\"specversion\":\"1.0\",\"id\":\"a\",\"source\":\"/s\",\"type\":\"t.x\","
                + "\"datacontenttype\":\"text/plain\",\"data\":\"hello\"}";
        String b64 = "{\"specversion\":\"1.0\",\"id\":\"b\",\"source\":\"/s\",\"type\":\"t.x\","
                + "\"datacontenttype\":\"application/octet-stream\",\"data_base64\":\"AAEC\"}";
        assertEquals(202, http.exchange(post("/v1/events", text, STRUCTURED)).status());
        assertEquals(202, http.exchange(post("/v1/events", b64, STRUCTURED)).status());
        assertEquals("hello", new String(http.published.get(0).event().getData().toBytes(), StandardCharsets.UTF_8));
        assertArrayEquals(new byte[] {0, 1, 2}, http.published.get(1).event().getData().toBytes());
    }

    @ParameterizedTest
    @ValueSource(strings = {"id", "source", "type", "specversion"})
    void structuredModeMissingAttributeIsNamed(String attribute) {
        ObjectNode full = Json.MAPPER.valueToTree(Map.of("specversion", "1.0", "id", "x", "source", "/s", "type", "t.x"));
        full.remove(attribute);
        http.exchange(post("/v1/events", full.toString(), STRUCTURED)).problem(400, attribute);
        assertTrue(http.published.isEmpty());
    }

    @Test
    void structuredModeRejectsBadValues() {
        http.exchange(post("/v1/events", event("x", "t.x").replace("\"1.0\"", "\"0.3\""), STRUCTURED))
                .problem(400, "specversion");
        http.exchange(post("/v1/events", event("x", "t.x").replace("\"1.0\"", "1.0"), STRUCTURED))
                .problem(400, "specversion");
        http.exchange(post("/v1/events", event("", "t.x"), STRUCTURED)).problem(400, "id");
        http.exchange(post("/v1/events", event("x", "t.x").replace("}", ",\"id\":\"y\"}"), STRUCTURED))
                .problem(400, "body");
        http.exchange(post("/v1/events", event("x", "t.x").replace("}", ",\"ext\":[1]}"), STRUCTURED))
                .problem(400, "ext");
        http.exchange(post("/v1/events", event("x", "t.x").replace("}", ",\"data\":1,\"data_base64\":\"AA==\"}"),
                STRUCTURED)).problem(400, "data");
        http.exchange(post("/v1/events", "[" + event("x", "t.x") + "]", STRUCTURED)).problem(400, "body");
        assertTrue(http.published.isEmpty());
    }

    @ParameterizedTest
    @ValueSource(strings = {"{", "{\"id\":}", "not json", "{} {}", ""})
    void malformedJsonIsA400OnTheBody(String body) {
        JsonNode p = http.exchange(post("/v1/events", body, STRUCTURED)).problem(400, "body");
        assertEquals("urn:weft:problem:malformed-body", p.get("type").asText());
        assertTrue(http.channel.isOpen(), "a bad body does not cost the connection");
    }

    // ---- batched mode

    @Test
    void batchedModePublishesEveryEventInOrder() {
        String body = "[" + event("1", "a.b") + "," + event("2", "a.c") + "," + event("3", "a.b") + "]";
        assertAccepted(http.exchange(post("/v1/events", body, BATCH)), 3);
        assertEquals(List.of("a.b", "a.c", "a.b"), http.published.stream().map(EmbeddedHttp.Published::topic).toList());
        assertEquals("3", http.published.get(2).event().getId());
    }

    @Test
    void batchWithOneBadElementPublishesNothingAndNamesTheIndex() {
        String body = "[" + event("1", "a.b") + "," + event("2", "a.c").replace("\"id\":\"2\",", "") + "]";
        JsonNode p = http.exchange(post("/v1/events", body, BATCH)).problem(400, "id");
        assertEquals(1, p.get("index").asInt());
        assertTrue(http.published.isEmpty());

        String badTopic = "[" + event("1", "a.b") + "," + event("2", "a.b") + "," + event("3", "bad topic") + "]";
        p = http.exchange(post("/v1/events", badTopic, BATCH)).problem(400, "type");
        assertEquals(2, p.get("index").asInt());
        assertTrue(http.published.isEmpty());

        p = http.exchange(post("/v1/events", "[" + event("1", "a.b") + ",42]", BATCH)).problem(400, "body");
        assertEquals(1, p.get("index").asInt());
        assertTrue(http.published.isEmpty());
    }

    @Test
    void batchMustBeANonEmptyArray() {
        http.exchange(post("/v1/events", "[]", BATCH)).problem(400, "body");
        http.exchange(post("/v1/events", event("1", "a.b"), BATCH)).problem(400, "body");
        assertTrue(http.published.isEmpty());
    }

    // ---- topics

    @Test
    void topicPathOverridesTheTypeInEveryMode() {
        assertEquals(202, http.exchange(post("/v1/topics/orders.eu.created/events", "x", BINARY_HEADERS)).status());
        assertEquals(202, http.exchange(post("/v1/topics/orders.eu.created/events", event("s", "t.x"), STRUCTURED))
                .status());
        assertEquals(202, http.exchange(post("/v1/topics/orders.eu.created/events",
                "[" + event("b", "not a topic") + "]", BATCH)).status());
        assertEquals(3, http.published.size());
        assertTrue(http.published.stream().allMatch(p -> p.topic().equals("orders.eu.created")));
        assertEquals(202, http.exchange(post("/v1/topics/caf%C3%A9.a+b/events", "x", BINARY_HEADERS)).status());
        assertEquals("café.a+b", http.published.get(3).topic(), "path topics are percent-decoded, + stays");
    }

    @ParameterizedTest
    @ValueSource(strings = {"orders..eu", "orders.*", "orders.%3E", "a%20b", "%E0%A4", "", "a%2"})
    void badTopicInPathIsA400OnTopic(String rawTopic) {
        JsonNode p = http.exchange(post("/v1/topics/" + rawTopic + "/events", "x", BINARY_HEADERS)).problem(400, "topic");
        assertEquals("urn:weft:problem:invalid-topic", p.get("type").asText());
        assertTrue(http.published.isEmpty());
    }

    @Test
    void typeThatIsNoTopicIsA400OnType() {
        http.exchange(post("/v1/events", event("x", "orders.*"), STRUCTURED)).problem(400, "type");
        assertTrue(http.published.isEmpty());
    }

    // ---- content types

    @Test
    void unknownContentTypeWithoutCeHeadersIs415() {
        http.exchange(post("/v1/events", "{}", "Content-Type: application/json")).problem(415, null);
        http.exchange(post("/v1/events", "{}")).problem(415, null);
        http.exchange(post("/v1/events", "{}", "Content-Type: application/cloudevents+avro")).problem(415, null);
        http.exchange(post("/v1/events", event("1", "a.b"), STRUCTURED + "; charset=latin1")).problem(415, null);
        assertTrue(http.published.isEmpty());
    }

    @Test
    void wireLimitsAreNamedBeforePublishing() {
        // A 70 kB id does not fit the native wire format's str16 (the test payload limit is smaller,
        // so check the rule directly).
        CloudEvent e = CloudEventBuilder.v1().withId("x".repeat(70_000)).withSource(URI.create("/s"))
                .withType("t").build();
        assertEquals("id", assertThrows(HttpProblem.class, () -> EventRules.wireLimits(e)).field());
    }
}
