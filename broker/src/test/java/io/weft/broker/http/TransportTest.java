package io.weft.broker.http;

import static io.weft.broker.http.EmbeddedHttp.MAX_PAYLOAD;
import static io.weft.broker.http.EmbeddedHttp.get;
import static io.weft.broker.http.EmbeddedHttp.post;
import static io.weft.broker.http.EmbeddedHttp.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.weft.broker.http.EmbeddedHttp.Response;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** HTTP behaviour around the endpoints: routing, limits, keep-alive, malformed requests, admin, metrics. */
class TransportTest {
    private static final String[] BINARY = {
        "ce-specversion: 1.0", "ce-id: e1", "ce-source: /s", "ce-type: a.b"};

    private final EmbeddedHttp http = new EmbeddedHttp();

    @AfterEach
    void close() {
        http.close();
    }

    @Test
    void unknownPathIs404AndWrongMethodIs405WithAllow() {
        http.exchange(get("/v1/nope")).problem(404, null);
        http.exchange(get("/v1/events/")).problem(404, null);
        http.exchange(get("/v1/topics/a/b/events")).problem(404, null);
        Response r = http.exchange(get("/v1/events"));
        r.problem(405, null);
        assertEquals("POST", r.headers().get("Allow"));
        Response m = http.exchange(post("/metrics", "x"));
        m.problem(405, null);
        assertEquals("GET", m.headers().get("Allow"));
        assertEquals("POST", http.exchange(request("PUT", "/v1/topics/a/events", "x")).headers().get("Allow"));
        assertTrue(http.channel.isOpen());
    }

    @Test
    void oversizedContentLengthIs413BeforeTheBodyAndTheConnectionStaysUsable() {
        String head = "POST /v1/events HTTP/1.1\r\nHost: t\r\nce-specversion: 1.0\r\nce-id: 1\r\nce-source: /s\r\n"
                + "ce-type: a.b\r\nContent-Length: " + (MAX_PAYLOAD + 1) + "\r\n\r\n";
        List<Response> early = http.send(head);
        assertEquals(1, early.size(), "answered from the headers alone");
        JsonNode p = early.get(0).problem(413, "body");
        assertTrue(p.get("detail").asText().contains(String.valueOf(MAX_PAYLOAD)));
        assertTrue(http.send("x".repeat(MAX_PAYLOAD + 1)).isEmpty(), "the body is read and dropped");
        assertEquals(202, http.exchange(post("/v1/events", "ok", BINARY)).status());
        assertEquals(1, http.published.size());
        assertTrue(http.channel.isOpen());
    }

    @Test
    void oversizedChunkedBodyIs413AndTheConnectionStaysUsable() {
        String head = "POST /v1/events HTTP/1.1\r\nHost: t\r\nContent-Type: application/cloudevents+json\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n";
        String chunk = Integer.toHexString(1024) + "\r\n" + "x".repeat(1024) + "\r\n";
        assertTrue(http.send(head + chunk.repeat(4)).isEmpty(), "at the limit: still aggregating");
        http.exchange(chunk).problem(413, "body");
        assertTrue(http.send(chunk.repeat(3) + "0\r\n\r\n").isEmpty(), "the rest is dropped");
        assertEquals(202, http.exchange(post("/v1/events", "ok", BINARY)).status());
        assertEquals(1, http.published.size());
    }

    @Test
    void oversizedWithExpectContinueIs413AndClose() {
        Response r = http.exchange("POST /v1/events HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n"
                + "Content-Length: " + (MAX_PAYLOAD + 1) + "\r\n\r\n");
        r.problem(413, "body");
        assertEquals("close", r.headers().get("Connection"));
        assertFalse(http.channel.isOpen());
    }

    @Test
    void acceptableExpectContinueGets100ThenTheAnswer() {
        List<Response> rs = http.send("POST /v1/events HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n"
                + String.join("\r\n", BINARY) + "\r\nContent-Length: 2\r\n\r\n");
        assertEquals(100, rs.get(0).status());
        assertEquals(202, http.exchange("ok").status());
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrderOnOneConnection() {
        List<Response> rs = http.send(post("/v1/events", "1", BINARY) + get("/nope") + get("/healthz")
                + post("/v1/events", "[]", "Content-Type: application/cloudevents-batch+json"));
        assertEquals(List.of(202, 404, 200, 400), rs.stream().map(Response::status).toList());
        assertTrue(http.channel.isOpen());
    }

    @Test
    void connectionCloseIsHonoured() {
        Response r = http.exchange(request("GET", "/healthz", null, "Connection: close"));
        assertEquals(200, r.status());
        assertEquals("close", r.headers().get("Connection"));
        assertFalse(http.channel.isOpen());
    }

    @Test
    void http10WithoutKeepAliveIsClosedAfterTheAnswer() {
        assertEquals(200, http.exchange("GET /healthz HTTP/1.0\r\n\r\n").status());
        assertFalse(http.channel.isOpen());
    }

    @Test
    void malformedRequestsGetAProblemThenClose() {
        http.exchange("GARBAGE\r\n\r\n").problem(400, null);
        assertFalse(http.channel.isOpen());
    }

    @Test
    void oversizedHeadersAre431ThenClose() {
        http.exchange(request("GET", "/healthz", null, "X-Big: " + "a".repeat(HttpChannelInitializer.MAX_HEADER_BYTES)))
                .problem(431, null);
        assertFalse(http.channel.isOpen());
    }

    @Test
    void idleConnectionsAreClosed() {
        http.channel.advanceTimeBy(HttpChannelInitializer.IDLE_TIMEOUT_SECONDS + 1, TimeUnit.SECONDS);
        http.channel.runScheduledPendingTasks();
        assertFalse(http.channel.isOpen());
    }

    @Test
    void nodeDescribesTheNode() {
        Response r = http.exchange(get("/v1/node"));
        assertEquals(200, r.status());
        assertEquals("application/json", r.headers().get("Content-Type"));
        assertEquals("n1", r.json().get("node").asText());
    }

    @Test
    void healthzFollowsReadiness() {
        http.ready = false;
        Response starting = http.exchange(get("/healthz"));
        assertEquals(503, starting.status());
        assertEquals("starting", starting.json().get("status").asText());
        http.ready = true;
        Response ready = http.exchange(get("/healthz?verbose=1"));
        assertEquals(200, ready.status());
        assertEquals("ready", ready.json().get("status").asText());
        assertEquals("s1", ready.json().get("site").asText());
    }

    @Test
    void metricsCountResponsesByStatusClass() {
        http.exchange(post("/v1/events", "1", BINARY));
        http.exchange(get("/nope"));
        http.exchange(get("/nope"));
        http.send("POST /v1/events HTTP/1.1\r\nHost: t\r\nContent-Length: " + (MAX_PAYLOAD + 1) + "\r\n\r\n"
                + "x".repeat(MAX_PAYLOAD + 1));
        Response r = http.exchange(get("/metrics"));
        assertEquals(200, r.status());
        assertEquals(PrometheusTextFormatWriter.CONTENT_TYPE, r.headers().get("Content-Type"));
        assertEquals("text/plain; version=0.0.4; charset=utf-8", r.headers().get("Content-Type"));
        assertTrue(r.body().contains("weft_http_requests_total{code=\"2xx\"} 1.0"), r.body());
        assertTrue(r.body().contains("weft_http_requests_total{code=\"4xx\"} 3.0"), r.body());
    }
}
