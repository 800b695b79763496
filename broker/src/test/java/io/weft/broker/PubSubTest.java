package io.weft.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.weft.client.ClientOptions;
import io.weft.client.MeshClient;
import io.weft.client.Message;
import io.weft.client.Subscription;
import io.weft.protocol.InvalidTopicException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The native protocol end to end: a real broker on free ports, driven by the Java client. */
class PubSubTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    @TempDir
    Path dir;
    private Broker broker;

    @BeforeEach
    void start() throws Exception {
        broker = TestBrokers.start(dir);
    }

    @AfterEach
    void stop() {
        broker.close();
    }

    static CloudEvent event(String id, String data) {
        return CloudEventBuilder.v1().withId(id).withSource(URI.create("/shop")).withType("com.example.order.created")
                .withDataContentType("application/json").withData(data.getBytes(StandardCharsets.UTF_8)).build();
    }

    private MeshClient client() {
        return MeshClient.connect(TestBrokers.address(broker));
    }

    @Test
    void wildcardSubscribersEachReceiveEveryMatchingEventOnce() throws Exception {
        try (MeshClient sub1 = client(); MeshClient sub2 = client(); MeshClient pub = client()) {
            List<Message> all = new CopyOnWriteArrayList<>();
            List<Message> eu = new CopyOnWriteArrayList<>();
            sub1.subscribe("orders.>", all::add).confirmed().get(10, TimeUnit.SECONDS);
            sub2.subscribe("orders.eu.*", eu::add).confirmed().get(10, TimeUnit.SECONDS);
            pub.publish("orders.eu.created", event("1", "{\"id\":1}"));
            pub.publish("orders.us.created", event("2", "{\"id\":2}"));
            pub.publish("payments.eu.created", event("3", "{}"));
            pub.flush(WAIT);
            Await.until(WAIT, () -> all.size() == 2 && eu.size() == 1, () -> all + " / " + eu);
            assertEquals("orders.eu.created", all.get(0).topic());
            assertEquals("1", all.get(0).event().getId());
            assertEquals("{\"id\":1}", new String(all.get(0).event().getData().toBytes(), StandardCharsets.UTF_8));
            assertEquals("/shop", all.get(0).event().getSource().toString());
            assertEquals("2", all.get(1).event().getId());
            assertEquals("1", eu.get(0).event().getId());
            // nothing more arrives: a flush round trip on the subscriber proves the broker sent all it had
            sub1.flush(WAIT);
            sub2.flush(WAIT);
            assertEquals(2, all.size());
            assertEquals(1, eu.size());
        }
    }

    @Test
    void eventsFromOnePublisherArriveInOrder() throws Exception {
        try (MeshClient sub = client(); MeshClient pub = client()) {
            List<String> ids = new CopyOnWriteArrayList<>();
            sub.subscribe("seq.>", m -> ids.add(m.event().getId())).confirmed().get(10, TimeUnit.SECONDS);
            for (int i = 0; i < 10_000; i++) {
                pub.publish("seq.x", event(Integer.toString(i), "{}"));
            }
            pub.flush(WAIT);
            Await.until(WAIT, () -> ids.size() == 10_000, () -> ids.size() + " received");
            for (int i = 0; i < 10_000; i++) {
                assertEquals(Integer.toString(i), ids.get(i));
            }
        }
    }

    @Test
    void queueGroupDeliversEachEventToExactlyOneMember() throws Exception {
        try (MeshClient a = client(); MeshClient b = client(); MeshClient plain = client(); MeshClient pub = client()) {
            Map<String, Integer> seen = new ConcurrentHashMap<>();
            AtomicInteger na = new AtomicInteger();
            AtomicInteger nb = new AtomicInteger();
            AtomicInteger np = new AtomicInteger();
            a.subscribe("jobs.>", "workers", m -> {
                seen.merge(m.event().getId(), 1, Integer::sum);
                na.incrementAndGet();
            }).confirmed().get(10, TimeUnit.SECONDS);
            b.subscribe("jobs.>", "workers", m -> {
                seen.merge(m.event().getId(), 1, Integer::sum);
                nb.incrementAndGet();
            }).confirmed().get(10, TimeUnit.SECONDS);
            plain.subscribe("jobs.>", m -> np.incrementAndGet()).confirmed().get(10, TimeUnit.SECONDS);
            int n = 1000;
            for (int i = 0; i < n; i++) {
                pub.publish("jobs.run", event("j" + i, "{}"));
            }
            pub.flush(WAIT);
            Await.until(WAIT, () -> na.get() + nb.get() == n && np.get() == n, () -> na + "+" + nb + ", plain " + np);
            a.flush(WAIT);
            b.flush(WAIT);
            assertEquals(n, seen.size());
            assertTrue(seen.values().stream().allMatch(c -> c == 1), "each job exactly once");
            assertTrue(na.get() > 0 && nb.get() > 0, "both members got work: " + na + "/" + nb);
        }
    }

    /**
     * Members of one queue group with different filters: each event goes to one member whose filter accepts
     * it, once; an event only one member's filter accepts always goes to that member, and one that no
     * member's filter accepts goes to none (a broker used to refuse filters on queue groups).
     */
    @Test
    void queueGroupMembersWithDifferentFiltersEachGetWhatTheirFilterAccepts() throws Exception {
        try (MeshClient a = client(); MeshClient b = client(); MeshClient plain = client(); MeshClient pub = client()) {
            Map<String, Integer> toA = new ConcurrentHashMap<>();
            Map<String, Integer> toB = new ConcurrentHashMap<>();
            AtomicInteger np = new AtomicInteger();
            a.subscribe("jobs.>", "workers", io.weft.client.Filter.sql("amount >= 100 OR source = '/both'"),
                    m -> toA.merge(m.event().getId(), 1, Integer::sum)).confirmed().get(10, TimeUnit.SECONDS);
            b.subscribe("jobs.>", "workers", io.weft.client.Filter.json(
                    "[{\"any\": [{\"sql\": \"amount < 10\"}, {\"exact\": {\"source\": \"/both\"}}]}]"),
                    m -> toB.merge(m.event().getId(), 1, Integer::sum)).confirmed().get(10, TimeUnit.SECONDS);
            // an invalid filter on a group member is still refused, naming where
            java.util.concurrent.ExecutionException bad = assertThrows(java.util.concurrent.ExecutionException.class,
                    () -> a.subscribe("jobs.>", "workers", io.weft.client.Filter.sql("amount >"), m -> { })
                            .confirmed().get(10, TimeUnit.SECONDS));
            assertEquals(io.weft.protocol.ErrorCode.INVALID_FILTER, ((io.weft.client.MeshException) bad.getCause()).code());
            plain.subscribe("jobs.>", m -> np.incrementAndGet()).confirmed().get(10, TimeUnit.SECONDS);
            int n = 400;
            for (int i = 0; i < n; i++) {
                // amounts 0..199: < 10 is B's, >= 100 A's, 10..99 nobody's, unless the source is /both
                String source = i % 10 == 3 ? "/both" : "/shop";
                pub.publish("jobs.run", CloudEventBuilder.v1().withId("j" + i).withSource(URI.create(source))
                        .withType("com.example.job").withExtension("amount", i % 200).build());
            }
            pub.flush(WAIT);
            Await.until(WAIT, () -> np.get() == n, () -> "plain got " + np);
            // the members' handlers run on the clients' own threads: wait for every event some member accepts
            int accepted = 0;
            for (int i = 0; i < n; i++) {
                accepted += i % 10 == 3 || i % 200 >= 100 || i % 200 < 10 ? 1 : 0;
            }
            int want = accepted;
            Await.until(WAIT, () -> toA.values().stream().mapToInt(Integer::intValue).sum()
                            + toB.values().stream().mapToInt(Integer::intValue).sum() >= want,
                    () -> "the members got " + toA.size() + " + " + toB.size() + " of " + want);
            a.flush(WAIT);
            b.flush(WAIT);
            int both = 0;
            for (int i = 0; i < n; i++) {
                String id = "j" + i;
                int amount = i % 200;
                boolean bothAccept = i % 10 == 3;
                if (bothAccept) {
                    both++;
                    assertEquals(1, toA.getOrDefault(id, 0) + toB.getOrDefault(id, 0), id + " once, to A or B");
                } else {
                    assertEquals(amount >= 100 ? 1 : 0, toA.getOrDefault(id, 0), id + " to A");
                    assertEquals(amount < 10 ? 1 : 0, toB.getOrDefault(id, 0), id + " to B");
                }
            }
            assertTrue(toA.values().stream().allMatch(c -> c == 1) && toB.values().stream().allMatch(c -> c == 1),
                    "no duplicates");
            long onlyA = toA.keySet().stream().filter(id -> Integer.parseInt(id.substring(1)) % 10 != 3).count();
            long onlyB = toB.keySet().stream().filter(id -> Integer.parseInt(id.substring(1)) % 10 != 3).count();
            assertEquals(180, onlyA, "amount >= 100 outside /both: 2 x 90");
            assertEquals(18, onlyB, "amount < 10 outside /both: 2 x 9");
            assertEquals(both, toA.size() + toB.size() - onlyA - onlyB, "every /both event went to one of them");
            assertTrue(toA.size() > onlyA && toB.size() > onlyB, "both members got a share of the events both accept");
        }
    }

    @Test
    void unsubscribeStopsDelivery() throws Exception {
        try (MeshClient sub = client(); MeshClient pub = client()) {
            AtomicInteger n = new AtomicInteger();
            Subscription s = sub.subscribe("t.>", m -> n.incrementAndGet());
            s.confirmed().get(10, TimeUnit.SECONDS);
            pub.publish("t.a", event("1", "{}"));
            pub.flush(WAIT);
            Await.until(WAIT, () -> n.get() == 1, () -> "received " + n);
            s.unsubscribe();
            sub.flush(WAIT);
            assertEquals(0, broker.router().subscriptionCount());
            pub.publish("t.a", event("2", "{}"));
            pub.flush(WAIT);
            sub.flush(WAIT);
            assertEquals(1, n.get());
        }
    }

    @Test
    void closingAClientRemovesItsSubscriptions() throws Exception {
        MeshClient sub = client();
        sub.subscribe("a.>", m -> { }).confirmed().get(10, TimeUnit.SECONDS);
        sub.subscribe("b.*", "g", m -> { }).confirmed().get(10, TimeUnit.SECONDS);
        assertEquals(2, broker.router().subscriptionCount());
        sub.close();
        Await.until(WAIT, () -> broker.router().subscriptionCount() == 0, () -> broker.router().subscriptionCount() + " left");
    }

    @Test
    void clientRejectsBadTopicsAndPatternsBeforeSending() {
        try (MeshClient c = client()) {
            assertThrows(InvalidTopicException.class, () -> c.publish("orders.*", event("1", "{}")));
            assertThrows(InvalidTopicException.class, () -> c.subscribe("orders.>.x", m -> { }));
            assertTrue(c.isConnected());
        }
    }

    @Test
    void clientReconnectsAndResubscribesAfterTheBrokerRestarts() throws Exception {
        int port = broker.clientPort();
        List<String> events = new CopyOnWriteArrayList<>();
        List<ClientOptions.ConnectionState> states = new CopyOnWriteArrayList<>();
        try (MeshClient sub = MeshClient.connect(ClientOptions.builder().servers("127.0.0.1:" + port)
                .reconnectWait(Duration.ofMillis(20), Duration.ofMillis(200))
                .connectionListener(e -> states.add(e.state())).build())) {
            sub.subscribe("r.>", m -> events.add(m.event().getId())).confirmed().get(10, TimeUnit.SECONDS);
            broker.close();
            Await.until(WAIT, () -> states.contains(ClientOptions.ConnectionState.DISCONNECTED), states::toString);
            broker = TestBrokers.start(dir, c -> c.clientPort = port);
            Await.until(WAIT, () -> broker.router().subscriptionCount() == 1, () -> "subs " + broker.router().subscriptionCount());
            // the client resubscribes before it tells its listener, so the broker may see the SUB first
            Await.until(WAIT, () -> states.contains(ClientOptions.ConnectionState.RECONNECTED), states::toString);
            try (MeshClient pub = client()) {
                pub.publish("r.x", event("after-restart", "{}"));
                pub.flush(WAIT);
            }
            Await.until(WAIT, () -> events.contains("after-restart"), events::toString);
        }
    }
}
