package io.weft.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.netty.buffer.ByteBuf;
import io.weft.protocol.EventCodec;
import io.weft.protocol.FrameType;
import io.weft.protocol.Frames;
import io.weft.protocol.Wire;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** publishDurable and request through a real client connection to a fake broker. */
class DurablePublishClientTest {
    private final BlockingQueue<String> seen = new LinkedBlockingQueue<>();
    private FakeBroker broker;

    @BeforeEach
    void start() throws Exception {
        broker = new FakeBroker("n1", "s1", true, new LinkedBlockingQueue<>());
        broker.start(() -> List.of(broker.nodeAddress()));
    }

    @AfterEach
    void stop() throws Exception {
        broker.close();
    }

    private MeshClient connect() {
        return MeshClient.connect(ClientOptions.builder().servers(broker.address()).discover(false)
                .connectTimeout(Duration.ofSeconds(2))
                .reconnectWait(Duration.ofMillis(10), Duration.ofMillis(50))
                .durableRetryWait(Duration.ofMillis(10), Duration.ofMillis(50)).build());
    }

    private static CloudEvent event(String id) {
        return CloudEventBuilder.v1().withId(id).withSource(URI.create("/shop")).withType("order")
                .withData("application/json", "{}".getBytes(StandardCharsets.UTF_8)).build();
    }

    /** Reads a PUB_DURABLE body: records "topic id" and returns its ref. */
    private long readPubDurable(ByteBuf body) {
        long ref = body.readLong();
        String topic = Wire.readStr16(body);
        CloudEvent e = EventCodec.decode(body);
        seen.add(topic + " " + e.getId());
        return ref;
    }

    private String next() throws InterruptedException {
        String s = seen.poll(10, TimeUnit.SECONDS);
        assertNotNull(s, "nothing arrived within 10 s");
        return s;
    }

    @Test
    void retriesTheSameEventAfterAFailedAck() throws Exception {
        AtomicInteger n = new AtomicInteger();
        broker.hook((type, body, reply) -> {
            if (type == FrameType.PUB_DURABLE) {
                long ref = readPubDurable(body);
                if (n.incrementAndGet() == 1) {
                    Frames.writePubAck(reply, ref, Frames.ACK_FAILED, 0, "no leader for orders");
                } else {
                    Frames.writePubAck(reply, ref, Frames.ACK_STORED, 42, "orders");
                }
            }
            return true;
        });
        try (MeshClient c = connect()) {
            PublishAck ack = c.publishDurable("orders.eu", event("e1")).get(10, TimeUnit.SECONDS);
            assertEquals(new PublishAck("orders", 42, false), ack);
            assertEquals("orders.eu e1", next());
            assertEquals("orders.eu e1", next());
            assertEquals(0, c.durableInFlight());
        }
    }

    @Test
    void resendsAfterReconnectWhenTheConnectionDropsBeforeTheAck() throws Exception {
        AtomicInteger n = new AtomicInteger();
        broker.hook((type, body, reply) -> {
            if (type == FrameType.PUB_DURABLE) {
                long ref = readPubDurable(body);
                if (n.incrementAndGet() == 1) {
                    return false; // crash before acknowledging
                }
                Frames.writePubAck(reply, ref, Frames.ACK_DUPLICATE, 7, "orders");
            }
            return true;
        });
        try (MeshClient c = connect()) {
            PublishAck ack = c.publishDurable("orders.eu", event("e2")).get(10, TimeUnit.SECONDS);
            assertEquals(new PublishAck("orders", 7, true), ack);
            assertEquals("orders.eu e2", next());
            assertEquals("orders.eu e2", next());
        }
    }

    @Test
    void invalidTopicIsRejectedUpFront() {
        try (MeshClient c = connect()) {
            assertThrows(io.weft.protocol.InvalidTopicException.class, () -> c.publishDurable("bad topic", event("x")));
            assertEquals(0, c.durableInFlight());
        }
    }

    @Test
    void requestReturnsStatusAndJsonEvenForErrors() throws Exception {
        broker.hook((type, body, reply) -> {
            if (type == FrameType.REQUEST) {
                Frames.Request r = Frames.readRequest(body);
                String json = "{\"error\":\"" + r.method() + " " + r.path() + " "
                        + new String(r.body(), StandardCharsets.UTF_8).replace("\"", "'") + "\"}";
                Frames.writeAdminReply(reply, r.ref(), 404, json.getBytes(StandardCharsets.UTF_8));
            }
            return true;
        });
        try (MeshClient c = connect()) {
            AdminResponse r = c.request("POST", "/v1/streams", "{\"name\":\"orders\"}").get(10, TimeUnit.SECONDS);
            assertEquals(404, r.status());
            assertEquals("{\"error\":\"POST /v1/streams {'name':'orders'}\"}", r.json());
            AdminResponse g = c.request("GET", "/v1/streams/x", null).get(10, TimeUnit.SECONDS);
            assertEquals("{\"error\":\"GET /v1/streams/x \"}", g.json());
        }
    }

    @Test
    void requestFailsWhenTheConnectionIsLost() throws Exception {
        broker.hook((type, body, reply) -> type != FrameType.REQUEST);
        try (MeshClient c = connect()) {
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> c.request("GET", "/v1/streams", null).get(10, TimeUnit.SECONDS));
            assertTrue(e.getCause() instanceof MeshException, e.getCause().toString());
            assertTrue(e.getCause().getMessage().contains("lost"), e.getCause().getMessage());
        }
    }
}
