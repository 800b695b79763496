package io.weft.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.weft.client.MeshClient;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * A chain of sites joined only by the links they were told to dial: {@code plant --no-transit} dials
 * {@code region}, {@code region} dials {@code cloud}, and {@code cloud} (given no {@code --gateways}) dials
 * nobody outside its site. Events cross the middle site in both directions, exactly once, interest
 * propagates across both hops, nothing flows toward a site without interest, and inside a site an event
 * is handed to the node that holds the link onward (cloud-2 and region-2 hold no link to the next site).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MultiHopProcessTest {
    private static final Duration WAIT = Duration.ofSeconds(40);
    @TempDir
    static Path dir;
    static MeshProcesses mesh;

    @BeforeAll
    static void startChain() throws Exception {
        mesh = new MeshProcesses(dir);
        mesh.start("cloud-1", "cloud", List.of());
        mesh.start("cloud-2", "cloud", List.of(mesh.node("cloud-1").mesh()));
        String cloud = mesh.node("cloud-1").mesh();
        mesh.start("region-1", "region", List.of(), List.of("--gateways", cloud));
        mesh.start("region-2", "region", List.of(mesh.node("region-1").mesh()), List.of("--gateways", cloud));
        mesh.start("plant-1", "plant", List.of(),
                List.of("--gateways", mesh.node("region-1").mesh(), "--no-transit"));
        for (MeshProcesses.Node n : mesh.nodes()) {
            Await.until(WAIT, () -> mesh.ready(n.name), () -> n.name + " not ready: " + mesh.get(n.name, "/healthz"));
        }
        for (MeshProcesses.Node n : mesh.nodes()) {
            Await.until(WAIT, () -> sitesLinked(n.name), () -> n.name + " has not the chain's map: "
                    + mesh.get(n.name, "/v1/topology"));
        }
    }

    /** Whether the node's map has the two site links of the chain, and no other. */
    private static boolean sitesLinked(String node) {
        JsonNode t = mesh.get(node, "/v1/topology");
        if (t == null) {
            return false;
        }
        StringBuilder links = new StringBuilder();
        for (JsonNode l : t.path("links")) {
            links.append(l.path("sites").get(0).asText()).append('-').append(l.path("sites").get(1).asText()).append(' ');
        }
        return links.toString().trim().equals("cloud-region plant-region");
    }

    @AfterAll
    static void stop() {
        if (mesh != null) {
            mesh.close();
        }
    }

    private static MeshClient client(String node) {
        return MeshClient.connect(io.weft.client.ClientOptions.builder().servers(mesh.node(node).client())
                .discover(false).build());
    }

    private static io.cloudevents.CloudEvent event(String id) {
        return CloudEventBuilder.v1().withId(id).withSource(URI.create("/test")).withType("com.example.reading")
                .withData("{}".getBytes()).build();
    }

    /**
     * Publishes {@code n} events on {@code topic} from {@code from} to a subscriber on {@code to}, after
     * probe events show the subscriber's interest has arrived, and checks every one arrives exactly once.
     */
    private static void exactlyOnce(String from, String to, String topic, int n) throws Exception {
        Map<String, AtomicInteger> got = new ConcurrentHashMap<>();
        try (MeshClient sub = client(to); MeshClient pub = client(from)) {
            sub.subscribe(topic + ".>", m -> got.computeIfAbsent(m.event().getId(), k -> new AtomicInteger())
                    .incrementAndGet()).confirmed().get(10, TimeUnit.SECONDS);
            AtomicInteger probes = new AtomicInteger();
            Await.until(WAIT, () -> {
                pub.publish(topic + ".probe", event("probe-" + probes.incrementAndGet()));
                return got.keySet().stream().anyMatch(k -> k.startsWith("probe-"));
            }, () -> "the interest of " + to + " in " + topic + " did not reach " + from);
            for (int i = 0; i < n; i++) {
                pub.publish(topic + ".data", event("e" + i));
            }
            Await.until(WAIT, () -> countData(got) == n, () -> from + " -> " + to + ": " + countData(got) + "/" + n);
            // a duplicate would arrive right behind its first copy: published again, a marker shows the stream is drained
            pub.publish(topic + ".data", event("end"));
            Await.until(WAIT, () -> got.containsKey("end"), () -> "end marker");
            got.forEach((id, c) -> assertEquals(1, c.get(), () -> id + " arrived " + c.get() + " times at " + to));
        }
    }

    private static long countData(Map<String, AtomicInteger> got) {
        return got.keySet().stream().filter(k -> k.matches("e\\d+")).count();
    }

    @Test
    @Order(1)
    void cloudToPlantCrossesTheRegionAndIsHandedToTheLinkHolders() throws Exception {
        exactlyOnce("cloud-2", "plant-1", "down", 200);
        assertTrue(counter("cloud-2", "weft_tree_events_total", "direction=\"handed_off\"") > 0,
                "cloud-2 holds no link to region: it hands events to cloud-1");
    }

    @Test
    @Order(2)
    void plantToCloudCrossesTheRegion() throws Exception {
        exactlyOnce("plant-1", "cloud-2", "up", 200);
    }

    @Test
    @Order(3)
    void plantToTheRegionNodeWithoutALinkToThePlant() throws Exception {
        exactlyOnce("plant-1", "region-2", "near", 100);
        exactlyOnce("region-2", "plant-1", "back", 100);
    }

    @Test
    @Order(4)
    void nothingFlowsTowardASiteWithoutInterest() throws Exception {
        double before = counter("plant-1", "weft_tree_events_total", "direction=\"received\"");
        exactlyOnce("cloud-1", "region-2", "regional", 200);
        assertEquals(before, counter("plant-1", "weft_tree_events_total", "direction=\"received\""),
                "the plant has no interest in 'regional': nothing may reach it");
    }

    @Test
    @Order(5)
    void noDropsAtSteadyState() {
        for (MeshProcesses.Node n : mesh.nodes()) {
            String metrics = mesh.text(n.name, "/metrics");
            Matcher m = Pattern.compile("weft_tree_drops_total\\{reason=\"(\\w+)\"} (\\S+)").matcher(metrics);
            while (m.find()) {
                if (!m.group(1).equals("unknown_tree")) {
                    assertEquals(0.0, Double.parseDouble(m.group(2)), () -> n.name + " dropped for " + m.group(1));
                }
            }
        }
    }

    @Test
    @Order(6)
    void durablePublishesFromThePlantAreStoredInACloudStream() throws Exception {
        try (MeshClient admin = client("cloud-1"); MeshClient plant = client("plant-1")) {
            // created from the plant: the request crosses the region to a node of the cloud, the answer comes back
            io.weft.client.AdminResponse created = plant.request("POST", "/v1/streams",
                    "{\"name\":\"readings\",\"subjects\":[\"sensor.>\"],\"replicas\":1,\"site\":\"cloud\"}")
                    .get(60, TimeUnit.SECONDS);
            assertEquals(201, created.status(), created.json());
            // the stream's capture is interest like any other: publish once it has crossed both hops
            Await.until(WAIT, () -> {
                try {
                    plant.publishDurable("sensor.probe", event("probe")).get(5, TimeUnit.SECONDS);
                    return true;
                } catch (Exception e) {
                    return false;
                }
            }, () -> "no durable publish from the plant was acked");
            java.util.List<java.util.concurrent.CompletableFuture<io.weft.client.PublishAck>> acks = new java.util.ArrayList<>();
            for (int i = 0; i < 100; i++) {
                acks.add(plant.publishDurable("sensor.temp", event("d" + i)));
            }
            java.util.Set<Long> seqs = new java.util.TreeSet<>();
            for (var f : acks) {
                io.weft.client.PublishAck a = f.get(30, TimeUnit.SECONDS);
                assertEquals("readings", a.stream());
                seqs.add(a.seq());
            }
            assertEquals(100, seqs.size(), "every durable publish got its own sequence");
            io.weft.client.StreamPage page = admin.read("readings", 1, 1000).get(30, TimeUnit.SECONDS);
            java.util.Set<String> ids = new java.util.TreeSet<>();
            page.events().forEach(e -> ids.add(e.event().getId()));
            for (int i = 0; i < 100; i++) {
                assertTrue(ids.contains("d" + i), "d" + i + " is in the stream");
            }
        }
    }

    @Test
    @Order(7)
    void aRuleMadeOnThePlantForTheCloudDeliversWhatThePlantPublishes() throws Exception {
        try (RulesProcessTest.Receiver sink = new RulesProcessTest.Receiver(); MeshClient pub = client("plant-1")) {
            java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
            java.net.http.HttpResponse<String> created = http.send(java.net.http.HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + mesh.node("plant-1").httpPort + "/v1/subscriptions"))
                    .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"protocol\":\"HTTP\",\"sink\":\""
                            + sink.url() + "\",\"site\":\"cloud\",\"topic\":\"alarms.>\"}")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertEquals(201, created.statusCode(), created.body());
            // the rule's subscription in the cloud is interest like any other: publish until it has crossed both hops
            AtomicInteger probes = new AtomicInteger();
            Await.until(WAIT, () -> {
                pub.publish("alarms.probe", event("probe-" + probes.incrementAndGet()));
                return sink.byId.keySet().stream().anyMatch(k -> k.startsWith("probe-"));
            }, () -> "the cloud's rule never received an event from the plant");
            for (int i = 0; i < 50; i++) {
                pub.publish("alarms.high", event("a" + i));
            }
            Await.until(WAIT, () -> java.util.stream.IntStream.range(0, 50).allMatch(i -> sink.byId.containsKey("a" + i)),
                    () -> sink.byId.size() + " delivered");
            sink.byId.forEach((id, c) -> assertEquals(1, c.get(), () -> id + " delivered " + c.get() + " times"));
        }
    }

    @Test
    @Order(8)
    void aFilteredSubscriptionOnThePlantGetsOnlyWhatItsFilterAcceptsAndTheRestStaysInTheCloud() throws Exception {
        Map<String, AtomicInteger> got = new ConcurrentHashMap<>();
        try (MeshClient sub = client("plant-1"); MeshClient pub = client("cloud-2")) {
            sub.subscribe("metering.>", io.weft.client.Filter.sql("amount > 100"), m -> got.computeIfAbsent(
                    m.event().getId(), k -> new AtomicInteger()).incrementAndGet()).confirmed().get(10, TimeUnit.SECONDS);
            AtomicInteger probes = new AtomicInteger();
            Await.until(WAIT, () -> {
                pub.publish("metering.x", reading("probe-" + probes.incrementAndGet(), 1000));
                return !got.isEmpty();
            }, () -> "the plant's filtered interest did not reach cloud-2");
            pub.publish("metering.x", reading("settled", 1000)); // behind every probe on the one path
            Await.until(WAIT, () -> got.containsKey("settled"), () -> "settled marker");
            double before = counter("plant-1", "weft_tree_events_total", "direction=\"received\"");
            for (int i = 0; i < 100; i++) {
                pub.publish("metering.x", reading("m" + i, i % 2 == 0 ? 500 : 5));
            }
            pub.publish("metering.x", reading("end", 1000));
            Await.until(WAIT, () -> got.containsKey("end"), () -> "end marker");
            for (int i = 0; i < 100; i++) {
                assertEquals(i % 2 == 0 ? 1 : 0, got.getOrDefault("m" + i, new AtomicInteger()).get(), "m" + i);
            }
            double crossed = counter("plant-1", "weft_tree_events_total", "direction=\"received\"") - before;
            assertEquals(51, crossed, "only the 50 accepted events and the marker crossed into the plant");
        }
    }

    private static io.cloudevents.CloudEvent reading(String id, int amount) {
        return CloudEventBuilder.v1().withId(id).withSource(URI.create("/test")).withType("com.example.reading")
                .withExtension("amount", amount).withData("{}".getBytes()).build();
    }

    private static double counter(String node, String name, String label) {
        String metrics = mesh.text(node, "/metrics");
        Matcher m = Pattern.compile(Pattern.quote(name) + "\\{" + Pattern.quote(label) + "} (\\S+)").matcher(metrics);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }
}
