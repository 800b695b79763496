package io.weft.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.weft.client.MeshClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code POST /v1/streams/{name}/purge} on one in-process broker with a one-replica stream, over HTTP. */
class StreamPurgeTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    Path dir;
    private Broker broker;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @BeforeEach
    void start() throws Exception {
        broker = TestBrokers.start(dir);
    }

    @AfterEach
    void stop() {
        broker.close();
    }

    private record Answer(int status, JsonNode json) {
    }

    private Answer call(String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + broker.httpPort() + path))
                .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json");
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(r.statusCode(), r.body().isEmpty() ? JSON.nullNode() : JSON.readTree(r.body()));
    }

    private List<Long> storedSeqs() throws Exception {
        Answer page = call("GET", "/v1/streams/orders/events?from_seq=1&count=100", null);
        assertEquals(200, page.status(), page.json().toString());
        List<Long> seqs = new ArrayList<>();
        page.json().path("events").forEach(e -> seqs.add(e.path("seq").asLong()));
        return seqs;
    }

    @Test
    void aPurgeRemovesTheOldestEventsAndTheStreamGoesOn() throws Exception {
        Answer created = call("POST", "/v1/streams", "{\"name\":\"orders\",\"subjects\":[\"orders.>\"],\"replicas\":1}");
        assertEquals(201, created.status(), created.json().toString());
        try (MeshClient client = MeshClient.connect(TestBrokers.address(broker))) {
            for (int i = 1; i <= 10; i++) {
                assertEquals(i, client.publishDurable("orders.created", PubSubTest.event("o-" + i, "{\"n\":" + i + "}"))
                        .get(30, TimeUnit.SECONDS).seq());
            }
            assertEquals(201, call("POST", "/v1/streams/orders/consumers", "{\"name\":\"billing\",\"start\":\"first\"}")
                    .status());
            Answer next = call("POST", "/v1/streams/orders/consumers/billing/next?count=3", null);
            assertEquals(3, next.json().path("events").size(), next.json().toString());

            Answer purged = call("POST", "/v1/streams/orders/purge", "{\"keepFrom\":4}");
            assertEquals(200, purged.status(), purged.json().toString());
            assertEquals("{\"purged\":3,\"firstSeq\":4,\"lastSeq\":10}", purged.json().toString());
            assertEquals(List.of(4L, 5L, 6L, 7L, 8L, 9L, 10L), storedSeqs());
            JsonNode billing = call("GET", "/v1/streams/orders/consumers/billing", null).json();
            assertEquals(0, billing.path("ackPending").asInt(), billing.toString());
            assertEquals(4, billing.path("nextSeq").asLong(), billing.toString());
            assertEquals(3, billing.path("ackFloor").asLong(), billing.toString());

            assertEquals("{\"purged\":5,\"firstSeq\":9,\"lastSeq\":10}",
                    call("POST", "/v1/streams/orders/purge", "{\"keep\":2}").json().toString());
            assertEquals(List.of(9L, 10L), storedSeqs());
            assertEquals("{\"purged\":2,\"firstSeq\":11,\"lastSeq\":10}",
                    call("POST", "/v1/streams/orders/purge", null).json().toString());
            JsonNode info = call("GET", "/v1/streams/orders", null).json();
            assertEquals(0, info.path("events").asLong(), info.toString());
            assertEquals(0, info.path("bytes").asLong(), info.toString());
            assertEquals(11, info.path("firstSeq").asLong(), info.toString());
            assertEquals(10, info.path("lastSeq").asLong(), info.toString());

            assertEquals(11, client.publishDurable("orders.created", PubSubTest.event("o-11", "{}"))
                    .get(30, TimeUnit.SECONDS).seq(), "the numbering continues");
            assertEquals(List.of(11L), storedSeqs());
            Answer fetched = call("POST", "/v1/streams/orders/consumers/billing/next?count=10", null);
            assertEquals(11, fetched.json().path("events").get(0).path("seq").asLong(), fetched.json().toString());
            assertEquals(1, fetched.json().path("events").size(), fetched.json().toString());
        }
    }

    @Test
    void theMeshsOwnStreamsUnknownOnesAndBadBodiesAreRefused() throws Exception {
        Answer system = call("POST", "/v1/streams/_weft_rules_default/purge", null);
        assertEquals(403, system.status(), system.json().toString());
        assertTrue(system.json().path("error").asText().contains("cannot be purged"), system.json().toString());
        Answer unknown = call("POST", "/v1/streams/nope/purge", null);
        assertEquals(404, unknown.status(), unknown.json().toString());
        Answer bad = call("POST", "/v1/streams/nope/purge", "{\"keepFrom\":0}");
        assertEquals(400, bad.status(), bad.json().toString());
    }
}
