package io.weft.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.client.ClientOptions;
import io.weft.client.MeshClient;
import io.weft.client.MeshException;
import io.weft.protocol.ErrorCode;
import io.weft.security.SecurityPolicy;
import io.weft.security.TestPki;
import io.weft.security.TlsMaterial;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A running meshd picks up a changed security config, CRL and node certificate without a restart: from
 * the file watch, SIGHUP or POST /v1/admin/reload. Live connections are held to the new config (a removed
 * user is disconnected, a subscription no longer allowed is removed with an error), an invalid file
 * changes nothing, and a revoked certificate is refused at its next handshake.
 */
class ReloadProcessTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String ALICE_HASH = OpenBSDBCrypt.generate("2b", "alice-pw".toCharArray(), new byte[16], 4);
    @TempDir
    Path dir;
    TestPki pki;
    MeshProcesses mesh;
    MeshProcesses.Node node;
    Path policy;
    Path crl;
    HttpClient asOps;

    @BeforeEach
    void start() throws Exception {
        pki = TestPki.create(dir.resolve("pki"), "test");
        SSLContext ops = withCertificate(pki.user("ops"));
        asOps = HttpClient.newBuilder().sslContext(ops).connectTimeout(Duration.ofSeconds(5)).build();
        Path conf = Files.createDirectories(dir.resolve("conf"));
        policy = conf.resolve("security.json");
        writePolicy(List.of("orders.>", "stock.>"), true);
        crl = pki.crl(conf.resolve("crl.pem")); // nothing revoked yet
        mesh = new MeshProcesses(dir, ops);
        TestPki.Files f = pki.node("a", "a-1");
        node = mesh.start("a-1", "a", List.of(), List.of("--tls-cert", f.cert().toString(), "--tls-key", f.key().toString(),
                "--tls-ca", pki.caFile().toString(), "--tls-crl", crl.toString(), "--security-config", policy.toString()));
        Await.until(WAIT, () -> mesh.ready("a-1"), () -> "a-1 not ready");
    }

    @AfterEach
    void stop() {
        if (mesh != null) {
            mesh.close();
        }
    }

    private void writePolicy(List<String> aliceMaySubscribe, boolean withBob) throws Exception {
        StringBuilder allow = new StringBuilder();
        for (String p : aliceMaySubscribe) {
            allow.append(allow.length() == 0 ? "" : ",").append('"').append(p).append('"');
        }
        String json = "{\"users\": ["
                + "{\"name\":\"ops\",\"certificate\":true,\"permissions\":{\"admin\":true}},"
                + "{\"name\":\"carol\",\"certificate\":true,\"permissions\":{\"subscribe\":{\"allow\":[\">\"]}}},"
                + "{\"name\":\"alice\",\"password_bcrypt\":\"" + ALICE_HASH + "\",\"permissions\":{"
                + "\"subscribe\":{\"allow\":[" + allow + "]}}}"
                + (withBob ? ",{\"name\":\"bob\",\"token_sha256\":\"" + SecurityPolicy.sha256Hex("bob-token") + "\","
                + "\"permissions\":{\"subscribe\":{\"allow\":[\">\"]}}}" : "")
                + "]}";
        Path tmp = policy.resolveSibling(".security.json.tmp");
        Files.writeString(tmp, json);
        Files.move(tmp, policy, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private ClientOptions.Builder options() {
        return ClientOptions.builder().servers(node.client()).discover(false).tls(pki.caFile())
                .connectTimeout(Duration.ofSeconds(5)).maxReconnectAttempts(0);
    }

    private static SSLContext withCertificate(TestPki.Files user) throws Exception {
        TlsMaterial m = TlsMaterial.load(user.cert(), user.key(), user.cert().getParent().getParent().resolve("ca.pem"));
        SSLContext c = SSLContext.getInstance("TLS");
        c.init(m.keyManagers(), m.trustManagers(), null);
        return c;
    }

    private double metric(String series) {
        String text = String.valueOf(mesh.text("a-1", "/metrics"));
        for (String line : text.split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1).trim());
            }
        }
        return 0;
    }

    private HttpResponse<String> postReload() throws Exception {
        return asOps.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + node.httpPort + "/v1/admin/reload"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aChangedConfigHoldsLiveConnectionsToIt() throws Exception {
        List<MeshException> aliceErrors = new CopyOnWriteArrayList<>();
        List<MeshException> bobErrors = new CopyOnWriteArrayList<>();
        try (MeshClient alice = MeshClient.connect(options().credentials("alice", "alice-pw").errorListener(aliceErrors::add).build());
             MeshClient bob = MeshClient.connect(options().token("bob-token").errorListener(bobErrors::add).build())) {
            alice.subscribe("orders.>", m -> { }).confirmed().get(10, TimeUnit.SECONDS);
            writePolicy(List.of("stock.>"), false); // the file watch picks it up
            Await.until(WAIT, () -> aliceErrors.stream().anyMatch(e -> e.code() == ErrorCode.PERMISSION_DENIED
                    && e.getMessage().contains("orders.>")), () -> "alice's subscription stayed: " + aliceErrors);
            Await.until(WAIT, () -> bobErrors.stream().anyMatch(e -> e.code() == ErrorCode.AUTH_REVOKED
                    && e.getMessage().contains("removed")), () -> "bob stayed connected: " + bobErrors);
            // alice's connection stays, under her new permissions
            alice.subscribe("stock.>", m -> { }).confirmed().get(10, TimeUnit.SECONDS);
            assertTrue(metric("weft_reloads_total{result=\"ok\",what=\"security_config\"}") >= 1,
                    String.valueOf(mesh.text("a-1", "/metrics")));
        }
    }

    @Test
    void anInvalidConfigChangesNothingAndIsReported() throws Exception {
        Files.writeString(policy, "{\"users\": [{\"name\": \"alice\", \"pasword_bcrypt\": \"x\"}]}");
        HttpResponse<String> r = postReload();
        assertEquals(422, r.statusCode(), r.body());
        assertTrue(r.body().contains("pasword_bcrypt"), "the answer names the bad field: " + r.body());
        assertTrue(metric("weft_reloads_total{result=\"failed\",what=\"security_config\"}") >= 1);
        // the config in force is still the last good one
        try (MeshClient alice = MeshClient.connect(options().credentials("alice", "alice-pw").build())) {
            alice.subscribe("orders.>", m -> { }).confirmed().get(10, TimeUnit.SECONDS);
        }
        writePolicy(List.of("orders.>"), true);
        Await.until(WAIT, () -> {
            try {
                return postReload().statusCode() == 200;
            } catch (Exception e) {
                return false;
            }
        }, () -> "a valid config is not taken again");
        // a reload with nothing changed changes nothing
        assertEquals("{\"changed\":[],\"failed\":[]}", postReload().body());
    }

    @Test
    void aRevokedCertificateAndARenewedNodeCertificateNeedNoRestart() throws Exception {
        TestPki.Files carol = pki.user("carol");
        try (MeshClient c = MeshClient.connect(options().tlsCertificate(carol.cert(), carol.key()).build())) {
            c.subscribe("x.>", m -> { }).confirmed().get(10, TimeUnit.SECONDS);
        }
        pki.crl(crl, TestPki.read(carol.cert()));
        Await.until(WAIT, () -> {
            try (MeshClient c = MeshClient.connect(options().tlsCertificate(carol.cert(), carol.key()).build())) {
                return false;
            } catch (MeshException e) {
                return true;
            }
        }, () -> "a revoked certificate still connects");
        assertEquals(1, mesh.get("a-1", "/v1/node").path("tlsIdentity").path("revoked").asInt());

        String serial = mesh.get("a-1", "/v1/node").path("tlsIdentity").path("serial").asText();
        pki.node("a", "a-1"); // renewed: new key, new serial, same identity
        Await.until(WAIT, () -> !serial.equals(mesh.get("a-1", "/v1/node").path("tlsIdentity").path("serial").asText()),
                () -> "the renewed certificate was not taken");
        try (MeshClient ok = MeshClient.connect(options().credentials("alice", "alice-pw").build())) {
            assertNotEquals(null, ok.serverInfo());
        }

        // SIGHUP reloads too, and does not stop the node (the JVM's default for HUP)
        new ProcessBuilder("kill", "-HUP", Long.toString(node.process.pid())).inheritIO().start().waitFor();
        Await.until(WAIT, () -> {
            try {
                return mesh.log("a-1").contains("reload (SIGHUP)");
            } catch (java.io.IOException e) {
                return false;
            }
        }, () -> "no reload on SIGHUP");
        assertTrue(node.process.isAlive());
        assertTrue(mesh.ready("a-1"));
    }
}
