package io.weft.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.weft.client.MeshClient;
import io.weft.client.Message;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Events posted over HTTP in each CloudEvents content mode reach native subscribers intact. */
class HttpToNativeTest {
    @TempDir
    Path dir;
    private Broker broker;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() throws Exception {
        broker = TestBrokers.start(dir);
    }

    @AfterEach
    void stop() {
        broker.close();
    }

    private int post(String path, String contentType, String body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + broker.httpPort() + path))
                .header("Content-Type", contentType).POST(HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    @Test
    void binaryStructuredAndBatchedEventsArriveOnNativeSubscribers() throws Exception {
        try (MeshClient sub = MeshClient.connect(TestBrokers.address(broker))) {
            List<Message> got = new CopyOnWriteArrayList<>();
            sub.subscribe("orders.>", got::add).confirmed().get(10, TimeUnit.SECONDS);

            assertEquals(202, post("/v1/events", "application/json", "{\"id\":1}",
                    "ce-specversion", "1.0", "ce-id", "b-1", "ce-source", "/shop", "ce-type", "orders.eu.created",
                    "ce-subject", "order/1", "ce-tenant", "acme"));
            assertEquals(202, post("/v1/topics/orders.us.created/events", "application/cloudevents+json",
                    "{\"specversion\":\"1.0\",\"id\":\"s-1\",\"source\":\"/shop\",\"type\":\"com.example.order.created\","
                            + "\"datacontenttype\":\"application/json\",\"data\":{\"id\":2}}"));
            assertEquals(202, post("/v1/events", "application/cloudevents-batch+json",
                    "[{\"specversion\":\"1.0\",\"id\":\"m-1\",\"source\":\"/shop\",\"type\":\"orders.apac.created\"},"
                            + "{\"specversion\":\"1.0\",\"id\":\"m-2\",\"source\":\"/shop\",\"type\":\"payments.created\"}]"));

            Await.until(Duration.ofSeconds(10), () -> got.size() == 3, got::toString);
            Message binary = got.get(0);
            assertEquals("orders.eu.created", binary.topic());
            assertEquals("b-1", binary.event().getId());
            assertEquals("order/1", binary.event().getSubject());
            assertEquals("acme", binary.event().getExtension("tenant"));
            assertEquals("{\"id\":1}", new String(binary.event().getData().toBytes(), StandardCharsets.UTF_8));
            Message structured = got.get(1);
            assertEquals("orders.us.created", structured.topic());
            assertEquals("com.example.order.created", structured.event().getType());
            assertEquals("{\"id\":2}", new String(structured.event().getData().toBytes(), StandardCharsets.UTF_8)
                    .replace(" ", ""));
            assertEquals("orders.apac.created", got.get(2).topic());
            sub.flush(Duration.ofSeconds(5));
            assertEquals(3, got.size(), "payments.created must not match orders.>");
        }
    }
}
