package io.weft.broker.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.weft.broker.Broker;
import io.weft.broker.MeshdConfig;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real broker on free ports, driven over TCP by java.net.http and a raw socket. */
class HttpServerTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @TempDir
    Path dataDir;
    private Broker broker;
    private HttpClient client;
    private String base;

    @BeforeEach
    void start() throws Exception {
        MeshdConfig cfg = MeshdConfig.defaults();
        cfg.dataDir = dataDir;
        cfg.ioThreads = 2;
        cfg.maxPayloadBytes = 4096;
        broker = Broker.start(cfg);
        // readiness comes once the node has joined membership (asynchronous, about a second alone)
        io.weft.broker.Await.until(java.time.Duration.ofSeconds(30), broker::ready, () -> "broker never ready");
        client = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
        base = "http://127.0.0.1:" + broker.httpPort();
    }

    @AfterEach
    void stop() {
        if (broker != null) {
            broker.close();
        }
    }

    private HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
        return client.send(b.timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String path) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(base + path)).GET());
    }

    private static JsonNode json(HttpResponse<String> r) throws Exception {
        return Json.MAPPER.readTree(r.body());
    }

    @Test
    void threeContentModesArePublishedAndCounted() throws Exception {
        HttpResponse<String> binary = send(HttpRequest.newBuilder(URI.create(base + "/v1/events"))
                .header("ce-specversion", "1.0").header("ce-id", "1").header("ce-source", "/test")
                .header("ce-type", "com.example.order.created").header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString("hello")));
        assertEquals(202, binary.statusCode(), binary.body());
        assertEquals(1, json(binary).get("accepted").asInt());
        assertEquals(0, json(binary).get("delivered").asInt(), "no subscribers yet");

        HttpResponse<String> structured = send(HttpRequest.newBuilder(URI.create(base + "/v1/topics/orders.eu/events"))
                .header("Content-Type", "application/cloudevents+json; charset=utf-8")
                .POST(HttpRequest.BodyPublishers.ofString(
                        "{\"specversion\":\"1.0\",\"id\":\"2\",\"source\":\"/test\",\"type\":\"x\",\"data\":{\"a\":1}}")));
        assertEquals(202, structured.statusCode(), structured.body());

        HttpResponse<String> batch = send(HttpRequest.newBuilder(URI.create(base + "/v1/events"))
                .header("Content-Type", "application/cloudevents-batch+json")
                .POST(HttpRequest.BodyPublishers.ofString("[{\"specversion\":\"1.0\",\"id\":\"3\",\"source\":\"/t\","
                        + "\"type\":\"a.b\"},{\"specversion\":\"1.0\",\"id\":\"4\",\"source\":\"/t\",\"type\":\"a.c\"}]")));
        assertEquals(202, batch.statusCode(), batch.body());
        assertEquals(2, json(batch).get("accepted").asInt());

        HttpResponse<String> bad = send(HttpRequest.newBuilder(URI.create(base + "/v1/events"))
                .header("Content-Type", "application/cloudevents-batch+json")
                .POST(HttpRequest.BodyPublishers.ofString("[{\"specversion\":\"1.0\",\"id\":\"5\",\"source\":\"/t\","
                        + "\"type\":\"a.b\"},{\"specversion\":\"1.0\",\"id\":\"6\",\"type\":\"a.c\"}]")));
        assertEquals(400, bad.statusCode());
        assertEquals("application/problem+json", bad.headers().firstValue("Content-Type").orElse(""));
        assertEquals("source", json(bad).get("field").asText());
        assertEquals(1, json(bad).get("index").asInt());

        String metrics = get("/metrics").body();
        assertTrue(metrics.contains("weft_events_in_total{ingress=\"http\"} 4.0"), metrics);
        assertTrue(metrics.contains("weft_http_requests_total{code=\"2xx\"} 3.0"), metrics);
        assertTrue(metrics.contains("weft_http_requests_total{code=\"4xx\"} 1.0"), metrics);
    }

    @Test
    void adminEndpoints() throws Exception {
        HttpResponse<String> node = get("/v1/node");
        assertEquals(200, node.statusCode());
        assertEquals(broker.httpPort(), json(node).get("ports").get("http").asInt());
        assertEquals("node1", json(node).get("node").asText());

        HttpResponse<String> health = get("/healthz");
        assertEquals(200, health.statusCode());
        assertEquals("ready", json(health).get("status").asText());

        HttpResponse<String> metrics = get("/metrics");
        assertEquals("text/plain; version=0.0.4; charset=utf-8",
                metrics.headers().firstValue("Content-Type").orElse(""));
        assertTrue(metrics.body().contains("# TYPE weft_events_in_total counter"), metrics.body());
    }

    @Test
    void oversizeBodyIs413AndTheConnectionStaysUsable() throws Exception {
        HttpResponse<String> big = send(HttpRequest.newBuilder(URI.create(base + "/v1/events"))
                .header("ce-specversion", "1.0").header("ce-id", "1").header("ce-source", "/test")
                .header("ce-type", "a.b").POST(HttpRequest.BodyPublishers.ofByteArray(new byte[5000])));
        assertEquals(413, big.statusCode(), big.body());
        assertEquals("body", json(big).get("field").asText());

        // On one raw connection: the 413 comes from the headers alone, then the same socket serves on.
        try (Socket s = new Socket("127.0.0.1", broker.httpPort())) {
            s.setSoTimeout((int) TIMEOUT.toMillis());
            OutputStream out = s.getOutputStream();
            out.write(("POST /v1/events HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            assertTrue(readResponse(in).startsWith("HTTP/1.1 413 "));
            out.write(new byte[5000]);
            out.write("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            assertTrue(readResponse(in).startsWith("HTTP/1.1 200 "));
        }
    }

    /** Reads one response with a Content-Length body and returns it as text. */
    private static String readResponse(InputStream in) throws Exception {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
                throw new AssertionError("connection closed after: " + head);
            }
            head.append((char) c);
        }
        int length = 0;
        for (String line : head.toString().split("\r\n")) {
            if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(15).trim());
            }
        }
        return head + new String(in.readNBytes(length), StandardCharsets.UTF_8);
    }
}
