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
        assertTrue(e.getMessage().contains("give its CA") || String.valueOf(e.getCause()).contains("give its CA"),
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
