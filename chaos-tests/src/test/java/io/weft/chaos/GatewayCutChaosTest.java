package io.weft.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.client.MeshClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scenario 3: every gateway link between two sites is black-holed (the proxy neither reads nor
 * forwards, as behind a dead network) under core pub/sub load. Each side must report the links down
 * within the heartbeat timeout; a subscription made during the cut must reach the other site after
 * the heal (interest reconverges); nothing is delivered twice, nothing loops back to its site, and
 * traffic inside a site is untouched.
 */
class GatewayCutChaosTest {
    private static final long HEARTBEAT_TIMEOUT_MS = 1500; // what Cluster gives every node

    @TempDir
    Path dir;

    @Test
    void gatewayCutIsDetectedAndHealsWithoutDuplicatesOrLoops() throws Exception {
        Scenario.run(3, "gateway link cut between sites under core load", Cluster.loopback(dir), (cluster, row) -> {
            cluster.cloudAndOnprem(2, 2);
            try (MeshClient pub = cluster.client("c1");
                 MeshClient subRemote = cluster.client("o2");
                 MeshClient subLocal = cluster.client("c2");
                 MeshClient subLate = cluster.client("o1")) {
                Workload.Recorder remote = new Workload.Recorder("o2").subscribe(subRemote, "core.>");
                Workload.Recorder local = new Workload.Recorder("c2").subscribe(subLocal, "core.>");
                subRemote.flush(Duration.ofSeconds(10));
                subLocal.flush(Duration.ofSeconds(10));
                Await.until(Duration.ofSeconds(30), () -> MeshChecks.converged(cluster),
                        () -> "interest not converged: " + MeshChecks.divergence(cluster));
                int rate = Profile.isLong() ? 2000 : 500;
                Workload.CorePublisher ticks = new Workload.CorePublisher(pub, "core.tick", "t", rate).start();
                Workload.CorePublisher late = null;
                Workload.Recorder lateRec = new Workload.Recorder("o1-late");
                try {
                    Await.until(Duration.ofSeconds(30), () -> remote.total() > 100, () -> remote.total() + " at o2");
                    Await.running(Profile.phase(3, 60), () -> cluster.allAlive(), () -> "a node died");

                    // cut every link between the sites
                    long cutAt = System.nanoTime();
                    cluster.siteLinkFaults("cloud", "onprem", FaultProxy.Faults.BLACK_HOLE);
                    Await.until(Duration.ofSeconds(30), () -> MeshChecks.noLinksBetween(cluster, "cloud", "onprem"),
                            () -> "links still up after the cut");
                    long detectMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - cutAt);
                    System.out.printf("gateway links reported down %d ms after the cut%n", detectMs);

                    // interest changes while cut off: must cross once the links are back
                    lateRec.subscribe(subLate, "late.>");
                    subLate.flush(Duration.ofSeconds(10));
                    late = new Workload.CorePublisher(pub, "late.x", "l", 100).start();
                    Await.running(Profile.phase(3, 30), () -> cluster.allAlive(), () -> "a node died");
                    assertEquals(0, lateRec.total(), "late.x crossed a black-holed gateway");

                    long healAt = System.nanoTime();
                    cluster.heal();
                    Await.until(Duration.ofSeconds(60), () -> remote.times().firstAfter(healAt) > 0,
                            () -> "nothing reached o2 after the heal");
                    long recoverMs = TimeUnit.NANOSECONDS.toMillis(remote.times().firstAfter(healAt) - healAt);
                    Await.until(Duration.ofSeconds(60), () -> lateRec.total() > 0,
                            () -> "the subscription made during the cut never attracted late.x");
                    Await.until(Duration.ofSeconds(30), () -> MeshChecks.converged(cluster),
                            () -> "interest not reconverged: " + MeshChecks.divergence(cluster));
                    long convergedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - healAt);
                    Await.running(Profile.phase(2, 30), () -> cluster.allAlive(), () -> "a node died");
                    row.recovery = "detect " + detectMs + " ms; first delivery " + recoverMs + " ms, interest "
                            + convergedMs + " ms after heal";
                    assertTrue(detectMs <= HEARTBEAT_TIMEOUT_MS + 1000,
                            "links reported down after " + detectMs + " ms, heartbeat timeout " + HEARTBEAT_TIMEOUT_MS);
                } finally {
                    ticks.close();
                    if (late != null) {
                        late.close();
                    }
                }
                pub.flush(Duration.ofSeconds(10));
                long last = ticks.published() - 1;
                Await.until(Duration.ofSeconds(30), () -> remote.has("t", last) && local.has("t", last),
                        () -> "the last tick did not arrive everywhere");
                Checker.CoreResult r = Checker.core(ticks.published(), remote.arrivals("t"));
                Checker.CoreResult l = Checker.core(ticks.published(), local.arrivals("t"));
                Checker.CoreResult lr = Checker.core(late.published(), lateRec.arrivals("l"));
                long backToCloud = 0;
                for (String o : cluster.names("onprem")) {
                    backToCloud += MeshChecks.eventsSentToSite(cluster, o, "cloud");
                }
                row.corePublished = ticks.published();
                row.coreReceived = r.received();
                row.coreLost = r.lost();
                row.duplicated = r.duplicated() + l.duplicated() + lr.duplicated();
                row.reordered = r.reordered() + l.reordered() + lr.reordered();
                row.note("same-site subscriber lost " + l.lost() + "; events sent back from onprem to cloud "
                        + backToCloud);
                assertEquals(0, row.duplicated, "duplicated deliveries: remote " + r + ", local " + l + ", late " + lr);
                assertEquals(0, row.reordered, "reordered deliveries: remote " + r + ", local " + l);
                assertEquals(0, l.lost(), "the cut between sites lost events inside a site: " + l);
                assertEquals(0, backToCloud, "events looped back from onprem to cloud");
            }
        });
    }
}
