package io.weft.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.weft.client.AdminResponse;
import io.weft.client.ClientOptions;
import io.weft.client.MeshClient;
import io.weft.client.PublishAck;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Push consumers on real processes: the stream (three replicas, site cloud) pushes its events to a
 * subscriber on another site, with the weft* extensions; events left unacked come again after the
 * ack wait, flagged; an acked event never comes again; after a {@code kill -9} of the leader the new
 * leader goes on pushing from the replicated consumer state. A subscriber to {@code >} beside it
 * all receives none of the mesh's internal traffic (API calls, acks, replies).
 */
class PushConsumerProcessTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /** Per sequence: the delivery counts seen, and when its ack was confirmed. */
    private final Map<Long, List<Integer>> deliveries = new ConcurrentHashMap<>();
    private final Map<Long, Long> ackedAt = new ConcurrentHashMap<>();
    private final Set<String> violations = ConcurrentHashMap.newKeySet();

    @Test
    void pushedEventsAreRedeliveredUntilAckedAndSurviveLeaderKill() throws Exception {
        try (MeshProcesses mesh = new MeshProcesses(dir)) {
            MeshProcesses.Node c1 = mesh.start("c1", "cloud", List.of());
            mesh.start("c2", "cloud", List.of(c1.mesh()));
            mesh.start("c3", "cloud", List.of(c1.mesh()));
            mesh.start("o1", "onprem", List.of(c1.mesh()));
            for (String n : List.of("c1", "c2", "c3", "o1")) {
                Await.until(Duration.ofSeconds(60), () -> mesh.ready(n), () -> n + " not ready");
            }
            try (MeshClient client = connect(mesh, "o1"); MeshClient subscriber = connect(mesh, "o1");
                 MeshClient spy = connect(mesh, "o1")) {
                // a subscriber to '>' next to the API calls, acks and pushes sees application events only
                Set<String> spied = ConcurrentHashMap.newKeySet();
                spy.subscribe(">", m -> spied.add(m.topic())).confirmed().get(10, TimeUnit.SECONDS);
                assertEquals(201, client.request("POST", "/v1/streams",
                        "{\"name\":\"orders\",\"subjects\":[\"orders.>\"],\"replicas\":3,\"site\":\"cloud\"}")
                        .get(60, TimeUnit.SECONDS).status());
                AdminResponse captured = client.request("POST", "/v1/streams/orders/consumers",
                        "{\"name\":\"loop\",\"start\":\"first\",\"deliverTopic\":\"orders.pushed\"}").get(30, TimeUnit.SECONDS);
                assertEquals(409, captured.status(), "a deliver topic the stream captures is refused: " + captured.json());
                AdminResponse created = client.request("POST", "/v1/streams/orders/consumers",
                        "{\"name\":\"billing\",\"start\":\"first\",\"ackWait\":\"2s\",\"deliverTopic\":\"billing.deliver\"}")
                        .get(30, TimeUnit.SECONDS);
                assertEquals(201, created.status(), created.json());
                assertEquals("billing.deliver", JSON.readTree(created.json()).path("deliverTopic").asText());

                subscriber.subscribe("billing.deliver", m -> {
                    CloudEvent e = m.event();
                    long seq = Long.parseLong(String.valueOf(e.getExtension("weftseq")));
                    int count = ((Number) e.getExtension("weftdeliveries")).intValue();
                    if (!"orders".equals(e.getExtension("weftstream")) || !"billing".equals(e.getExtension("weftconsumer"))) {
                        violations.add("seq " + seq + " pushed without its stream and consumer");
                    }
                    if (ackedAt.containsKey(seq)) {
                        violations.add("seq " + seq + " delivered again (delivery " + count + ") after its ack");
                    }
                    deliveries.computeIfAbsent(seq, k -> new java.util.concurrent.CopyOnWriteArrayList<>()).add(count);
                    // every tenth event is left unacked on its first delivery: it must come again
                    if (seq % 10 == 0 && count == 1) {
                        return;
                    }
                    // and every tenth, offset by 5, is given back: it comes again without waiting
                    if (seq % 10 == 5 && count == 1) {
                        subscriber.nak(m).thenAccept(r -> {
                            if (r.status() != 200 || !r.json().contains("\"redelivering\":1")) {
                                violations.add("nak of " + seq + ": " + r.status() + " " + r.json());
                            }
                        });
                        return;
                    }
                    subscriber.ack(m).thenAccept(r -> {
                        if (r.status() == 200) {
                            ackedAt.put(seq, System.nanoTime());
                        } else {
                            violations.add("ack of " + seq + ": " + r.status() + " " + r.json());
                        }
                    });
                }).confirmed().get(10, TimeUnit.SECONDS);

                publish(client, 1, 200);
                awaitAllAcked(client, 200);
                String leader = leaderOf(client);
                mesh.kill9(leader);
                publish(client, 201, 300);
                awaitAllAcked(client, 300);

                assertTrue(violations.isEmpty(), violations.toString());
                assertEquals(Set.of("orders.created", "billing.deliver"), spied, "what '>' received");
                for (long seq = 1; seq <= 300; seq++) {
                    List<Integer> d = deliveries.get(seq);
                    if (seq % 10 == 0 || seq % 10 == 5) {
                        assertTrue(d.contains(2), "seq " + seq + " left unacked or given back was not redelivered: " + d);
                    }
                }
                JsonNode info = JSON.readTree(client.request("GET", "/v1/streams/orders/consumers/billing", null)
                        .get(30, TimeUnit.SECONDS).json());
                assertEquals(301, info.path("nextSeq").asLong(), info.toString());
                assertEquals(300, info.path("ackFloor").asLong(), info.toString());
            }
        }
    }

    private void awaitAllAcked(MeshClient client, long last) {
        Await.until(Duration.ofSeconds(90), () -> {
            for (long s = 1; s <= last; s++) {
                if (!ackedAt.containsKey(s)) {
                    return false;
                }
            }
            return true;
        }, () -> ackedAt.size() + " of " + last + " acked; violations " + violations);
    }

    private static void publish(MeshClient client, int from, int to) throws Exception {
        List<CompletableFuture<PublishAck>> acks = new ArrayList<>();
        for (int i = from; i <= to; i++) {
            CloudEvent e = CloudEventBuilder.v1().withId("o-" + i).withSource(URI.create("/shop"))
                    .withType("order.created").withData(("{\"n\":" + i + "}").getBytes(StandardCharsets.UTF_8)).build();
            acks.add(client.publishDurable("orders.created", e));
        }
        java.util.TreeSet<Long> seqs = new java.util.TreeSet<>();
        for (CompletableFuture<PublishAck> a : acks) {
            seqs.add(a.get(60, TimeUnit.SECONDS).seq());
        }
        assertEquals(to - from + 1, seqs.size(), "distinct sequences");
        assertEquals(from, seqs.first());
        assertEquals(to, seqs.last());
    }

    private static String leaderOf(MeshClient client) throws Exception {
        AdminResponse r = client.request("GET", "/v1/streams/orders", null).get(30, TimeUnit.SECONDS);
        String leader = JSON.readTree(r.json()).path("leader").asText();
        assertTrue(!leader.isEmpty(), r.json());
        return leader;
    }

    private static MeshClient connect(MeshProcesses mesh, String node) {
        return MeshClient.connect(ClientOptions.builder().servers(mesh.node(node).client()).discover(false).build());
    }
}
