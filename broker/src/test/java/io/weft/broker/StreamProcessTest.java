package io.weft.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.weft.client.AdminResponse;
import io.weft.client.ClientOptions;
import io.weft.client.MeshClient;
import io.weft.client.PublishAck;
import io.weft.client.StreamEvent;
import io.weft.client.StreamPage;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A three-replica stream on real {@code meshd} processes (site cloud) fed from a node of another site
 * (onprem) under continuous acked publishing: the leader is killed with {@code kill -9}, publishing
 * resumes on a new leader, the old leader comes back as a follower and catches up, then every node is
 * killed and restarted. Afterwards every acknowledged event is present exactly once, in the same
 * order, on every replica and in a replay through another site.
 */
class StreamProcessTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private final Map<Long, String> acked = new ConcurrentHashMap<>();
    private final AtomicLong lastAckNanos = new AtomicLong();
    private final AtomicInteger failures = new AtomicInteger();

    @Test
    void ackedEventsSurviveLeaderKillFollowerRestartAndFullRestart() throws Exception {
        try (MeshProcesses mesh = new MeshProcesses(dir)) {
            MeshProcesses.Node c1 = mesh.start("c1", "cloud", List.of());
            mesh.start("c2", "cloud", List.of(c1.mesh()));
            mesh.start("c3", "cloud", List.of(c1.mesh()));
            mesh.start("o1", "onprem", List.of(c1.mesh()));
            for (String n : List.of("c1", "c2", "c3", "o1")) {
                Await.until(Duration.ofSeconds(60), () -> mesh.ready(n), () -> n + " not ready");
            }
            try (MeshClient client = MeshClient.connect(ClientOptions.builder().servers(mesh.node("o1").client())
                    .discover(false).build())) {
                AdminResponse created = client.request("POST", "/v1/streams",
                        "{\"name\":\"orders\",\"subjects\":[\"orders.>\"],\"replicas\":3,\"site\":\"cloud\"}")
                        .get(60, TimeUnit.SECONDS);
                assertEquals(201, created.status(), created.json());
                JsonNode info = JSON.readTree(created.json());
                assertEquals(3, info.path("peers").size(), created.json());

                // bad requests are refused with reasons
                assertEquals(409, client.request("POST", "/v1/streams",
                        "{\"name\":\"orders\",\"subjects\":[\"x.>\"],\"replicas\":1,\"site\":\"cloud\"}").get(30, TimeUnit.SECONDS).status());
                assertEquals(409, client.request("POST", "/v1/streams",
                        "{\"name\":\"other\",\"subjects\":[\"orders.eu.*\"],\"replicas\":1,\"site\":\"cloud\"}").get(30, TimeUnit.SECONDS).status());
                assertEquals(400, client.request("POST", "/v1/streams",
                        "{\"name\":\"x\",\"subjects\":[\"x.>\"],\"replicas\":5,\"site\":\"cloud\"}").get(30, TimeUnit.SECONDS).status());
                assertEquals(400, client.request("POST", "/v1/streams",
                        "{\"name\":\"x\",\"subjects\":[\"x.>\"],\"replicas\":1,\"site\":\"mars\"}").get(30, TimeUnit.SECONDS).status());

                AtomicBoolean stop = new AtomicBoolean();
                AtomicInteger next = new AtomicInteger();
                Thread publisher = new Thread(() -> publishUntil(client, stop, next), "publisher");
                publisher.start();
                try {
                    Await.until(Duration.ofSeconds(60), () -> acked.size() >= 1000, () -> acked.size() + " acked");
                    String leader = leaderOf(client);
                    long killedAt = System.nanoTime();
                    mesh.kill9(leader);
                    int before = acked.size();
                    Await.until(Duration.ofSeconds(60), () -> lastAckNanos.get() > killedAt && acked.size() > before + 500,
                            () -> acked.size() + " acked after the leader kill");
                    System.out.printf("leader %s killed: first ack on the new leader after %d ms%n", leader,
                            TimeUnit.NANOSECONDS.toMillis(firstAckAfter(killedAt) - killedAt));
                    assertTrue(!leaderOf(client).equals(leader));

                    // the old leader returns as a follower and catches up
                    mesh.restart(leader);
                    Await.until(Duration.ofSeconds(60), () -> mesh.ready(leader), () -> leader + " not ready");
                    int mid = acked.size();
                    Await.until(Duration.ofSeconds(60), () -> acked.size() > mid + 500, () -> acked.size() + " acked");
                } finally {
                    stop.set(true);
                    publisher.join(120_000);
                }
                assertEquals(0, failures.get(), "publishes that failed after all retries");
                long lastSeq = acked.keySet().stream().mapToLong(Long::longValue).max().orElseThrow();
                for (String n : List.of("c1", "c2", "c3")) {
                    try {
                        Await.until(Duration.ofSeconds(60), () -> localLastSeq(mesh, n) >= lastSeq,
                                () -> n + " replica at " + localLastSeq(mesh, n) + ", behind " + lastSeq);
                    } catch (AssertionError e) {
                        String log = mesh.log(n);
                        System.out.println("---- last of " + n + "'s log ----\n"
                                + log.substring(Math.max(0, log.length() - 20_000)));
                        throw e;
                    }
                    checkEvents(readAll(mesh, n, true), lastSeq);
                }
            }

            // every node down hard, then up again: streams, events and consumers are all still there
            for (String n : List.of("c1", "c2", "c3", "o1")) {
                mesh.kill9(n);
            }
            for (String n : List.of("c1", "c2", "c3", "o1")) {
                mesh.restart(n);
            }
            for (String n : List.of("c1", "c2", "c3", "o1")) {
                Await.until(Duration.ofSeconds(60), () -> mesh.ready(n), () -> n + " not ready after restart");
            }
            long lastSeq = acked.keySet().stream().mapToLong(Long::longValue).max().orElseThrow();
            try (MeshClient client = MeshClient.connect(ClientOptions.builder().servers(mesh.node("o1").client())
                    .discover(false).build())) {
                Await.until(Duration.ofSeconds(60), () -> status(client, "GET", "/v1/streams/orders", null) == 200,
                        () -> "stream orders not answering after the restart");
                List<JsonNode> replay = new ArrayList<>();
                long from = 1;
                while (true) {
                    AdminResponse r = client.request("GET", "/v1/streams/orders/events?from_seq=" + from + "&count=5000", null)
                            .get(30, TimeUnit.SECONDS);
                    assertEquals(200, r.status(), r.json());
                    JsonNode page = JSON.readTree(r.json());
                    if (page.path("events").isEmpty()) {
                        break;
                    }
                    page.path("events").forEach(replay::add);
                    from = page.path("next").asLong();
                }
                checkEvents(replay, lastSeq);
                // binary reads from a node without a replica: the leader, in the other site, answers them
                List<Stored> binary = readBinary(client, 777);
                checkStored(binary, lastSeq);
                assertEquals(replay.size(), binary.size(), "a JSON and a binary replay of the same stream");
                ExecutionException unknown = assertThrows(ExecutionException.class,
                        () -> client.read("nosuch", 1, 10).get(30, TimeUnit.SECONDS));
                assertTrue(unknown.getCause().getMessage().contains("404"), unknown.getCause().getMessage());
                ExecutionException badName = assertThrows(ExecutionException.class,
                        () -> client.read("a.>", 1, 10).get(30, TimeUnit.SECONDS));
                assertTrue(badName.getCause().getMessage().contains("400"), badName.getCause().getMessage());
                try (MeshClient onReplica = MeshClient.connect(ClientOptions.builder().servers(mesh.node("c1").client())
                        .discover(false).build())) {
                    checkStored(readBinary(onReplica, 10_000), lastSeq);
                }
                PublishAck again = client.publishDurable("orders.eu.created", event(acked.get(1L))).get(60, TimeUnit.SECONDS);
                assertEquals(1, again.seq(), "a republished event is a duplicate of its original");
                assertTrue(again.duplicate());
            }
        }
    }

    private void publishUntil(MeshClient client, AtomicBoolean stop, AtomicInteger next) {
        Semaphore window = new Semaphore(64);
        List<CompletableFuture<PublishAck>> all = new ArrayList<>();
        while (!stop.get()) {
            try {
                if (!window.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                    continue;
                }
            } catch (InterruptedException e) {
                return;
            }
            String id = "e-" + next.getAndIncrement();
            CompletableFuture<PublishAck> f = client.publishDurable("orders.eu.created", event(id));
            f.whenComplete((ack, err) -> {
                window.release();
                if (err != null) {
                    failures.incrementAndGet();
                    return;
                }
                String prev = acked.putIfAbsent(ack.seq(), id);
                if (prev != null && !prev.equals(id)) {
                    failures.incrementAndGet();
                }
                ackTimes.add(System.nanoTime());
                lastAckNanos.set(System.nanoTime());
            });
            all.add(f);
        }
        for (CompletableFuture<PublishAck> f : all) {
            try {
                f.get(60, TimeUnit.SECONDS);
            } catch (Exception e) {
                // counted in failures
            }
        }
    }

    private final java.util.Queue<Long> ackTimes = new java.util.concurrent.ConcurrentLinkedQueue<>();

    private long firstAckAfter(long t) {
        return ackTimes.stream().filter(x -> x > t).min(Long::compare).orElse(t);
    }

    /** An event as a read returned it: its sequence and CloudEvents id. */
    private record Stored(long seq, String id) {
    }

    private void checkEvents(List<JsonNode> events, long lastSeq) {
        checkStored(events.stream().map(e -> new Stored(e.path("seq").asLong(), e.path("event").path("id").asText())).toList(),
                lastSeq);
    }

    /** Every acked event is stored exactly once at its acked sequence; the stream has no gaps. */
    private void checkStored(List<Stored> events, long lastSeq) {
        assertTrue(events.size() >= lastSeq, events.size() + " events, acked up to " + lastSeq);
        java.util.Set<String> ids = new java.util.HashSet<>();
        for (int i = 0; i < events.size(); i++) {
            Stored e = events.get(i);
            assertEquals(i + 1, e.seq(), "gap or reorder at index " + i);
            assertTrue(ids.add(e.id()), "event " + e.id() + " stored twice");
            String expected = acked.get(e.seq());
            if (expected != null) {
                assertEquals(expected, e.id(), "seq " + e.seq());
            }
        }
        for (Map.Entry<Long, String> a : acked.entrySet()) {
            assertTrue(ids.contains(a.getValue()), "acked event " + a.getValue() + " lost");
        }
    }

    /** The whole stream through binary reads (READ/EVENTS), {@code max} events asked for per read. */
    private static List<Stored> readBinary(MeshClient client, int max) throws Exception {
        List<Stored> out = new ArrayList<>();
        long from = 1;
        while (true) {
            StreamPage page = client.read("orders", from, max).get(30, TimeUnit.SECONDS);
            for (StreamEvent e : page.events()) {
                assertEquals("orders.eu.created", e.topic());
                out.add(new Stored(e.seq(), e.event().getId()));
            }
            if (page.events().isEmpty()) {
                assertTrue(page.atEnd(), "an empty page before the stream's end: next " + page.next()
                        + ", last " + page.lastSeq());
                return out;
            }
            from = page.next();
        }
    }

    private static List<JsonNode> readAll(MeshProcesses mesh, String node, boolean local) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        long from = 1;
        while (true) {
            JsonNode page = mesh.get(node, "/v1/streams/orders/events?local=" + local + "&from_seq=" + from + "&count=5000");
            if (page == null || page.path("events").isEmpty()) {
                return out;
            }
            page.path("events").forEach(out::add);
            from = page.path("next").asLong();
        }
    }

    private static long localLastSeq(MeshProcesses mesh, String node) {
        JsonNode page = mesh.get(node, "/v1/streams/orders/events?local=true&from_seq=1&count=1");
        return page == null ? -1 : page.path("lastSeq").asLong(-1);
    }

    private static String leaderOf(MeshClient client) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            AdminResponse r = client.request("GET", "/v1/streams/orders", null).get(30, TimeUnit.SECONDS);
            if (r.status() == 200) {
                String leader = JSON.readTree(r.json()).path("leader").asText();
                if (!leader.isEmpty()) {
                    return leader;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no leader: " + r.json());
            }
            java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
    }

    private static int status(MeshClient client, String method, String path, String body) {
        try {
            return client.request(method, path, body).get(30, TimeUnit.SECONDS).status();
        } catch (Exception e) {
            return -1;
        }
    }

    private static CloudEvent event(String id) {
        return CloudEventBuilder.v1().withId(id).withSource(URI.create("/test/producer"))
                .withType("com.example.order.created").withData(("{\"id\":\"" + id + "\"}").getBytes(StandardCharsets.UTF_8))
                .build();
    }
}
