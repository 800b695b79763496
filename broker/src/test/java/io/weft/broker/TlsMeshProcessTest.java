package io.weft.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.weft.client.ClientOptions;
import io.weft.client.MeshClient;
import io.weft.client.MeshException;
import io.weft.security.TestPki;
import io.weft.security.TlsMaterial;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two sites of one real meshd each, every port TLS (client, HTTP, mesh links, membership), certificates
 * from a test CA: they form the mesh and deliver across sites exactly once; plaintext is refused on every
 * port; a node with a certificate of another CA never joins; standard tools (openssl, curl) talk to the
 * ports.
 */
class TlsMeshProcessTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    @TempDir
    static Path dir;
    static TestPki pki;
    static MeshProcesses mesh;

    @BeforeAll
    static void startMesh() throws Exception {
        pki = TestPki.create(dir.resolve("pki"), "test");
        mesh = new MeshProcesses(dir, trusting(pki.caFile()));
        mesh.start("a-1", "a", List.of(), tlsArgs(pki, "a", "a-1"));
        mesh.start("b-1", "b", List.of(mesh.node("a-1").mesh()), tlsArgs(pki, "b", "b-1"));
        for (String n : List.of("a-1", "b-1")) {
            Await.until(WAIT, () -> mesh.ready(n) && live(n) == 2, () -> n + " not ready: " + mesh.get(n, "/v1/nodes"));
        }
    }

    @AfterAll
    static void stopMesh() {
        if (mesh != null) {
            mesh.close();
        }
    }

    static List<String> tlsArgs(TestPki ca, String site, String node) {
        TestPki.Files f = ca.node(site, node);
        return List.of("--tls-cert", f.cert().toString(), "--tls-key", f.key().toString(),
                "--tls-ca", ca.caFile().toString());
    }

    static SSLContext trusting(Path ca) throws Exception {
        SSLContext c = SSLContext.getInstance("TLS");
        c.init(null, TlsMaterial.trustOnly(ca).trustManagers(), null);
        return c;
    }

    private static int live(String node) {
        JsonNode nodes = mesh.get(node, "/v1/nodes");
        int alive = 0;
        if (nodes != null) {
            for (JsonNode n : nodes.path("nodes")) {
                String state = n.path("state").asText();
                alive += state.equals("alive") || state.equals("ready") ? 1 : 0;
            }
        }
        return alive;
    }

    private static MeshClient client(String node) {
        return MeshClient.connect(ClientOptions.builder().servers(mesh.node(node).client()).discover(false)
                .tls(pki.caFile()).build());
    }

    @Test
    void crossSiteDeliveryOverTlsExactlyOnce() throws Exception {
        Map<String, AtomicInteger> got = new ConcurrentHashMap<>();
        try (MeshClient sub = client("b-1"); MeshClient pub = client("a-1")) {
            sub.subscribe("orders.>", m -> got.computeIfAbsent(m.event().getId(), k -> new AtomicInteger()).incrementAndGet())
                    .confirmed().get(10, TimeUnit.SECONDS);
            Await.until(WAIT, () -> String.valueOf(mesh.get("a-1", "/v1/interest")).contains("orders.>"),
                    () -> "a-1 interest: " + mesh.get("a-1", "/v1/interest"));
            int n = 300;
            for (int i = 0; i < n; i++) {
                pub.publish("orders.eu.created", CloudEventBuilder.v1().withId("o" + i).withSource(URI.create("/t"))
                        .withType("com.example.order.created").withData("{}".getBytes(StandardCharsets.UTF_8)).build());
            }
            pub.flush(WAIT);
            Await.until(WAIT, () -> got.size() == n, () -> got.size() + " of " + n);
            sub.flush(WAIT);
            assertTrue(got.values().stream().allMatch(c -> c.get() == 1), "duplicates: " + got);
        }
    }

    @Test
    void aStreamOfAnotherSiteIsCreatedThroughThatSite() throws Exception {
        // a-1 may not talk to b-1's raft port (only nodes of site b may): the creation goes over the mesh to b
        try (MeshClient a = client("a-1")) {
            io.weft.client.AdminResponse created = a.request("POST", "/v1/streams",
                    "{\"name\":\"bstream\",\"subjects\":[\"bs.>\"],\"replicas\":1,\"site\":\"b\"}")
                    .get(60, TimeUnit.SECONDS);
            assertEquals(201, created.status(), created.json());
            for (int i = 0; i < 5; i++) {
                a.publishDurable("bs.x", CloudEventBuilder.v1().withId("s" + i).withSource(URI.create("/t"))
                        .withType("t").build()).get(30, TimeUnit.SECONDS);
            }
            JsonNode info = mesh.get("b-1", "/v1/streams/bstream?local=true");
            assertEquals(5, info.path("lastSeq").asLong(), String.valueOf(info));
        }
    }

    private static String serial(String node) {
        return mesh.get(node, "/v1/node").path("tlsIdentity").path("serial").asText();
    }

    @Test
    void certificatesRotateWhileEventsFlowAndNothingIsLost() throws Exception {
        Map<String, AtomicInteger> got = new ConcurrentHashMap<>();
        String a = serial("a-1");
        String b = serial("b-1");
        int n = 0;
        try (MeshClient sub = client("b-1"); MeshClient pub = client("a-1")) {
            sub.subscribe("rot.>", m -> got.computeIfAbsent(m.event().getId(), k -> new AtomicInteger()).incrementAndGet())
                    .confirmed().get(10, TimeUnit.SECONDS);
            Await.until(WAIT, () -> String.valueOf(mesh.get("a-1", "/v1/interest")).contains("rot.>"),
                    () -> "a-1 interest: " + mesh.get("a-1", "/v1/interest"));
            // renewed certificates for both nodes (new keys, new serials); the file watch takes them while events flow
            pki.node("a", "a-1");
            pki.node("b", "b-1");
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (serial("a-1").equals(a) || serial("b-1").equals(b)) {
                assertTrue(System.nanoTime() < deadline, "the renewed certificates were not taken");
                for (int i = 0; i < 50; i++, n++) {
                    pub.publish("rot.x", CloudEventBuilder.v1().withId("r" + n).withSource(URI.create("/t")).withType("t").build());
                }
                pub.flush(WAIT);
            }
            for (int i = 0; i < 200; i++, n++) {
                pub.publish("rot.x", CloudEventBuilder.v1().withId("r" + n).withSource(URI.create("/t")).withType("t").build());
            }
            pub.flush(WAIT);
            int total = n;
            Await.until(WAIT, () -> got.size() == total, () -> got.size() + " of " + total);
            sub.flush(WAIT);
            assertTrue(got.values().stream().allMatch(c -> c.get() == 1), "duplicates: " + got);
        }
        // new handshakes present the new certificates, and the peers trust them: a fresh client, and the links
        try (MeshClient fresh = client("a-1")) {
            assertTrue(fresh.serverInfo() != null);
        }
        assertTrue(live("a-1") >= 2 && live("b-1") >= 2, "a link went down: " + mesh.get("a-1", "/v1/nodes"));
    }

    @Test
    void nodeDocumentShowsTlsAndTheCertificatesIdentity() {
        JsonNode node = mesh.get("a-1", "/v1/node");
        assertTrue(node.path("tls").asBoolean(), node.toString());
        assertEquals("spiffe://test/weft/site/a/node/a-1", node.path("tlsIdentity").path("id").asText());
        assertFalse(node.path("tlsIdentity").path("notAfter").asText().isEmpty());
    }

    @Test
    void plaintextIsRefusedOnTheClientAndHttpPorts() throws Exception {
        MeshException e = assertThrows(MeshException.class, () -> MeshClient.connect(ClientOptions.builder()
                .servers(mesh.node("a-1").client()).discover(false).connectTimeout(Duration.ofSeconds(3)).build()));
        // the broker answers a plaintext HELLO with ERR TLS_REQUIRED (in plaintext) before it closes
        assertEquals(io.weft.protocol.ErrorCode.TLS_REQUIRED, e.code(), e.getMessage());
        assertTrue(e.getMessage().contains("requires TLS") && e.getMessage().contains("--tls-ca"),
                "the error says why: " + e.getMessage());
        HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        assertThrows(IOException.class, () -> plain.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + mesh.node("a-1").httpPort + "/healthz")).timeout(Duration.ofSeconds(5))
                .build(), HttpResponse.BodyHandlers.ofString()));
    }

    @Test
    void aNodeWithACertificateOfAnotherCaNeverJoins() throws Exception {
        TestPki other = pki.foreign(dir.resolve("rogue-pki"));
        mesh.start("a-6", "a", List.of(mesh.node("a-1").mesh(), mesh.node("b-1").mesh()), tlsArgs(other, "a", "a-6"));
        // it dials a-1 and b-1 (its seeds); both refuse it in the TLS handshake and count it
        for (String n : List.of("a-1", "b-1")) {
            Await.until(WAIT, () -> refusals(n, "tls_handshake") >= 1, () -> n + " metrics: " + mesh.text(n, "/metrics"));
            assertFalse(String.valueOf(mesh.get(n, "/v1/nodes")).contains("a-6"), n + " lists the rogue node");
            assertEquals(2, live(n));
        }
        assertTrue(mesh.log("a-1").contains("TLS handshake failed"), "a-1 logs the refusal");
    }

    @Test
    void opensslAndCurlTalkToTheTlsPorts() throws Exception {
        String ca = pki.caFile().toString();
        for (int port : new int[] {mesh.node("a-1").clientPort, mesh.node("a-1").httpPort}) {
            Run r = run("openssl", "s_client", "-connect", "127.0.0.1:" + port, "-CAfile", ca, "-verify_return_error",
                    "-brief");
            assertEquals(0, r.code, "openssl s_client on " + port + ": " + r.out);
            assertTrue(r.out.contains("Verification: OK"), r.out);
            assertTrue(r.out.contains("TLSv1.3"), r.out);
        }
        Run ok = run("curl", "-sS", "--cacert", ca, "https://127.0.0.1:" + mesh.node("a-1").httpPort + "/healthz");
        assertEquals(0, ok.code, ok.out);
        assertTrue(ok.out.contains("ready"), ok.out);
        Run plain = run("curl", "-sS", "--max-time", "5", "http://127.0.0.1:" + mesh.node("a-1").httpPort + "/healthz");
        assertTrue(plain.code != 0, "plain http answered: " + plain.out);
    }

    @Test
    void aUserCertificateAuthenticatesAndCarriesItsPermissions() throws Exception {
        Path policy = dir.resolve("cert-users.json");
        java.nio.file.Files.writeString(policy, "{\"users\": ["
                + "{\"name\":\"carol\",\"certificate\":true,\"permissions\":{"
                + "\"publish\":{\"allow\":[\"x.>\"]},\"subscribe\":{\"allow\":[\"x.>\"]}}},"
                + "{\"name\":\"ops\",\"certificate\":true,\"permissions\":{\"admin\":true}}]}");
        List<String> args = new ArrayList<>(tlsArgs(pki, "d", "d-1"));
        args.addAll(List.of("--security-config", policy.toString()));
        MeshProcesses.Node d = mesh.start("d-1", "d", List.of(), args);
        Await.until(WAIT, () -> mesh.ready("d-1"), () -> "d-1 not ready");
        TestPki.Files carol = pki.user("carol");
        TestPki.Files ops = pki.user("ops");
        TestPki.Files mallory = pki.user("mallory"); // a good certificate of a user the config does not list
        ClientOptions.Builder base = ClientOptions.builder().servers(d.client()).discover(false).tls(pki.caFile())
                .connectTimeout(Duration.ofSeconds(5));

        MeshException none = assertThrows(MeshException.class, () -> MeshClient.connect(base.build()));
        assertTrue(String.valueOf(none.getMessage()).contains("requires authentication"), none.getMessage());
        MeshException unknown = assertThrows(MeshException.class,
                () -> MeshClient.connect(base.tlsCertificate(mallory.cert(), mallory.key()).build()));
        assertTrue(String.valueOf(unknown.getMessage()).contains("does not take the client certificate"),
                unknown.getMessage());
        Await.until(WAIT, () -> String.valueOf(mesh.text("d-1", "/metrics"))
                .contains("weft_auth_failures_total{method=\"certificate\"} "), () -> "no failure counted");
        try (MeshClient c = MeshClient.connect(base.tlsCertificate(carol.cert(), carol.key()).build())) {
            c.subscribe("x.>", m -> { }).confirmed().get(10, TimeUnit.SECONDS);
            java.util.concurrent.ExecutionException denied = assertThrows(java.util.concurrent.ExecutionException.class,
                    () -> c.subscribe("y.>", m -> { }).confirmed().get(10, TimeUnit.SECONDS));
            assertTrue(String.valueOf(denied.getCause().getMessage()).contains("y.>"), denied.getCause().getMessage());
            assertEquals(403, c.request("GET", "/v1/streams", null).get(10, TimeUnit.SECONDS).status());
        }

        // HTTPS with a client certificate: the same users
        URI node = URI.create("https://127.0.0.1:" + d.httpPort + "/v1/node");
        HttpResponse<String> asCarol = withCertificate(carol).send(HttpRequest.newBuilder(node).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(403, asCarol.statusCode(), asCarol.body());
        HttpResponse<String> asOps = withCertificate(ops).send(HttpRequest.newBuilder(node).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, asOps.statusCode(), asOps.body());
        assertTrue(asOps.body().contains("\"auth\":true"), asOps.body());
        HttpResponse<String> anonymous = HttpClient.newBuilder().sslContext(trusting(pki.caFile())).build()
                .send(HttpRequest.newBuilder(node).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(401, anonymous.statusCode(), anonymous.body());
    }

    private static HttpClient withCertificate(TestPki.Files user) throws Exception {
        TlsMaterial m = TlsMaterial.load(user.cert(), user.key(), pki.caFile());
        SSLContext c = SSLContext.getInstance("TLS");
        c.init(m.keyManagers(), m.trustManagers(), null);
        return HttpClient.newBuilder().sslContext(c).connectTimeout(Duration.ofSeconds(5)).build();
    }

    @Test
    void aFloodOfHandshakesIsBounded() throws Exception {
        List<String> args = new ArrayList<>(tlsArgs(pki, "c", "c-1"));
        args.addAll(List.of("--max-handshakes-in-flight", "2"));
        MeshProcesses.Node c = mesh.start("c-1", "c", List.of(), args);
        List<java.net.Socket> stalled = new ArrayList<>();
        try {
            for (int i = 0; i < 2; i++) { // two connections that never say ClientHello hold both slots
                stalled.add(new java.net.Socket("127.0.0.1", c.clientPort));
            }
            // until those two are accepted, a third may still get a slot: keep opening until one is closed at once
            Await.until(WAIT, () -> {
                try (java.net.Socket third = new java.net.Socket("127.0.0.1", c.clientPort)) {
                    third.setSoTimeout(2000);
                    return third.getInputStream().read() == -1; // closed without a handshake
                } catch (java.net.SocketTimeoutException e) {
                    return false; // held open: it got a slot
                } catch (IOException e) {
                    return true; // reset: closed as well
                }
            }, () -> "no connection was refused");
            // the HTTP port has a bound of its own: monitoring still works while the client port is flooded
            assertTrue(String.valueOf(mesh.text("c-1", "/metrics")).matches("(?s).*weft_tls_handshakes_refused_total [1-9].*"),
                    "not counted");
        } finally {
            for (java.net.Socket s : stalled) {
                s.close();
            }
        }
        // the stalled handshakes end with their sockets: a real client gets in again
        Await.until(WAIT, () -> {
            try (MeshClient ok = MeshClient.connect(ClientOptions.builder().servers(c.client()).discover(false)
                    .tls(pki.caFile()).connectTimeout(Duration.ofSeconds(3)).build())) {
                return ok.serverInfo() != null;
            } catch (MeshException e) {
                return false;
            }
        }, () -> "no client could connect after the flood");
    }

    private static long refusals(String node, String reason) {
        String m = mesh.text(node, "/metrics");
        if (m == null) {
            return 0;
        }
        Matcher x = Pattern.compile("weft_tls_refusals_total\\{reason=\"" + reason + "\"} (\\S+)").matcher(m);
        return x.find() ? (long) Double.parseDouble(x.group(1)) : 0;
    }

    private record Run(int code, String out) {
    }

    /** Runs a tool with its stdin closed; fails the test if it is not installed (CI installs it). */
    private static Run run(String... cmd) throws Exception {
        Process p;
        try {
            p = new ProcessBuilder(new ArrayList<>(List.of(cmd))).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        } catch (IOException e) {
            throw new AssertionError(cmd[0] + " is needed by this test (apt-get install -y " + cmd[0] + "): " + e.getMessage());
        }
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", cmd) + " did not finish in 30 s");
        }
        return new Run(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }
}
