package io.weft.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.weft.client.ClientOptions;
import io.weft.client.MeshClient;
import io.weft.client.MeshException;
import io.weft.protocol.ErrorCode;
import io.weft.security.SecurityPolicy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real meshd with a security config: clients authenticate by password or token (native protocol and
 * HTTP), and are held to their permissions; a denied publish or subscription leaves the connection working.
 */
class AuthProcessTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    @TempDir
    static Path dir;
    static MeshProcesses mesh;
    static String node;
    static java.security.KeyPair idp;

    @BeforeAll
    static void start() throws Exception {
        String alice = OpenBSDBCrypt.generate("2b", "alice-pw".toCharArray(), new byte[16], 4);
        String ops = OpenBSDBCrypt.generate("2b", "ops-pw".toCharArray(), new byte[16], 4);
        java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance("EC");
        g.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"));
        idp = g.generateKeyPair();
        Files.writeString(dir.resolve("idp.pem"), "-----BEGIN PUBLIC KEY-----\n"
                + java.util.Base64.getMimeEncoder().encodeToString(idp.getPublic().getEncoded()) + "\n-----END PUBLIC KEY-----\n");
        Path policy = dir.resolve("security.json");
        Files.writeString(policy, "{\"jwt\": {\"issuer\": \"https://idp.test\", \"keys\": \"idp.pem\", \"audience\": \"weft\"},"
                + "\"users\": ["
                + "{\"name\":\"jane\",\"jwt\":true,\"permissions\":{\"publish\":{\"allow\":[\"jobs.>\"]},"
                + "\"subscribe\":{\"allow\":[\"jobs.>\"]}}},"
                + "{\"name\":\"alice\",\"password_bcrypt\":\"" + alice + "\",\"permissions\":{"
                + "\"publish\":{\"allow\":[\"orders.{user}.>\"]},\"subscribe\":{\"allow\":[\"orders.>\"],\"deny\":[\"orders.secret.>\"]}}},"
                + "{\"name\":\"ingest\",\"token_sha256\":\"" + SecurityPolicy.sha256Hex("ingest-token") + "\","
                + "\"permissions\":{\"publish\":{\"allow\":[\">\"]},\"subscribe\":{\"deny\":[\">\"]}}},"
                + "{\"name\":\"ops\",\"password_bcrypt\":\"" + ops + "\",\"permissions\":{\"admin\":true}}]}");
        mesh = new MeshProcesses(dir);
        node = mesh.start("a-1", "a", List.of(), List.of("--security-config", policy.toString())).client();
        Await.until(WAIT, () -> mesh.ready("a-1"), () -> "a-1 not ready");
    }

    @AfterAll
    static void stop() {
        if (mesh != null) {
            mesh.close();
        }
    }

    private static ClientOptions.Builder options() {
        return ClientOptions.builder().servers(node).discover(false).connectTimeout(Duration.ofSeconds(5));
    }

    private static CloudEvent event(String id) {
        return CloudEventBuilder.v1().withId(id).withSource(URI.create("/t")).withType("t").withData(new byte[] {1}).build();
    }

    @Test
    void withoutOrWithWrongCredentialsTheConnectionIsRefused() {
        MeshException none = assertThrows(MeshException.class, () -> MeshClient.connect(options().build()));
        assertTrue(String.valueOf(none.getMessage()).contains("requires authentication"), none.getMessage());
        MeshException wrong = assertThrows(MeshException.class,
                () -> MeshClient.connect(options().credentials("alice", "nope").build()));
        assertTrue(String.valueOf(wrong.getMessage()).contains("authentication failed"), wrong.getMessage());
        MeshException badToken = assertThrows(MeshException.class, () -> MeshClient.connect(options().token("x").build()));
        assertTrue(String.valueOf(badToken.getMessage()).contains("authentication failed"), badToken.getMessage());
        Await.until(WAIT, () -> mesh.text("a-1", "/metrics").contains("weft_auth_failures_total{method=\"password\"}"),
                () -> "no failure counted");
    }

    @Test
    void permissionsHoldAndADenialLeavesTheConnectionWorking() throws Exception {
        List<MeshException> errors = new CopyOnWriteArrayList<>();
        Set<String> got = ConcurrentHashMap.newKeySet();
        try (MeshClient a = MeshClient.connect(options().credentials("alice", "alice-pw").errorListener(errors::add).build());
             MeshClient ingest = MeshClient.connect(options().token("ingest-token").build())) {
            // orders.> overlaps the deny orders.secret.>: accepted, and the denied events are withheld
            a.subscribe("orders.>", m -> got.add(m.topic())).confirmed().get(10, TimeUnit.SECONDS);
            ExecutionException denied = assertThrows(ExecutionException.class,
                    () -> a.subscribe("stock.>", m -> { }).confirmed().get(10, TimeUnit.SECONDS));
            assertEquals(ErrorCode.PERMISSION_DENIED, ((MeshException) denied.getCause()).code());
            a.publish("orders.bob.created", event("1")); // not alice's: denied, connection stays
            a.publish("orders.alice.created", event("2"));
            ingest.publish("orders.secret.keys", event("3"));
            ingest.publish("orders.eu.shipped", event("4"));
            a.flush(WAIT);
            ingest.flush(WAIT);
            Await.until(WAIT, () -> got.contains("orders.alice.created") && got.contains("orders.eu.shipped")
                    && errors.stream().anyMatch(e -> e.code() == ErrorCode.PERMISSION_DENIED), () -> got + " " + errors);
            a.flush(WAIT); // anything still in flight to alice has arrived
            assertTrue(!got.contains("orders.secret.keys"), "a denied topic was delivered: " + got);
            assertTrue(!got.contains("orders.bob.created"), "a denied publish was routed: " + got);
            assertTrue(errors.stream().anyMatch(e -> e.getMessage().contains("orders.bob.created")), errors.toString());
            ExecutionException durable = assertThrows(ExecutionException.class,
                    () -> a.publishDurable("orders.bob.x", event("5")).get(10, TimeUnit.SECONDS));
            assertTrue(durable.getCause().getMessage().contains("PERMISSION_DENIED"), durable.getCause().getMessage());
            assertEquals(403, a.request("GET", "/v1/streams", null).get(10, TimeUnit.SECONDS).status());
        }
        try (MeshClient ops = MeshClient.connect(options().credentials("ops", "ops-pw").build())) {
            assertEquals(200, ops.request("GET", "/v1/streams", null).get(10, TimeUnit.SECONDS).status());
        }
    }

    @Test
    void aQueueGroupMemberThatMayNotSeeAnEventPassesItToAnother() throws Exception {
        Set<String> alice = ConcurrentHashMap.newKeySet();
        Set<String> ops = ConcurrentHashMap.newKeySet();
        try (MeshClient a = MeshClient.connect(options().credentials("alice", "alice-pw").build());
             MeshClient o = MeshClient.connect(options().credentials("ops", "ops-pw").build());
             MeshClient ingest = MeshClient.connect(options().token("ingest-token").build())) {
            // alice's orders.> overlaps her deny of orders.secret.>: she is in the group, filtered
            a.subscribe("orders.>", "workers", m -> alice.add(m.event().getId())).confirmed().get(10, TimeUnit.SECONDS);
            o.subscribe("orders.>", "workers", m -> ops.add(m.event().getId())).confirmed().get(10, TimeUnit.SECONDS);
            int n = 40;
            for (int i = 0; i < n; i++) {
                ingest.publish(i % 2 == 0 ? "orders.secret.k" : "orders.eu.x", event("q" + i));
            }
            ingest.flush(WAIT);
            Await.until(WAIT, () -> alice.size() + ops.size() == n, () -> "alice " + alice + ", ops " + ops);
            for (int i = 0; i < n; i += 2) {
                assertTrue(ops.contains("q" + i), "secret event q" + i + " did not reach ops: " + ops);
            }
            a.flush(WAIT);
            o.flush(WAIT);
            assertTrue(alice.stream().noneMatch(id -> Integer.parseInt(id.substring(1)) % 2 == 0), "alice saw a secret: " + alice);
            assertEquals(n, alice.size() + ops.size(), "each event once in the group");
        }
    }

    private static String jwt(String user, java.time.Instant exp) throws Exception {
        return io.weft.security.TestJwt.sign("ES256", null, idp.getPrivate(), "{\"iss\":\"https://idp.test\",\"aud\":\"weft\","
                + "\"sub\":\"" + user + "\",\"exp\":" + exp.getEpochSecond() + "}");
    }

    @Test
    void aJwtAuthenticatesUntilItExpires() throws Exception {
        List<MeshException> errors = new CopyOnWriteArrayList<>();
        java.time.Instant exp = java.time.Instant.now().plusSeconds(3);
        try (MeshClient jane = MeshClient.connect(options().token(jwt("jane", exp)).errorListener(errors::add)
                .maxReconnectAttempts(0).build())) {
            jane.subscribe("jobs.>", m -> { }).confirmed().get(10, TimeUnit.SECONDS);
            ExecutionException denied = assertThrows(ExecutionException.class,
                    () -> jane.subscribe("orders.>", m -> { }).confirmed().get(10, TimeUnit.SECONDS));
            assertEquals(ErrorCode.PERMISSION_DENIED, ((MeshException) denied.getCause()).code());
            // the broker ends the connection when the token expires
            Await.until(WAIT, () -> errors.stream().anyMatch(e -> e.code() == ErrorCode.AUTH_EXPIRED
                    && e.getMessage().contains("expired")), () -> "still connected after exp: " + errors);
        }
        MeshException expired = assertThrows(MeshException.class, () -> MeshClient.connect(options()
                .token(jwt("jane", java.time.Instant.now().minusSeconds(1))).build()));
        assertTrue(String.valueOf(expired.getMessage()).contains("expired"), expired.getMessage());
        // a good token for a user who may not use one (alice has a password only)
        MeshException notJwtUser = assertThrows(MeshException.class, () -> MeshClient.connect(options()
                .token(jwt("alice", java.time.Instant.now().plusSeconds(60))).build()));
        assertTrue(String.valueOf(notJwtUser.getMessage()).contains("may not use a JWT"), notJwtUser.getMessage());
        Await.until(WAIT, () -> mesh.text("a-1", "/metrics").contains("weft_auth_failures_total{method=\"jwt\"}"),
                () -> "no jwt failure counted");

        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        String base = "http://127.0.0.1:" + mesh.node("a-1").httpPort;
        assertEquals(202, post(http, base + "/v1/topics/jobs.x/events",
                "Bearer " + jwt("jane", java.time.Instant.now().plusSeconds(60))).statusCode());
        assertEquals(401, post(http, base + "/v1/topics/jobs.x/events",
                "Bearer " + jwt("jane", java.time.Instant.now().minusSeconds(1))).statusCode());
    }

    @Test
    void httpTakesBasicAndBearerAndChecksTheSame() throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        String base = "http://127.0.0.1:" + mesh.node("a-1").httpPort;
        HttpResponse<String> anonymous = post(http, base + "/v1/topics/orders.alice.x/events", null);
        assertEquals(401, anonymous.statusCode(), anonymous.body());
        assertTrue(anonymous.headers().firstValue("WWW-Authenticate").orElse("").contains("Basic"));
        String basic = "Basic " + Base64.getEncoder().encodeToString("alice:alice-pw".getBytes(StandardCharsets.UTF_8));
        assertEquals(202, post(http, base + "/v1/topics/orders.alice.x/events", basic).statusCode());
        HttpResponse<String> forbidden = post(http, base + "/v1/topics/orders.bob.x/events", basic);
        assertEquals(403, forbidden.statusCode(), forbidden.body());
        assertTrue(forbidden.body().contains("orders.bob.x"), forbidden.body());
        String wrong = "Basic " + Base64.getEncoder().encodeToString("alice:x".getBytes(StandardCharsets.UTF_8));
        assertEquals(401, post(http, base + "/v1/topics/orders.alice.x/events", wrong).statusCode());
        assertEquals(202, post(http, base + "/v1/topics/anything/events", "Bearer ingest-token").statusCode());
        assertEquals(403, get(http, base + "/v1/node", basic).statusCode());
        assertEquals(200, get(http, base + "/healthz", null).statusCode());
    }

    private static HttpResponse<String> post(HttpClient http, String url, String auth) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5))
                .header("ce-specversion", "1.0").header("ce-id", "h1").header("ce-source", "/t").header("ce-type", "t")
                .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}"));
        if (auth != null) {
            b.header("Authorization", auth);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(HttpClient http, String url, String auth) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5));
        if (auth != null) {
            b.header("Authorization", auth);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
