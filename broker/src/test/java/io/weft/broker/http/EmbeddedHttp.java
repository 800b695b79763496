package io.weft.broker.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.cloudevents.CloudEvent;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.weft.protocol.Frames;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The HTTP pipeline in an {@link EmbeddedChannel} over a fake node: raw request bytes go in, decoded
 * responses come out, published events are recorded. Everything runs on the test thread.
 */
final class EmbeddedHttp implements AutoCloseable {
    static final int MAX_PAYLOAD = 4096;

    record Published(String topic, CloudEvent event) {
    }

    record Response(int status, HttpHeaders headers, String body) {
        JsonNode json() {
            try {
                return Json.MAPPER.readTree(body);
            } catch (Exception e) {
                throw new AssertionError("response body is not JSON: " + body, e);
            }
        }

        /** Asserts an RFC 9457 problem with this status and field, and returns it. */
        JsonNode problem(int expectedStatus, String expectedField) {
            assertEquals(expectedStatus, status, body);
            assertEquals("application/problem+json", headers.get("Content-Type"), body);
            JsonNode p = json();
            assertEquals(expectedStatus, p.get("status").asInt(), body);
            assertEquals(true, p.get("type").asText().startsWith("urn:weft:problem:"), body);
            assertEquals(true, p.hasNonNull("title") && p.hasNonNull("detail"), body);
            if (expectedField != null) {
                assertEquals(expectedField, p.path("field").asText(null), body);
            }
            return p;
        }
    }

    final PrometheusRegistry registry = new PrometheusRegistry();
    final List<Published> published = new ArrayList<>();
    final EmbeddedChannel channel;
    private final EmbeddedChannel client = new EmbeddedChannel(new HttpResponseDecoder(),
            new HttpObjectAggregator(1 << 20));
    boolean ready = true;
    /** What the fake router returns per event: the subscriptions it "reached". */
    int subscribersPerEvent = 2;

    /** The fake stream API; tests replace it. */
    HttpContext.StreamApi streamApi = (method, uri, body) -> CompletableFuture.completedFuture(
            Map.entry(404, "{\"error\":\"no streams\"}".getBytes(StandardCharsets.UTF_8)));
    /** The fake durable publisher; tests replace it. Events it was given are in {@link #durablePublished}. */
    HttpContext.DurablePublisher durable = (topic, event) -> CompletableFuture.completedFuture(
            new Frames.PubAck(0, Frames.ACK_FAILED, 0, "no streams"));
    final List<Published> durablePublished = new ArrayList<>();

    EmbeddedHttp() {
        Map<String, Object> node = new LinkedHashMap<>();
        node.put("node", "n1");
        node.put("site", "s1");
        HttpContext ctx = new HttpContext((topic, event) -> {
            published.add(new Published(topic, event));
            return subscribersPerEvent;
        }, () -> node, () -> ready, registry, MAX_PAYLOAD, Map.of(),
                (method, uri, body) -> streamApi.request(method, uri, body),
                (topic, event) -> {
                    durablePublished.add(new Published(topic, event));
                    return durable.publish(topic, event);
                });
        channel = new EmbeddedChannel(new HttpChannelInitializer(ctx));
    }

    /** Feeds raw bytes to the server and returns every response it wrote in reply. */
    List<Response> send(byte[] raw) {
        channel.writeInbound(Unpooled.wrappedBuffer(raw));
        return responses();
    }

    /**
     * Runs the tasks pending on the channel's event loop (answers completed from the test thread) and
     * returns every response written since the last call.
     */
    List<Response> responses() {
        channel.runPendingTasks();
        List<Response> out = new ArrayList<>();
        for (ByteBuf b; (b = channel.readOutbound()) != null;) {
            client.writeInbound(b);
        }
        for (FullHttpResponse r; (r = client.readInbound()) != null;) {
            try {
                out.add(new Response(r.status().code(), r.headers().copy(), r.content().toString(StandardCharsets.UTF_8)));
            } finally {
                r.release();
            }
        }
        return out;
    }

    List<Response> send(String raw) {
        return send(raw.getBytes(StandardCharsets.UTF_8));
    }

    /** Sends one request and expects exactly one response. */
    Response exchange(String raw) {
        List<Response> rs = send(raw);
        assertEquals(1, rs.size(), "responses: " + rs);
        return rs.get(0);
    }

    @Override
    public void close() {
        channel.finishAndReleaseAll();
        client.finishAndReleaseAll();
    }

    /** A raw HTTP/1.1 request with a Content-Length body; {@code headers} are "Name: value" strings. */
    static String request(String method, String path, String body, String... headers) {
        StringBuilder b = new StringBuilder(method).append(' ').append(path).append(" HTTP/1.1\r\nHost: test\r\n");
        for (String h : headers) {
            b.append(h).append("\r\n");
        }
        if (body != null) {
            b.append("Content-Length: ").append(body.getBytes(StandardCharsets.UTF_8).length).append("\r\n");
        }
        return b.append("\r\n").append(body == null ? "" : body).toString();
    }

    static String post(String path, String body, String... headers) {
        return request("POST", path, body, headers);
    }

    static String get(String path) {
        return request("GET", path, null);
    }
}
