package io.weft.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.protocol.NodeAddress;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Nearest-broker selection and failover against three fake brokers of two sites, each listing all of
 * them in its INFO. The client is given one seed only.
 */
class NearestBrokerTest {
    private final BlockingQueue<String> subs = new LinkedBlockingQueue<>();
    private final BlockingQueue<ClientOptions.ConnectionEvent> connections = new LinkedBlockingQueue<>();
    private FakeBroker cloud1;
    private FakeBroker cloud2;
    private FakeBroker onprem1;

    @BeforeEach
    void startMesh() throws Exception {
        cloud1 = new FakeBroker("cloud-1", "cloud", true, subs);
        cloud2 = new FakeBroker("cloud-2", "cloud", true, subs);
        onprem1 = new FakeBroker("onprem-1", "onprem", true, subs);
        List<NodeAddress> all = List.of(cloud1.nodeAddress(), cloud2.nodeAddress(), onprem1.nodeAddress());
        for (FakeBroker b : List.of(cloud1, cloud2, onprem1)) {
            b.start(() -> all);
        }
    }

    @AfterEach
    void stopMesh() throws Exception {
        for (FakeBroker b : List.of(cloud1, cloud2, onprem1)) {
            b.close();
        }
    }

    private ClientOptions.Builder options(String... seeds) {
        return ClientOptions.builder().servers(seeds).connectTimeout(Duration.ofSeconds(2))
                .reconnectWait(Duration.ofMillis(10), Duration.ofMillis(100))
                .connectionListener(connections::add);
    }

    private static String next(BlockingQueue<String> q) throws InterruptedException {
        String s = q.poll(10, TimeUnit.SECONDS);
        assertNotNull(s, "nothing arrived within 10 s");
        return s;
    }

    @Test
    void learnsTheMeshFromOneSeedAndConnectsToItsOwnSite() {
        try (MeshClient c = MeshClient.connect(options(cloud1.address()).site("onprem").build())) {
            assertEquals(onprem1.address(), c.connectedServer());
            assertEquals("onprem-1", c.serverInfo().node());
            List<BrokerCandidate> cs = c.candidates();
            assertEquals(Set.of(cloud1.address(), cloud2.address(), onprem1.address()),
                    Set.copyOf(cs.stream().map(BrokerCandidate::address).toList()));
            assertEquals(onprem1.address(), cs.get(0).address());
            assertTrue(cs.stream().allMatch(BrokerCandidate::reachable), cs.toString());
            assertEquals("cloud", cs.get(1).site());
        }
    }

    @Test
    void withoutDiscoveryStaysOnTheGivenServer() {
        try (MeshClient c = MeshClient.connect(options(cloud1.address()).site("onprem").discover(false).build())) {
            assertEquals(cloud1.address(), c.connectedServer());
            assertEquals(1, c.candidates().size());
        }
    }

    @Test
    void skipsAnUnreachableSeedAndRecordsWhy() throws Exception {
        String dead;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            dead = "127.0.0.1:" + s.getLocalPort();
        }
        try (MeshClient c = MeshClient.connect(options(dead, cloud2.address()).site("cloud").build())) {
            assertTrue(c.connectedServer().equals(cloud1.address()) || c.connectedServer().equals(cloud2.address()),
                    c.connectedServer());
            BrokerCandidate last = c.candidates().get(c.candidates().size() - 1);
            assertEquals(dead, last.address());
            assertTrue(last.failed() && last.error().contains("connect failed"), last.toString());
        }
    }

    @Test
    void onLosingItsBrokerReconnectsToAnotherAndResubscribes() throws Exception {
        try (MeshClient c = MeshClient.connect(options(cloud1.address()).site("onprem").build())) {
            assertEquals(ClientOptions.ConnectionState.CONNECTED, connections.take().state());
            Subscription s = c.subscribe("orders.>", m -> { });
            s.confirmed().get(10, TimeUnit.SECONDS);
            assertEquals("onprem-1 SUB orders.>", next(subs));

            onprem1.kill();

            ClientOptions.ConnectionEvent lost = connections.poll(10, TimeUnit.SECONDS);
            assertNotNull(lost);
            assertEquals(ClientOptions.ConnectionState.DISCONNECTED, lost.state());
            assertEquals(onprem1.address(), lost.server());
            ClientOptions.ConnectionEvent back = connections.poll(10, TimeUnit.SECONDS);
            assertNotNull(back, "no reconnect within 10 s");
            assertEquals(ClientOptions.ConnectionState.RECONNECTED, back.state());
            assertNotEquals(onprem1.address(), back.server());
            assertEquals(back.server(), c.connectedServer());
            String resub = next(subs);
            assertTrue(resub.equals("cloud-1 SUB orders.>") || resub.equals("cloud-2 SUB orders.>"), resub);
            assertTrue(resub.startsWith(c.serverInfo().node() + " "), resub + " but connected to " + c.serverInfo().node());
            c.flush(Duration.ofSeconds(10));
            assertTrue(c.candidates().stream().anyMatch(x -> x.address().equals(onprem1.address()) && x.failed()),
                    "the lost broker is listed as not used: " + c.candidates());
        }
    }
}
