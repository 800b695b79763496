package io.weft.storage.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.security.SiteTrustManager;
import io.weft.security.TestPki;
import io.weft.security.TlsMaterial;
import io.weft.storage.Publish;
import io.weft.storage.PublishAck;
import io.weft.storage.StreamConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The raft port over TLS (Ratis's gRPC transport with our key and trust managers): replicas of one site
 * replicate, and a node of another site, though its certificate comes from the same CA, can be no replica.
 */
class StreamHostTlsTest {
    @TempDir
    Path dir;
    private TestPki pki;
    private final List<StreamHost> hosts = new ArrayList<>();
    private final Map<String, String> leaders = new ConcurrentHashMap<>();

    @BeforeEach
    void pki() {
        pki = TestPki.create(dir.resolve("pki"), "test");
    }

    @AfterEach
    void closeAll() {
        hosts.forEach(StreamHost::close);
    }

    private StreamHost start(String site, String node) throws Exception {
        TestPki.Files f = pki.node(site, node);
        TlsMaterial m = TlsMaterial.load(f.cert(), f.key(), pki.caFile());
        RaftTls tls = new RaftTls(m.keyManagers()[0], new SiteTrustManager(m.trustManager(), "test", site));
        StreamHost h = new StreamHost(node, dir.resolve(node), "127.0.0.1", 0, StreamHostTest.leaderTracker(leaders, node),
                StreamHost.Settings.defaults(), tls);
        h.start();
        hosts.add(h);
        return h;
    }

    @Test
    void replicasOfOneSiteReplicateOverTls() throws Exception {
        List<StreamHost.Peer> peers = new ArrayList<>();
        for (String n : List.of("a-1", "a-2", "a-3")) {
            peers.add(new StreamHost.Peer(n, "127.0.0.1:" + start("a", n).port()));
        }
        hosts.get(0).create(StreamConfig.of("orders", "a", "orders.>").withReplicas(3), peers).get(60, TimeUnit.SECONDS);
        await("a leader", () -> leaders.containsKey("orders"));
        StreamHost leader = hosts.stream().filter(h -> h.replica("orders").map(StreamStateMachine::isLeader)
                .orElse(false)).findFirst().orElseThrow();
        int n = 200;
        List<CompletableFuture<PublishAck>> acks = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            acks.add(publish(leader, i));
        }
        for (int i = 0; i < n; i++) {
            assertEquals(i + 1, acks.get(i).get(30, TimeUnit.SECONDS).seq());
        }
        for (StreamHost h : hosts) {
            StreamStateMachine sm = h.replica("orders").orElseThrow();
            await("every replica holds all", () -> sm.read(l -> l.lastSeq()).orElse(0L) >= n);
        }
    }

    @Test
    void aNodeOfAnotherSiteCannotBeAReplica() throws Exception {
        StreamHost a = start("a", "a-1");
        StreamHost a2 = start("a", "a-2");
        StreamHost b = start("b", "b-1");
        List<StreamHost.Peer> peers = List.of(new StreamHost.Peer("a-1", "127.0.0.1:" + a.port()),
                new StreamHost.Peer("a-2", "127.0.0.1:" + a2.port()), new StreamHost.Peer("b-1", "127.0.0.1:" + b.port()));
        ExecutionException e = assertThrows(ExecutionException.class, () -> a.create(
                StreamConfig.of("orders", "a", "orders.>").withReplicas(3), peers).get(120, TimeUnit.SECONDS));
        assertTrue(String.valueOf(e.getCause().getMessage()).contains("b-1"), e.getCause().getMessage());
        assertTrue(b.replica("orders").isEmpty(), "b-1 holds a replica of a stream of site a");
    }

    private static CompletableFuture<PublishAck> publish(StreamHost h, int i) {
        CompletableFuture<PublishAck> f = new CompletableFuture<>();
        h.publish("orders", new Publish("/test", "id-" + i, "orders.created", ("event " + i).getBytes(StandardCharsets.UTF_8)),
                new Batcher.Callback() {
                    @Override
                    public void acked(PublishAck ack) {
                        f.complete(ack);
                    }

                    @Override
                    public void failed(String error) {
                        f.completeExceptionally(new StreamException(error));
                    }
                });
        return f;
    }

    private static void await(String what, BooleanSupplier cond) {
        StreamHostTest.await(what, cond);
    }
}
