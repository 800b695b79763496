package io.weft.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.client.ClientOptions;
import io.weft.client.MeshClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scenario 8 (issue 12): every node of the demo topology starts at the same moment while core
 * traffic is already offered; once the mesh is whole, a three-replica stream of site cloud takes
 * durable publishes from site onprem, and every cloud node is stopped at the same moment and started
 * again together. The mesh must form whole both times ({@code meshctl check}), no acknowledged
 * event is lost (the client's retries and the stream's dedupe cover the outage), and no core event
 * is delivered twice.
 */
class ColdStartChaosTest {
    @TempDir
    Path dir;

    @Test
    void coldStartUnderLoadThenAWholeSiteRestartsAtOnce() throws Exception {
        Scenario.run(8, "cold start of all nodes at once under load, then a whole site restarted at once",
                Cluster.loopback(dir), (cluster, row) -> {
                    long start = System.nanoTime();
                    cluster.startTogether(DemoTopology.specs());
                    List<String> cloud = cluster.names("cloud");
                    String cloudServers = String.join(",", cloud.stream().map(n -> cluster.node(n).client()).toList());
                    try (MeshClient onprem = MeshClient.connect(ClientOptions.builder()
                                 .servers(cluster.node("onprem-1").client()).discover(false)
                                 // retries span the whole-site outage: nothing acked is lost, nothing fails
                                 .durablePublishTimeout(Duration.ofSeconds(180)).build());
                         MeshClient cloudSub = MeshClient.connect(ClientOptions.builder().servers(cloudServers.split(","))
                                 .discover(false).build())) {
                        // load from the first moment: the mesh forms under it
                        Workload.Recorder sub = new Workload.Recorder("cloud").subscribe(cloudSub, "core.>");
                        Workload.CorePublisher core = new Workload.CorePublisher(onprem, "core.tick", "t", 500).start();
                        Workload.DurableProducer durable = null;
                        List<String> phases = new ArrayList<>();
                        try {
                            cluster.awaitReady(Duration.ofSeconds(90));
                            assertWhole(cluster, "after the cold start");
                            long formed = System.nanoTime();
                            phases.add("whole " + TimeUnit.NANOSECONDS.toMillis(formed - start) + " ms after the cold start");
                            Await.until(Duration.ofSeconds(30), () -> sub.times().firstAfter(formed) > 0,
                                    () -> "no core event crosses the sites after the mesh formed");

                            StreamOps.create(onprem, "orders", "orders.>", 3, "cloud");
                            durable = new Workload.DurableProducer(onprem, "orders.created", "d", 64, 1000, 256).start();
                            Workload.DurableProducer d = durable;
                            Await.until(Duration.ofSeconds(60), () -> d.acks() > 300, () -> "no acks: " + d.reasons());

                            long stoppedAt = System.nanoTime();
                            cluster.stopTogether(cloud);
                            cluster.restartTogether(cloud);
                            cluster.awaitReady(Duration.ofSeconds(90));
                            assertWhole(cluster, "after the whole-site restart");
                            long back = System.nanoTime();
                            Await.until(Duration.ofSeconds(120), () -> d.ackTimes().firstCausedAfter(back) > 0,
                                    () -> "no ack after site cloud came back: " + d.reasons());
                            long gap = TimeUnit.NANOSECONDS.toMillis(d.ackTimes().firstCausedAfter(stoppedAt) - stoppedAt);
                            phases.add("site cloud whole again " + TimeUnit.NANOSECONDS.toMillis(back - stoppedAt)
                                    + " ms after its stop; first ack of a publish sent after the stop " + gap + " ms");
                            Await.until(Duration.ofSeconds(30), () -> sub.times().firstAfter(back) > 0,
                                    () -> "the cloud subscriber gets nothing after the restart");
                            Await.running(Profile.phase(3, 60), cluster::allAlive, () -> "a node died");
                        } finally {
                            if (durable != null) {
                                durable.close();
                            }
                            core.close();
                        }
                        onprem.flush(Duration.ofSeconds(10));
                        long last = core.published() - 1;
                        Await.within(Duration.ofSeconds(30), () -> sub.has("t", last));
                        Checker.StreamResult r = StreamOps.checkAll(cluster, onprem, "orders", cloud, durable.acked());
                        Checker.CoreResult c = Checker.core(core.published(), sub.arrivals("t"));
                        row.acked = durable.acks();
                        row.lost = r.lost();
                        row.duplicated = r.duplicated() + c.duplicated();
                        row.reordered = r.reordered() + c.reordered();
                        row.corePublished = core.published();
                        row.coreReceived = c.received();
                        row.coreLost = c.lost();
                        row.recovery = String.join("; ", phases);
                        row.note(durable.failures() + " durable publishes failed after retries; core loss is the"
                                + " time before the mesh formed and the site's outage");
                        assertTrue(r.clean(), r.toString());
                        assertEquals(0, durable.conflicts());
                        assertEquals(0, durable.failures(), "durable publishes failed: " + durable.reasons());
                        assertEquals(0, c.duplicated(), c.toString());
                    }
                });
    }

    private static void assertWhole(Cluster cluster, String when) throws Exception {
        Cluster.Check check = cluster.meshCheck(Duration.ofSeconds(60));
        if (!check.whole()) {
            StringBuilder logs = new StringBuilder();
            for (Cluster.Node n : cluster.nodes()) {
                logs.append('\n').append(cluster.warnings(n.name, 15));
            }
            throw new AssertionError("the mesh is not whole " + when + ":\n" + check.output() + logs);
        }
    }
}
