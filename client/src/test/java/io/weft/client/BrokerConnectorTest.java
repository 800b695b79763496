package io.weft.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.protocol.Info;
import io.weft.protocol.NodeAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The connector's rounds, bounds and bookkeeping, over scripted attempts instead of sockets. */
class BrokerConnectorTest {
    private static final long PROBE = TimeUnit.MILLISECONDS.toNanos(100);
    private static final long CONNECT = TimeUnit.MILLISECONDS.toNanos(200);

    /** An attempt whose outcome the test scripted beforehand (or none: it never answers). */
    static final class Scripted implements BrokerConnector.Attempt {
        final String address;
        final CompletableFuture<Info> info = new CompletableFuture<>();
        final long rtt;
        boolean closed;

        Scripted(String address, long rtt) {
            this.address = address;
            this.rtt = rtt;
        }

        @Override
        public CompletableFuture<Info> info() {
            return info;
        }

        @Override
        public long rttNanos() {
            return rtt;
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    /** A mesh of scripted brokers: address → INFO (or missing: refused; null INFO: silent). */
    private final Map<String, Info> mesh = new LinkedHashMap<>();
    private final Map<String, Long> rtts = new LinkedHashMap<>();
    private final List<Scripted> started = new ArrayList<>();

    private Scripted start(String address) {
        Scripted a = new Scripted(address, rtts.getOrDefault(address, 1000L));
        started.add(a);
        if (!mesh.containsKey(address)) {
            a.info.completeExceptionally(new MeshException("connect failed: connection refused"));
        } else if (mesh.get(address) != null) {
            a.info.complete(mesh.get(address));
        }
        return a;
    }

    private BrokerConnector<Scripted> connector(String site) {
        return new BrokerConnector<>(this::start, new BrokerSelector(site), PROBE, CONNECT);
    }

    private static Info info(String node, String site, boolean ready, List<NodeAddress> nodes) {
        return new Info(1, "test", node, site, 1 << 20, ready, nodes);
    }

    private void threeNodeMesh() {
        List<NodeAddress> all = List.of(new NodeAddress("c1", "cloud", "c1:1", true),
                new NodeAddress("c2", "cloud", "c2:1", true), new NodeAddress("o1", "onprem", "o1:1", true));
        for (NodeAddress n : all) {
            mesh.put(n.clientAddress(), info(n.node(), n.site(), true, all));
        }
        rtts.put("c1:1", 100L);
        rtts.put("c2:1", 200L);
        rtts.put("o1:1", 900L);
    }

    @Test
    void learnsTheMeshFromOneSeedAndPrefersItsSite() {
        threeNodeMesh();
        BrokerConnector.Pick<Scripted> pick = connector("onprem").pick(List.of("c1:1"), List.of(), true, null);
        assertEquals(List.of("o1:1", "c1:1", "c2:1"), pick.ranked.stream().map(BrokerCandidate::address).toList());
        assertEquals("o1:1", pick.answered().get(0).address);
        assertEquals(3, pick.nodes.size());
        pick.closeAllBut(pick.answered().get(0));
        assertTrue(started.stream().allMatch(a -> a.closed == (a != pick.answered().get(0))), "losers closed");
    }

    @Test
    void withoutDiscoveryOnlyTheServersAreTried() {
        threeNodeMesh();
        BrokerConnector.Pick<Scripted> pick = connector("onprem").pick(List.of("c2:1", "c1:1"), List.of(), false, null);
        assertEquals(List.of("c1:1", "c2:1"), pick.ranked.stream().map(BrokerCandidate::address).toList());
        assertEquals(2, started.size());
    }

    @Test
    void skipsTheBrokerJustLostAndRecordsUnreachableOnes() {
        threeNodeMesh();
        List<NodeAddress> known = mesh.get("c1:1").nodes();
        BrokerConnector.Pick<Scripted> pick = connector("onprem").pick(List.of("gone:1"), known, true, "o1:1");
        assertTrue(started.stream().noneMatch(a -> a.address.equals("o1:1")), "the lost broker is not tried first");
        assertEquals("c1:1", pick.answered().get(0).address);
        BrokerCandidate gone = pick.ranked.stream().filter(c -> c.address().equals("gone:1")).findFirst().orElseThrow();
        assertTrue(gone.failed() && gone.error().contains("refused"), gone.toString());
        assertTrue(pick.failures().contains("gone:1: connect failed"), pick.failures());
    }

    @Test
    void aSilentBrokerIsClosedAndFailedOnceOthersAnswered() {
        threeNodeMesh();
        mesh.put("silent:1", null);
        BrokerConnector.Pick<Scripted> pick = connector("").pick(List.of("silent:1", "c2:1"), List.of(), true, null);
        Scripted silent = started.stream().filter(a -> a.address.equals("silent:1")).findFirst().orElseThrow();
        assertTrue(silent.closed);
        assertTrue(pick.ranked.get(pick.ranked.size() - 1).error().contains("no INFO"));
        assertEquals("c1:1", pick.answered().get(0).address);
    }

    @Test
    void attemptsAreBoundedInABigMesh() {
        List<NodeAddress> all = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            all.add(new NodeAddress("n" + i, "s" + (i % 5), "h" + i + ":1", true));
        }
        for (NodeAddress n : all) {
            mesh.put(n.clientAddress(), info(n.node(), n.site(), true, all));
        }
        BrokerConnector.Pick<Scripted> pick = connector("s3").pick(List.of("h0:1"), List.of(), true, null);
        assertEquals(BrokerConnector.MAX_ATTEMPTS, started.size());
        assertEquals(100, pick.ranked.size());
        assertEquals("s3", pick.ranked.get(0).site(), "the attempts go to the preferred site first");
        assertFalse(pick.answered().isEmpty());
    }

    @Test
    void nothingReachableListsEveryFailure() {
        BrokerConnector.Pick<Scripted> pick = connector("").pick(List.of("a:1", "b:2"), List.of(), true, null);
        assertTrue(pick.answered().isEmpty());
        assertTrue(pick.failures().contains("a:1") && pick.failures().contains("b:2"), pick.failures());
    }
}
