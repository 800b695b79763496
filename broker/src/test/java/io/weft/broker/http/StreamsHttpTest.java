package io.weft.broker.http;

import static io.weft.broker.http.EmbeddedHttp.MAX_PAYLOAD;
import static io.weft.broker.http.EmbeddedHttp.get;
import static io.weft.broker.http.EmbeddedHttp.post;
import static io.weft.broker.http.EmbeddedHttp.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.weft.broker.http.EmbeddedHttp.Response;
import io.weft.protocol.Frames;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The stream API pass-through on /v1/streams... and durable publishes with ?ack=stream, over fakes. */
class StreamsHttpTest {
    private static final String STRUCTURED = "Content-Type: application/cloudevents+json";
    private static final String BATCH = "Content-Type: application/cloudevents-batch+json";
    private static final String[] BINARY = {
        "ce-specversion: 1.0", "ce-id: e1", "ce-source: /s", "ce-type: a.b"};

    private final EmbeddedHttp http = new EmbeddedHttp();
    /** Calls the fake stream API received: method, uri, body. */
    private final List<Call> calls = new ArrayList<>();
    /** The answers the fake stream API hands out, in call order; a completed 200 {} once exhausted. */
    private final List<CompletableFuture<Map.Entry<Integer, byte[]>>> answers = new ArrayList<>();
    /** The acks the fake durable publisher hands out, in call order. */
    private final List<CompletableFuture<Frames.PubAck>> acks = new ArrayList<>();

    record Call(String method, String uri, String body) {
    }

    StreamsHttpTest() {
        http.streamApi = (method, uri, body) -> {
            calls.add(new Call(method, uri, new String(body, StandardCharsets.UTF_8)));
            return calls.size() <= answers.size() ? answers.get(calls.size() - 1) : answer(200, "{}");
        };
        http.durable = (topic, event) -> acks.get(http.durablePublished.size() - 1);
    }

    @AfterEach
    void close() {
        http.close();
    }

    private static CompletableFuture<Map.Entry<Integer, byte[]>> answer(int status, String json) {
        return CompletableFuture.completedFuture(Map.entry(status, json.getBytes(StandardCharsets.UTF_8)));
    }

    private CompletableFuture<Map.Entry<Integer, byte[]>> pendingAnswer() {
        CompletableFuture<Map.Entry<Integer, byte[]>> f = new CompletableFuture<>();
        answers.add(f);
        return f;
    }

    private CompletableFuture<Frames.PubAck> pendingAck() {
        CompletableFuture<Frames.PubAck> f = new CompletableFuture<>();
        acks.add(f);
        return f;
    }

    private void ack(int status, long seq, String detail) {
        acks.add(CompletableFuture.completedFuture(new Frames.PubAck(0, status, seq, detail)));
    }

    private static String event(String id) {
        return "{\"specversion\":\"1.0\",\"id\":\"" + id + "\",\"source\":\"/src\",\"type\":\"orders.created\"}";
    }

    private static void assertJson(Response r, int status, String body) {
        assertEquals(status, r.status(), r.body());
        assertEquals("application/json", r.headers().get("Content-Type"));
        assertEquals(body, r.body());
    }

    // ---- stream API pass-through

    @Test
    void streamApiGetPostDeletePassThroughMethodUriBodyAndAnswer() {
        answers.add(answer(200, "{\"streams\":[]}"));
        answers.add(answer(201, "{\"name\":\"orders\"}"));
        answers.add(answer(404, "{\"error\":\"no stream 'x'\"}"));
        answers.add(answer(200, "{\"events\":[]}"));

        assertJson(http.exchange(get("/v1/streams")), 200, "{\"streams\":[]}");
        String create = "{\"name\":\"orders\",\"subjects\":[\"orders.>\"],\"replicas\":3}";
        assertJson(http.exchange(post("/v1/streams", create, "Content-Type: application/json")), 201,
                "{\"name\":\"orders\"}");
        assertJson(http.exchange(request("DELETE", "/v1/streams/x", null)), 404, "{\"error\":\"no stream 'x'\"}");
        assertJson(http.exchange(get("/v1/streams/orders/events?from_seq=5&count=10")), 200, "{\"events\":[]}");

        assertEquals(List.of(new Call("GET", "/v1/streams", ""), new Call("POST", "/v1/streams", create),
                new Call("DELETE", "/v1/streams/x", ""),
                new Call("GET", "/v1/streams/orders/events?from_seq=5&count=10", "")), calls);
        assertTrue(http.channel.isOpen());
    }

    @Test
    void streamApiOtherMethodsAre405AndLookAlikePathsAreNotStreams() {
        Response r = http.exchange(request("PUT", "/v1/streams/orders", "{}"));
        r.problem(405, null);
        assertEquals("GET, POST, DELETE", r.headers().get("Allow"));
        http.exchange(get("/v1/streamsx")).problem(404, null);
        assertTrue(calls.isEmpty());
    }

    @Test
    void asyncAnswerStopsReadingUntilWrittenOnTheEventLoop() {
        CompletableFuture<Map.Entry<Integer, byte[]>> pending = pendingAnswer();
        assertTrue(http.send(post("/v1/streams/orders/consumers/c/next?count=2", "")).isEmpty());
        assertFalse(http.channel.config().isAutoRead(), "not read while an answer is pending");

        // Completed by another thread, as the broker does; written once the event loop runs its tasks.
        CompletableFuture.runAsync(() -> pending.complete(Map.entry(200,
                "{\"events\":[]}".getBytes(StandardCharsets.UTF_8)))).join();
        List<Response> rs = http.responses();
        assertEquals(1, rs.size(), "responses: " + rs);
        assertJson(rs.get(0), 200, "{\"events\":[]}");
        assertTrue(http.channel.config().isAutoRead());
        assertEquals(200, http.exchange(get("/healthz")).status());
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrderWhenTheFirstCompletesLater() {
        CompletableFuture<Map.Entry<Integer, byte[]>> first = pendingAnswer();
        answers.add(answer(200, "{\"second\":true}"));
        List<Response> early = http.send(get("/v1/streams/a") + get("/v1/streams/b") + get("/healthz"));
        assertTrue(early.isEmpty(), "nothing may overtake the pending first answer: " + early);
        assertEquals(1, calls.size(), "the second request waits its turn");

        first.complete(Map.entry(200, "{\"first\":true}".getBytes(StandardCharsets.UTF_8)));
        List<Response> rs = http.responses();
        assertEquals(3, rs.size(), "responses: " + rs);
        assertJson(rs.get(0), 200, "{\"first\":true}");
        assertJson(rs.get(1), 200, "{\"second\":true}");
        assertEquals(200, rs.get(2).status());
        assertEquals("/v1/streams/b", calls.get(1).uri());
        assertTrue(http.channel.config().isAutoRead());
    }

    @Test
    void a413DecidedByTheAggregatorWaitsForTheEarlierPendingAnswer() {
        CompletableFuture<Map.Entry<Integer, byte[]>> first = pendingAnswer();
        String tooLarge = "POST /v1/events HTTP/1.1\r\nHost: t\r\nContent-Length: " + (MAX_PAYLOAD + 1) + "\r\n\r\n";
        assertTrue(http.send(get("/v1/streams") + tooLarge).isEmpty());
        first.complete(Map.entry(200, "{}".getBytes(StandardCharsets.UTF_8)));
        List<Response> rs = http.responses();
        assertEquals(2, rs.size(), "responses: " + rs);
        assertEquals(200, rs.get(0).status());
        rs.get(1).problem(413, "body");
    }

    @Test
    void aFailedStreamApiFutureIs500AndTheConnectionGoesOn() {
        CompletableFuture<Map.Entry<Integer, byte[]>> pending = pendingAnswer();
        assertTrue(http.send(get("/v1/streams")).isEmpty());
        pending.completeExceptionally(new IllegalStateException("boom"));
        List<Response> rs = http.responses();
        assertEquals(1, rs.size());
        rs.get(0).problem(500, null);
        assertTrue(http.channel.isOpen());
        assertJson(http.exchange(get("/v1/streams")), 200, "{}");
    }

    @Test
    void anAlreadyFailedStreamApiFutureIs500() {
        answers.add(CompletableFuture.failedFuture(new IllegalStateException("boom")));
        http.exchange(request("DELETE", "/v1/streams/x", null)).problem(500, null);
        assertTrue(http.channel.isOpen());
    }

    @Test
    void requestsPipelinedBehindConnectionCloseAreNotActedOn() {
        CompletableFuture<Map.Entry<Integer, byte[]>> pending = pendingAnswer();
        assertTrue(http.send(request("GET", "/v1/streams", null, "Connection: close")
                + request("DELETE", "/v1/streams/orders", null)).isEmpty());
        pending.complete(Map.entry(200, "{}".getBytes(StandardCharsets.UTF_8)));
        assertEquals(1, http.responses().size());
        assertFalse(http.channel.isOpen());
        assertEquals(1, calls.size(), "the DELETE behind the close was not passed on: " + calls);
    }

    @Test
    void connectionCloseIsHonouredOnAnAsyncAnswer() {
        CompletableFuture<Map.Entry<Integer, byte[]>> pending = pendingAnswer();
        assertTrue(http.send(request("GET", "/v1/streams", null, "Connection: close")).isEmpty());
        pending.complete(Map.entry(200, "{}".getBytes(StandardCharsets.UTF_8)));
        List<Response> rs = http.responses();
        assertEquals(1, rs.size());
        assertEquals("close", rs.get(0).headers().get("Connection"));
        assertFalse(http.channel.isOpen());
    }

    // ---- POST ...?ack=stream

    @Test
    void ackStreamAnswers201WithTheStreamAndSeqOnceStored() {
        CompletableFuture<Frames.PubAck> pending = pendingAck();
        assertTrue(http.send(post("/v1/events?ack=stream", event("e1"), STRUCTURED)).isEmpty());
        assertEquals(1, http.durablePublished.size());
        assertEquals("orders.created", http.durablePublished.get(0).topic());
        assertEquals("e1", http.durablePublished.get(0).event().getId());
        assertTrue(http.published.isEmpty(), "a durable publish does not use the plain publisher");

        pending.complete(new Frames.PubAck(0, Frames.ACK_STORED, 42, "orders"));
        List<Response> rs = http.responses();
        assertEquals(1, rs.size());
        assertJson(rs.get(0), 201, "{\"stream\":\"orders\",\"seq\":42,\"duplicate\":false}");
    }

    @Test
    void ackStreamOnATopicPathInBinaryModeReportsADuplicate() {
        ack(Frames.ACK_DUPLICATE, 41, "orders");
        Response r = http.exchange(post("/v1/topics/orders.eu/events?ack=stream", "{}", BINARY));
        assertJson(r, 201, "{\"stream\":\"orders\",\"seq\":41,\"duplicate\":true}");
        assertEquals("orders.eu", http.durablePublished.get(0).topic());
    }

    @Test
    void ackStreamFailureIs503NamingTheReason() {
        ack(Frames.ACK_FAILED, 0, "no leader for stream 'orders'");
        Response r = http.exchange(post("/v1/events?ack=stream", event("e1"), STRUCTURED));
        JsonNode p = r.problem(503, null);
        assertEquals("urn:weft:problem:not-stored", p.get("type").asText());
        assertTrue(p.get("detail").asText().contains("no leader for stream 'orders'"), r.body());
        assertEquals("1", r.headers().get("Retry-After"));
        assertTrue(http.channel.isOpen());
    }

    @Test
    void ackStreamBatchAnswersWhenEveryEventIsAckedInBatchOrder() {
        CompletableFuture<Frames.PubAck> a = pendingAck();
        CompletableFuture<Frames.PubAck> b = pendingAck();
        ack(Frames.ACK_DUPLICATE, 7, "orders");
        String batch = "[" + event("e1") + "," + event("e2") + "," + event("e3") + "]";
        assertTrue(http.send(post("/v1/events?ack=stream", batch, BATCH)).isEmpty());
        assertEquals(3, http.durablePublished.size());

        b.complete(new Frames.PubAck(0, Frames.ACK_STORED, 9, "orders"));
        assertTrue(http.responses().isEmpty(), "answered only when all events are acked");
        a.complete(new Frames.PubAck(0, Frames.ACK_STORED, 8, "orders"));
        List<Response> rs = http.responses();
        assertEquals(1, rs.size());
        assertJson(rs.get(0), 201, "{\"acks\":[{\"stream\":\"orders\",\"seq\":8,\"duplicate\":false},"
                + "{\"stream\":\"orders\",\"seq\":9,\"duplicate\":false},"
                + "{\"stream\":\"orders\",\"seq\":7,\"duplicate\":true}]}");
    }

    @Test
    void ackStreamBatchFailureNamesTheIndex() {
        ack(Frames.ACK_STORED, 1, "orders");
        ack(Frames.ACK_FAILED, 0, "quorum lost");
        ack(Frames.ACK_STORED, 2, "orders");
        String batch = "[" + event("e1") + "," + event("e2") + "," + event("e3") + "]";
        JsonNode p = http.exchange(post("/v1/events?ack=stream", batch, BATCH)).problem(503, null);
        assertEquals(1, p.get("index").asInt());
        assertTrue(p.get("detail").asText().contains("quorum lost"));
    }

    @Test
    void invalidEventsWithAckStreamAre400AndNothingIsPublished() {
        String batch = "[" + event("e1") + ",{\"specversion\":\"1.0\",\"source\":\"/s\",\"type\":\"a.b\"}]";
        JsonNode p = http.exchange(post("/v1/events?ack=stream", batch, BATCH)).problem(400, "id");
        assertEquals(1, p.get("index").asInt());
        assertTrue(http.durablePublished.isEmpty());
    }

    @Test
    void withoutAckNothingChanges() {
        Response r = http.exchange(post("/v1/events", event("e1"), STRUCTURED));
        assertEquals(202, r.status(), r.body());
        assertEquals(1, http.published.size());
        assertTrue(http.durablePublished.isEmpty());
    }

    @Test
    void anyOtherAckValueIs400NamingTheParameter() {
        for (String query : List.of("?ack=all", "?ack=", "?ack", "?ack=stream&ack=none")) {
            JsonNode p = http.exchange(post("/v1/events" + query, event("e1"), STRUCTURED)).problem(400, "ack");
            assertTrue(p.get("detail").asText().contains("'stream'"), p.toString());
            http.exchange(post("/v1/topics/t/events" + query, "{}", BINARY)).problem(400, "ack");
        }
        assertTrue(http.published.isEmpty());
        assertTrue(http.durablePublished.isEmpty());
        assertTrue(http.channel.isOpen());
    }
}
