package io.weft.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.weft.client.ClientOptions;
import io.weft.client.MeshClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rules over real meshd processes (a 3-node site "cloud" and a 1-node site "onprem") and real HTTP receivers
 * (the JDK's HttpServer): created on one site's node for the other site, listed everywhere, filtered where the
 * events are published, delivered in binary mode, retried through 503s, dead-lettered on 400, deleted.
 */
@org.junit.jupiter.api.TestMethodOrder(org.junit.jupiter.api.MethodOrderer.OrderAnnotation.class)
class RulesProcessTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    static Path dir;
    static MeshProcesses mesh;

    /** A receiver: counts deliveries per ce-id; answers what {@code status} says for each request. */
    static final class Receiver implements AutoCloseable {
        final HttpServer server;
        final Map<String, AtomicInteger> byId = new ConcurrentHashMap<>();
        final Map<String, String> contentTypes = new ConcurrentHashMap<>();
        final AtomicInteger requests = new AtomicInteger();
        volatile IntSupplier status = () -> 200;
        /** When set, every request waits for it before it is answered (a stuck sink). */
        volatile java.util.concurrent.CountDownLatch hold;

        Receiver() throws IOException {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool(r -> {
                Thread t = new Thread(r, "receiver");
                t.setDaemon(true);
                return t;
            }));
            server.createContext("/", ex -> {
                requests.incrementAndGet();
                byte[] body = ex.getRequestBody().readAllBytes();
                java.util.concurrent.CountDownLatch h = hold;
                if (h != null) {
                    try {
                        h.await(60, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                int code = status.getAsInt();
                String id = ex.getRequestHeaders().getFirst("ce-id");
                if (code / 100 == 2 && id != null) {
                    byId.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
                    contentTypes.put(id, String.valueOf(ex.getRequestHeaders().getFirst("Content-Type")) + " "
                            + new String(body, java.nio.charset.StandardCharsets.UTF_8));
                }
                ex.sendResponseHeaders(code, -1);
                ex.close();
            });
            server.start();
        }

        String url() {
            return "http://127.0.0.1:" + server.getAddress().getPort() + "/hook";
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    @BeforeAll
    static void startMesh() throws Exception {
        mesh = new MeshProcesses(dir);
        mesh.start("cloud-1", "cloud", List.of());
        mesh.start("onprem-1", "onprem", List.of(mesh.node("cloud-1").mesh()));
        List<String> seeds = List.of(mesh.node("cloud-1").mesh(), mesh.node("onprem-1").mesh());
        mesh.start("cloud-2", "cloud", seeds);
        mesh.start("cloud-3", "cloud", seeds);
        for (MeshProcesses.Node n : mesh.nodes()) {
            Await.until(WAIT, () -> mesh.ready(n.name) && mesh.get(n.name, "/v1/nodes").path("nodes").size() == 4,
                    () -> n.name + " not ready: " + mesh.get(n.name, "/v1/nodes"));
        }
    }

    @AfterAll
    static void stopMesh() {
        if (mesh != null) {
            mesh.close();
        }
    }

    private static HttpResponse<String> send(String node, String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + mesh.node(node).httpPort + path))
                .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json");
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static MeshClient client(String node) {
        return MeshClient.connect(ClientOptions.builder().servers(mesh.node(node).client()).discover(false).build());
    }

    private static io.cloudevents.CloudEvent order(String id, int amount) {
        return CloudEventBuilder.v1().withId(id).withSource(URI.create("/shop")).withType("com.example.order.created")
                .withExtension("amount", amount).withDataContentType("application/json")
                .withData(("{\"amount\":" + amount + "}").getBytes()).build();
    }

    /** Waits until the rule runs (its interest has reached {@code publisher}), by publishing probes it accepts. */
    private static void awaitRunning(String id, String node) {
        Await.until(WAIT, () -> {
            JsonNode s;
            try {
                s = JSON.readTree(send(node, "GET", "/v1/subscriptions/" + id + "/status", null).body());
            } catch (Exception e) {
                return false;
            }
            return s.path("running").asBoolean(false);
        }, () -> "subscription " + id + " does not run");
    }

    @Test
    void aFilteredRuleCreatedOnOneSiteRunsOnTheOtherAndDeliversExactlyWhatItAccepts() throws Exception {
        try (Receiver sink = new Receiver(); MeshClient pub = client("onprem-1")) {
            String body = "{\"protocol\":\"HTTP\",\"sink\":\"" + sink.url() + "\",\"site\":\"cloud\",\"topic\":\"orders.>\","
                    + "\"types\":[\"com.example.order.created\"],\"filters\":[{\"sql\":\"amount > 100\"}]}";
            HttpResponse<String> created = send("onprem-1", "POST", "/v1/subscriptions", body);
            assertEquals(201, created.statusCode(), created.body());
            JsonNode spec = JSON.readTree(created.body());
            String id = spec.path("id").asText();
            assertEquals("/v1/subscriptions/" + id, created.headers().firstValue("Location").orElse(null));
            assertEquals("best-effort", spec.path("mode").asText());
            // every node lists it, on either site
            for (String n : List.of("cloud-2", "onprem-1")) {
                JsonNode all = JSON.readTree(send(n, "GET", "/v1/subscriptions", null).body());
                assertTrue(all.toString().contains(id), n + ": " + all);
            }
            awaitRunning(id, "onprem-1");
            Await.until(WAIT, () -> mesh.get("onprem-1", "/v1/interest").toString().contains("amount > 100"),
                    () -> "onprem-1 does not see the rule's filter: " + mesh.get("onprem-1", "/v1/interest"));
            long filteredBefore = mesh.get("onprem-1", "/v1/links").path("sentBySite").path("cloud").path("filtered").asLong(0);
            int n = 100;
            for (int i = 0; i < n; i++) {
                pub.publish("orders.eu", order("r" + i, i * 3));
            }
            pub.flush(WAIT);
            long want = java.util.stream.IntStream.range(0, n).filter(i -> i * 3 > 100).count();
            Await.until(WAIT, () -> sink.byId.size() == want, () -> sink.byId.size() + " of " + want);
            for (int i = 0; i < n; i++) {
                assertEquals(i * 3 > 100, sink.byId.containsKey("r" + i), "r" + i);
            }
            assertTrue(sink.byId.values().stream().allMatch(c -> c.get() == 1), "duplicates: " + sink.byId);
            assertTrue(sink.contentTypes.get("r50").startsWith("application/json {\"amount\":150}"),
                    "binary mode: the data is the body: " + sink.contentTypes.get("r50"));
            long filtered = mesh.get("onprem-1", "/v1/links").path("sentBySite").path("cloud").path("filtered").asLong(0);
            assertEquals(n - want, filtered - filteredBefore, "events the rule's filter rejects stay on onprem");
            JsonNode status = JSON.readTree(send("onprem-1", "GET", "/v1/subscriptions/" + id + "/status", null).body());
            assertEquals(want, status.path("delivery").path("delivered").asLong(), status.toString());

            HttpResponse<String> deleted = send("cloud-3", "DELETE", "/v1/subscriptions/" + id, null);
            assertEquals(200, deleted.statusCode(), deleted.body());
            assertEquals(404, send("onprem-1", "GET", "/v1/subscriptions/" + id, null).statusCode());
        }
    }

    @Test
    void aSinkThatAnswers503RecoversWithEveryEventAndA400DeadLetters() throws Exception {
        try (Receiver flaky = new Receiver(); Receiver refusing = new Receiver(); MeshClient pub = client("cloud-2");
             MeshClient dlq = client("cloud-3")) {
            AtomicInteger calls = new AtomicInteger();
            flaky.status = () -> calls.incrementAndGet() <= 5 ? 503 : 200;
            refusing.status = () -> 400;
            String delivery = "\"delivery\":{\"retry\":5,\"backoffDelay\":\"PT0.05S\",\"backoffMax\":\"PT0.2S\","
                    + "\"deadLetterTopic\":\"dead.orders\"}";
            String a = JSON.readTree(send("cloud-1", "POST", "/v1/subscriptions", "{\"protocol\":\"HTTP\",\"sink\":\""
                    + flaky.url() + "\",\"topic\":\"flaky.>\"," + delivery + "}").body()).path("id").asText();
            String b = JSON.readTree(send("cloud-1", "POST", "/v1/subscriptions", "{\"protocol\":\"HTTP\",\"sink\":\""
                    + refusing.url() + "\",\"topic\":\"refused.>\"," + delivery + "}").body()).path("id").asText();
            Map<String, io.cloudevents.CloudEvent> dead = new ConcurrentHashMap<>();
            dlq.subscribe("dead.orders", m -> dead.put(m.event().getId(), m.event())).confirmed().get(10, TimeUnit.SECONDS);
            awaitRunning(a, "cloud-2");
            awaitRunning(b, "cloud-2");
            Await.until(WAIT, () -> {
                String i = mesh.get("cloud-2", "/v1/interest").toString();
                return i.contains("\"flaky.>\"") && i.contains("\"refused.>\"");
            }, () -> "cloud-2 interest: " + mesh.get("cloud-2", "/v1/interest"));
            for (int i = 0; i < 20; i++) {
                pub.publish("flaky.x", order("f" + i, i));
                pub.publish("refused.x", order("x" + i, i));
            }
            pub.flush(WAIT);
            Await.until(WAIT, () -> flaky.byId.size() == 20 && dead.size() == 20,
                    () -> "delivered " + flaky.byId.size() + ", dead-lettered " + dead.size());
            assertTrue(flaky.byId.values().stream().allMatch(c -> c.get() == 1), "a 503 is not a success: " + flaky.byId);
            assertTrue(refusing.byId.isEmpty());
            io.cloudevents.CloudEvent d = dead.get("x7");
            assertNotNull(d, dead.keySet().toString());
            assertEquals(b, String.valueOf(d.getExtension("weftsubscription")));
            assertEquals("400", String.valueOf(d.getExtension("weftstatus")));
            assertEquals(1, ((Number) d.getExtension("weftattempts")).intValue(), "a 400 is not retried");
            JsonNode st = JSON.readTree(send("cloud-3", "GET", "/v1/subscriptions/" + a + "/status", null).body());
            assertTrue(st.path("delivery").path("retried").asLong() >= 5, st.toString());
            for (String id : List.of(a, b)) {
                assertEquals(200, send("cloud-1", "DELETE", "/v1/subscriptions/" + id, null).statusCode());
            }
        }
    }

    /**
     * A durable rule: its stream captures the topic from the creation on, its consumer pushes to the runner,
     * an event is acked once finished. The sink answers 503 for a while, then the runner is killed while
     * events keep coming: every event is delivered (2xx) at least once, none is lost; the duplicates are the
     * events the dead runner had in flight, pushed again after the ack wait.
     */
    @Test
    @org.junit.jupiter.api.Order(Integer.MAX_VALUE - 1) // it kills a node
    void aDurableRuleLosesNothingThrough503sAndTheLossOfItsRunner() throws Exception {
        try (Receiver sink = new Receiver(); MeshClient pub = client("onprem-1")) {
            AtomicInteger calls = new AtomicInteger();
            sink.status = () -> calls.incrementAndGet() <= 20 ? 503 : 200;
            HttpResponse<String> created = send("onprem-1", "POST", "/v1/subscriptions", "{\"protocol\":\"HTTP\",\"sink\":\""
                    + sink.url() + "\",\"site\":\"cloud\",\"topic\":\"durable.>\",\"mode\":\"durable\","
                    + "\"filters\":[{\"sql\":\"amount >= 0\"}],"
                    + "\"delivery\":{\"retry\":20,\"backoffDelay\":\"PT0.05S\",\"backoffMax\":\"PT0.2S\",\"timeout\":\"PT30S\"}}");
            assertEquals(201, created.statusCode(), created.body());
            String id = JSON.readTree(created.body()).path("id").asText();
            awaitRunning(id, "onprem-1");
            // the rule's stream captures from the creation's answer on: no wait for the runner's interest
            int n = 300;
            for (int i = 0; i < n / 2; i++) {
                pub.publishDurable("durable.x", order("d" + i, i)).get(10, TimeUnit.SECONDS);
            }
            String runner = JSON.readTree(send("onprem-1", "GET", "/v1/subscriptions/" + id + "/status", null).body())
                    .path("node").asText();
            Await.until(WAIT, () -> sink.byId.size() >= 20, () -> "delivered " + sink.byId.size());
            System.out.println("durable rule stream before the kill of " + runner + ": "
                    + mesh.get("cloud-1", "/v1/streams/" + Rules.ruleStream(id)));
            mesh.kill9(runner);
            for (int i = n / 2; i < n; i++) {
                pub.publishDurable("durable.x", order("d" + i, i)).get(30, TimeUnit.SECONDS);
            }
            // the ack wait is over 10 minutes (21 attempts of up to 30 s): what the dead runner held comes again
            // within this deadline only because the new runner takes it back (a nak) before it subscribes, and
            // what the stream pushed to the dead runner after that nak (it still looked subscribed) is swept back
            Await.until(Duration.ofSeconds(120), () -> sink.byId.size() == n, () -> "delivered " + sink.byId.size() + " of " + n);
            long duplicates = sink.byId.values().stream().filter(c -> c.get() > 1).count();
            System.out.println("durable rule: " + n + " events, runner " + runner + " killed, every event delivered; "
                    + duplicates + " delivered twice (in flight at the kill)");
            assertTrue(duplicates <= 8L * 16, "at most what the dead runner had out: " + duplicates);
            Await.until(WAIT, () -> {
                try {
                    JsonNode c = JSON.readTree(send("onprem-1", "GET", "/v1/subscriptions/" + id + "/status", null)
                            .body()).path("durable");
                    // and the new runner's sweeps are answered (what the stream has out, checked against what it holds)
                    return c.path("lastSeq").asLong() == n && c.path("lag").asLong() == 0 && c.path("sweeps").asLong() > 0;
                } catch (Exception e) {
                    return false;
                }
            }, () -> "the durable rule's cursor did not reach the stream's end, or no sweep was answered");
            System.out.println("durable rule's status at the end: "
                    + send("onprem-1", "GET", "/v1/subscriptions/" + id + "/status", null).body());
            // while the rules stream elects its next leader the rules cannot be read: 503, never a false 404
            List<String> answers = new java.util.concurrent.CopyOnWriteArrayList<>();
            Await.until(WAIT, () -> {
                try {
                    HttpResponse<String> deleted = send("onprem-1", "DELETE", "/v1/subscriptions/" + id, null);
                    answers.add(deleted.statusCode() + " " + deleted.body());
                    return deleted.statusCode() == 200 || deleted.statusCode() == 404;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, () -> "the rule was not deleted: " + answers);
            assertTrue(answers.get(answers.size() - 1).startsWith("200"), answers.toString());
            assertTrue(answers.stream().allMatch(a -> a.startsWith("200") || a.startsWith("503")), answers.toString());
        }
    }

    /**
     * The whole site that runs the rules crashes ({@code kill -9} of every cloud node) and starts again: both
     * rules, a best-effort and a durable one, are still listed and run again, and deliver what is published
     * after the restart; the durable one's status shows its cursor caught up.
     */
    @Test
    @org.junit.jupiter.api.Order(Integer.MAX_VALUE) // last: it restarts the whole cloud site (a killed node too)
    void rulesSurviveARestartOfTheWholeSite() throws Exception {
        try (Receiver sink = new Receiver()) {
            String plain = create("{\"protocol\":\"HTTP\",\"sink\":\"" + sink.url() + "\",\"site\":\"cloud\","
                    + "\"topic\":\"restart.plain\"}");
            String durable = create("{\"protocol\":\"HTTP\",\"sink\":\"" + sink.url() + "\",\"site\":\"cloud\","
                    + "\"topic\":\"restart.durable\",\"mode\":\"durable\"}");
            awaitRunning(plain, "onprem-1");
            awaitRunning(durable, "onprem-1");
            for (String n : List.of("cloud-1", "cloud-2", "cloud-3")) {
                mesh.kill9(n);
            }
            for (String n : List.of("cloud-1", "cloud-2", "cloud-3")) {
                mesh.restart(n);
            }
            for (String n : List.of("cloud-1", "cloud-2", "cloud-3")) {
                Await.until(Duration.ofSeconds(60), () -> mesh.ready(n), () -> n + " not ready after the site's restart");
            }
            Await.until(Duration.ofSeconds(60), () -> {
                try {
                    String list = send("onprem-1", "GET", "/v1/subscriptions", null).body();
                    return list.contains(plain) && list.contains(durable);
                } catch (Exception e) {
                    return false;
                }
            }, () -> "the rules are not listed after the site's restart");
            awaitRunning(plain, "onprem-1");
            awaitRunning(durable, "onprem-1");
            try (MeshClient pub = client("onprem-1")) {
                pub.publishDurable("restart.durable", order("after-restart-d", 1)).get(30, TimeUnit.SECONDS);
                AtomicInteger probe = new AtomicInteger();
                Await.until(WAIT, () -> { // probes until the runner's interest reached onprem
                    pub.publish("restart.plain", order("after-restart-p" + probe.incrementAndGet(), 1));
                    return sink.byId.keySet().stream().anyMatch(k -> k.startsWith("after-restart-p"));
                }, () -> "the best-effort rule delivers nothing after the site's restart");
            }
            Await.until(WAIT, () -> sink.byId.containsKey("after-restart-d"), () -> "the durable rule delivers nothing");
            Await.until(WAIT, () -> {
                try {
                    JsonNode c = JSON.readTree(send("onprem-1", "GET", "/v1/subscriptions/" + durable + "/status", null)
                            .body()).path("durable");
                    return c.path("lastSeq").asLong() == 1 && c.path("lag").asLong() == 0 && c.path("held").asLong() == 0;
                } catch (Exception e) {
                    return false;
                }
            }, () -> "the durable rule's cursor did not catch up");
            for (String id : List.of(plain, durable)) {
                assertEquals(200, send("onprem-1", "DELETE", "/v1/subscriptions/" + id, null).statusCode());
            }
        }
    }

    private static String create(String body) throws Exception {
        HttpResponse<String> created = send("onprem-1", "POST", "/v1/subscriptions", body);
        assertEquals(201, created.statusCode(), created.body());
        return JSON.readTree(created.body()).path("id").asText();
    }

    /**
     * The runner (the leader of the site's rules stream) is killed: another node of the site runs the rule
     * within seconds, from the stored rules, and delivers what is published after that.
     */
    @Test
    @org.junit.jupiter.api.Order(Integer.MAX_VALUE - 2) // it kills a node, and starts it again
    void whenTheRunnerIsKilledAnotherNodeOfItsSiteTakesOver() throws Exception {
        try (Receiver sink = new Receiver(); MeshClient pub = client("onprem-1")) {
            String id = JSON.readTree(send("onprem-1", "POST", "/v1/subscriptions", "{\"protocol\":\"HTTP\",\"sink\":\""
                    + sink.url() + "\",\"site\":\"cloud\",\"topic\":\"failover.>\"}").body()).path("id").asText();
            awaitRunning(id, "onprem-1");
            String runner = JSON.readTree(send("onprem-1", "GET", "/v1/subscriptions/" + id + "/status", null).body())
                    .path("node").asText();
            assertTrue(runner.startsWith("cloud-"), runner);
            Await.until(WAIT, () -> mesh.get("onprem-1", "/v1/interest").toString().contains("\"failover.>\""),
                    () -> "no interest in failover.> on onprem-1");
            pub.publish("failover.a", order("before", 1));
            pub.flush(WAIT);
            Await.until(WAIT, () -> sink.byId.containsKey("before"), () -> "nothing delivered before the kill");

            mesh.kill9(runner);
            long killedAt = System.nanoTime();
            Await.until(Duration.ofSeconds(60), () -> {
                try {
                    JsonNode st = JSON.readTree(send("onprem-1", "GET", "/v1/subscriptions/" + id + "/status", null).body());
                    return st.path("running").asBoolean() && !st.path("node").asText().equals(runner);
                } catch (Exception e) {
                    return false;
                }
            }, () -> "no other node runs " + id + " after " + runner + " died; rules leadership in the logs: " + leadership());
            long takeoverMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
            System.out.println("rule runner " + runner + " killed: another node ran the rule after " + takeoverMillis + " ms");
            // events published from now on reach the sink (probes until the new runner's interest is everywhere)
            AtomicInteger probe = new AtomicInteger();
            Await.until(WAIT, () -> {
                pub.publish("failover.b", order("after" + probe.incrementAndGet(), 2));
                try {
                    pub.flush(WAIT);
                } catch (java.util.concurrent.TimeoutException e) {
                    return false;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
                return sink.byId.keySet().stream().anyMatch(k -> k.startsWith("after"));
            }, () -> "nothing delivered after the takeover");
            assertEquals(1, sink.byId.get("before").get(), "the event before the kill came once");
            assertEquals(200, send("onprem-1", "DELETE", "/v1/subscriptions/" + id, null).statusCode());
            mesh.restart(runner); // the next test kills another node of the site: keep its majority
            Await.until(WAIT, () -> mesh.ready(runner), () -> runner + " not ready after its restart");
        }
    }

    /**
     * A sink that holds every request: the rule fills its own queue and drops past it (counted), while a core
     * subscriber of the same events on the runner's site gets every one of them.
     */
    @Test
    void aStuckSinkDoesNotHoldUpACoreSubscriber() throws Exception {
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        try (Receiver stuck = new Receiver(); MeshClient pub = client("cloud-1"); MeshClient core = client("cloud-2")) {
            stuck.hold = release;
            String id = JSON.readTree(send("cloud-1", "POST", "/v1/subscriptions", "{\"protocol\":\"HTTP\",\"sink\":\""
                    + stuck.url() + "\",\"topic\":\"slow.>\",\"delivery\":{\"timeout\":\"PT60S\"}}").body())
                    .path("id").asText();
            awaitRunning(id, "cloud-1");
            Await.until(WAIT, () -> mesh.get("cloud-1", "/v1/interest").toString().contains("\"slow.>\""),
                    () -> "no interest in slow.> on cloud-1");
            Map<String, AtomicInteger> got = new ConcurrentHashMap<>();
            core.subscribe("slow.x", m -> got.computeIfAbsent(m.event().getId(), k -> new AtomicInteger()).incrementAndGet())
                    .confirmed().get(10, TimeUnit.SECONDS);
            Await.until(WAIT, () -> mesh.get("cloud-1", "/v1/interest").toString().contains("\"slow.x\""),
                    () -> "cloud-1 does not see the core subscriber yet");
            int n = 3000;
            for (int i = 0; i < n; i++) {
                pub.publish("slow.x", order("s" + i, i));
            }
            pub.flush(WAIT);
            Await.until(WAIT, () -> got.size() == n, () -> "core subscriber got " + got.size() + " of " + n);
            assertTrue(got.values().stream().allMatch(c -> c.get() == 1));
            JsonNode st = JSON.readTree(send("cloud-1", "GET", "/v1/subscriptions/" + id + "/status", null).body());
            JsonNode d = st.path("delivery");
            assertEquals(0, d.path("delivered").asLong(), st.toString());
            assertEquals(16, d.path("inFlight").asLong(), "the default concurrency: " + st);
            assertEquals(1000, d.path("queued").asLong(), "the queue is bounded: " + st);
            assertEquals(n - 1000 - 16, d.path("dropped").asLong(), "past it, dropped and counted: " + st);
            String metrics = mesh.text(st.path("node").asText(), "/metrics");
            long dropped = n - 1000 - 16;
            assertTrue(metrics.lines().anyMatch(l -> l.startsWith("weft_subscription_deliveries_total{")
                    && l.contains("subscription=\"" + id + "\"") && l.contains("outcome=\"dropped\"")
                    && l.endsWith(" " + dropped + ".0") || l.startsWith("weft_subscription_deliveries_total{")
                    && l.contains("subscription=\"" + id + "\"") && l.contains("outcome=\"dropped\"")
                    && l.endsWith(" " + dropped)), metrics);
            release.countDown();
            assertEquals(200, send("cloud-1", "DELETE", "/v1/subscriptions/" + id, null).statusCode());
        } finally {
            release.countDown();
        }
    }

    /** A 410 Gone pauses the subscription (its status says so); resume goes on with the same event. */
    @Test
    void aGoneSinkPausesTheSubscriptionUntilResumed() throws Exception {
        try (Receiver sink = new Receiver(); MeshClient pub = client("cloud-3")) {
            AtomicInteger calls = new AtomicInteger();
            sink.status = () -> calls.incrementAndGet() == 1 ? 410 : 200;
            String id = JSON.readTree(send("cloud-3", "POST", "/v1/subscriptions", "{\"protocol\":\"HTTP\",\"sink\":\""
                    + sink.url() + "\",\"topic\":\"gone.>\"}").body()).path("id").asText();
            awaitRunning(id, "cloud-3");
            Await.until(WAIT, () -> mesh.get("cloud-3", "/v1/interest").toString().contains("\"gone.>\""),
                    () -> "no interest in gone.> on cloud-3");
            pub.publish("gone.x", order("g1", 1));
            pub.flush(WAIT);
            Await.until(WAIT, () -> {
                try {
                    return JSON.readTree(send("cloud-3", "GET", "/v1/subscriptions/" + id + "/status", null).body())
                            .path("delivery").path("paused").asBoolean();
                } catch (Exception e) {
                    return false;
                }
            }, () -> "not paused after a 410");
            assertTrue(sink.byId.isEmpty());
            assertEquals(404, send("cloud-3", "POST", "/v1/subscriptions/nosuch/resume", null).statusCode());
            HttpResponse<String> resumed = send("cloud-3", "POST", "/v1/subscriptions/" + id + "/resume", null);
            assertEquals(200, resumed.statusCode(), resumed.body());
            Await.until(WAIT, () -> sink.byId.containsKey("g1"), () -> "the paused event did not come after resume");
            assertEquals(200, send("cloud-3", "DELETE", "/v1/subscriptions/" + id, null).statusCode());
        }
    }

    /** The lines of every live node's log about the rules stream's leadership, for a failure message. */
    private static String leadership() {
        StringBuilder out = new StringBuilder();
        for (MeshProcesses.Node n : mesh.nodes()) {
            try {
                mesh.log(n.name).lines().filter(l -> l.contains("_weft_rules_") || l.contains("RuleRunner"))
                        .forEach(l -> out.append('\n').append(n.name).append(": ").append(l));
            } catch (IOException e) {
                out.append('\n').append(n.name).append(": ").append(e);
            }
        }
        return out.toString();
    }

    @Test
    void badInputIsAProblemNamingTheField() throws Exception {
        Map<String, String> cases = Map.of(
                "{\"protocol\":\"HTTP\"}", "sink",
                "{\"protocol\":\"MQTT3\",\"sink\":\"http://127.0.0.1:1/\"}", "protocol",
                "{\"protocol\":\"HTTP\",\"sink\":\"http://127.0.0.1:1/\",\"filters\":[{\"sql\":\"amount >\"}]}",
                "filters[0].sql",
                "{\"protocol\":\"HTTP\",\"sink\":\"http://127.0.0.1:1/\",\"delivery\":{\"backoffDelay\":\"P5\"}}",
                "delivery.backoffDelay",
                "{\"protocol\":\"HTTP\",\"sink\":\"http://127.0.0.1:1/\",\"mode\":\"later\"}", "mode",
                "{\"protocol\":\"HTTP\",\"sink\":\"http://127.0.0.1:1/\",\"topic\":\"orders.>\","
                        + "\"delivery\":{\"deadLetterTopic\":\"orders.dead\"}}", "delivery.deadLetterTopic");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            HttpResponse<String> r = send("cloud-1", "POST", "/v1/subscriptions", c.getKey());
            assertEquals(400, r.statusCode(), c.getKey() + " -> " + r.body());
            assertEquals("application/problem+json", r.headers().firstValue("Content-Type").orElse(""));
            JsonNode p = JSON.readTree(r.body());
            assertEquals(c.getValue(), p.path("field").asText(), r.body());
            assertFalse(p.path("detail").asText().isEmpty(), r.body());
        }
        assertEquals(404, send("cloud-1", "GET", "/v1/subscriptions/nosuchrule", null).statusCode());
    }
}
