package io.weft.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.weft.client.MeshClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scenario 12: a site graph with two paths. An edge site (no-transit) dials two hub sites, each of which
 * dials the cloud; the edge publishes core events to a subscriber in the cloud. The edge's link to the hub
 * its tree uses is black-holed (no reset: only the heartbeat timeout tells). Its events must move to the
 * other hub after detection, and back after the heal, never delivered twice and never looping; the loss
 * window is measured against the heartbeat timeout.
 */
class UplinkCutChaosTest {
    private static final long HEARTBEAT_TIMEOUT_MS = 1500; // what Cluster gives every node

    @TempDir
    Path dir;

    /** The parent of {@code site} in the tree of {@code origin}, as {@code node} sees it. */
    private static String parent(Cluster cluster, String node, String origin, String site) {
        JsonNode t = cluster.get(node, "/v1/topology");
        return t == null ? null : t.path("trees").path(origin).path("parents").path(site).asText(null);
    }

    @Test
    void edgeTrafficFailsOverToTheOtherHubAndBack() throws Exception {
        Scenario.run(12, "edge uplink cut with a second path (multi-hop)", Cluster.loopback(dir), (cluster, row) -> {
            cluster.start("c1", "cloud");
            cluster.startLinked("ha1", "huba", List.of("c1"), List.of());
            cluster.startLinked("hb1", "hubb", List.of("c1"), List.of());
            cluster.startLinked("e1", "edge", List.of("ha1", "hb1"), List.of(), "--no-transit");
            for (String n : List.of("c1", "ha1", "hb1", "e1")) {
                Await.until(Duration.ofSeconds(60), () -> cluster.ready(n), () -> n + " not ready");
            }
            Await.until(Duration.ofSeconds(30), () -> "huba".equals(parent(cluster, "e1", "edge", "cloud")),
                    () -> "the edge's tree does not go through huba: " + cluster.get("e1", "/v1/topology"));
            try (MeshClient pub = cluster.client("e1"); MeshClient subCloud = cluster.client("c1")) {
                Workload.Recorder cloud = new Workload.Recorder("c1").subscribe(subCloud, "edge.>");
                subCloud.flush(Duration.ofSeconds(10));
                int rate = Profile.isLong() ? 2000 : 500;
                Workload.CorePublisher ticks = new Workload.CorePublisher(pub, "edge.tick", "t", rate).start();
                long detectMs;
                long lossMs;
                long backMs;
                try {
                    Await.until(Duration.ofSeconds(30), () -> cloud.total() > 100, () -> cloud.total() + " at c1");
                    Await.running(Profile.phase(2, 30), () -> cluster.allAlive(), () -> "a node died");

                    long cutAt = System.nanoTime();
                    cluster.siteLinkFaults("edge", "huba", FaultProxy.Faults.BLACK_HOLE);
                    Await.until(Duration.ofSeconds(30), () -> "hubb".equals(parent(cluster, "e1", "edge", "cloud")),
                            () -> "the edge's tree did not move to hubb");
                    long movedAt = System.nanoTime();
                    detectMs = TimeUnit.NANOSECONDS.toMillis(movedAt - cutAt);
                    Await.until(Duration.ofSeconds(30), () -> cloud.times().firstAfter(movedAt) > 0,
                            () -> "nothing reached c1 through hubb");
                    lossMs = TimeUnit.NANOSECONDS.toMillis(cloud.times().largestGapAfter(cutAt));
                    Await.running(Profile.phase(2, 30), () -> cluster.allAlive(), () -> "a node died");

                    long healAt = System.nanoTime();
                    cluster.heal();
                    Await.until(Duration.ofSeconds(60), () -> "huba".equals(parent(cluster, "e1", "edge", "cloud"))
                            && "huba".equals(parent(cluster, "c1", "edge", "cloud")), () -> "the tree did not move back");
                    backMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - healAt);
                    Await.running(Profile.phase(2, 30), () -> cluster.allAlive(), () -> "a node died");
                } finally {
                    ticks.close();
                }
                pub.flush(Duration.ofSeconds(10));
                long last = ticks.published() - 1;
                Await.until(Duration.ofSeconds(30), () -> cloud.has("t", last), () -> "the last tick did not arrive");
                Checker.CoreResult r = Checker.core(ticks.published(), cloud.arrivals("t"));
                long back = MeshChecks.eventsSentToSite(cluster, "ha1", "edge") + MeshChecks.eventsSentToSite(cluster, "hb1", "edge");
                row.corePublished = ticks.published();
                row.coreReceived = r.received();
                row.coreLost = r.lost();
                row.duplicated = r.duplicated();
                row.reordered = r.reordered();
                row.recovery = "tree moved " + detectMs + " ms after the cut, largest gap at c1 " + lossMs
                        + " ms; moved back " + backMs + " ms after the heal";
                row.note("events sent back toward the edge " + back);
                System.out.printf("uplink cut: %s; %s%n", row.recovery, r);
                assertEquals(0, r.duplicated(), "duplicated deliveries: " + r);
                assertEquals(0, back, "events looped back toward the edge");
                assertTrue(detectMs <= HEARTBEAT_TIMEOUT_MS + 2000,
                        "the tree moved " + detectMs + " ms after the cut, heartbeat timeout " + HEARTBEAT_TIMEOUT_MS);
            }
        });
    }
}
