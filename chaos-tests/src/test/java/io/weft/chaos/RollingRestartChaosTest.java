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
 * Scenario 5: every node of the site holding a three-replica stream is stopped (SIGTERM) and started
 * again with its data dir, one after the other, while another site publishes durable and core events
 * and a subscriber of the restarted site follows the restarts (the client fails over and
 * resubscribes). No acked event is lost; no core event is delivered twice.
 */
class RollingRestartChaosTest {
    @TempDir
    Path dir;

    @Test
    void rollingRestartOfASiteUnderLoad() throws Exception {
        Scenario.run(5, "rolling restart of every node of a site under load", Cluster.loopback(dir), (cluster, row) -> {
            cluster.cloudAndOnprem(3, 1);
            String cloudServers = String.join(",", cluster.node("c1").client(), cluster.node("c2").client(),
                    cluster.node("c3").client());
            try (MeshClient onprem = cluster.client("o1");
                 MeshClient cloudSub = MeshClient.connect(ClientOptions.builder().servers(cloudServers.split(","))
                         .discover(false).build())) {
                StreamOps.create(onprem, "orders", "orders.>", 3, "cloud");
                Workload.Recorder sub = new Workload.Recorder("cloud").subscribe(cloudSub, "core.>");
                cloudSub.flush(Duration.ofSeconds(10));
                Await.until(Duration.ofSeconds(30), () -> MeshChecks.converged(cluster),
                        () -> "interest not converged: " + MeshChecks.divergence(cluster));
                Workload.DurableProducer durable = new Workload.DurableProducer(onprem, "orders.created", "d", 64,
                        2000, 256).start();
                Workload.CorePublisher core = new Workload.CorePublisher(onprem, "core.tick", "t", 500).start();
                List<Long> gaps = new ArrayList<>();
                int rounds = Profile.times(1, 5);
                try {
                    for (int round = 0; round < rounds; round++) {
                        for (String n : cluster.names("cloud")) {
                            long base = durable.acks();
                            Await.until(Duration.ofSeconds(60), () -> durable.acks() > base + 200,
                                    () -> "acks stalled before restarting " + n + ": " + durable.reasons());
                            Await.running(Profile.phase(1, 10), () -> cluster.node("o1").alive(), () -> "o1 died");
                            long stoppedAt = System.nanoTime();
                            cluster.stop(n);
                            cluster.restart(n);
                            Await.until(Duration.ofSeconds(90), () -> cluster.ready(n), () -> n + " not ready after restart");
                            long readyAt = System.nanoTime();
                            Await.until(Duration.ofSeconds(60), () -> durable.ackTimes().firstCausedAfter(readyAt) > 0,
                                    () -> "no ack after " + n + " came back: " + durable.reasons());
                            long gap = TimeUnit.NANOSECONDS.toMillis(durable.ackTimes().firstCausedAfter(stoppedAt) - stoppedAt);
                            gaps.add(gap);
                            System.out.printf("restarted %s: first ack of a publish sent after the stop: %d ms, "
                                    + "node back in %d ms%n", n, gap, TimeUnit.NANOSECONDS.toMillis(readyAt - stoppedAt));
                        }
                    }
                    Await.until(Duration.ofSeconds(30), () -> sub.times().firstAfter(System.nanoTime() - 1_000_000_000L) > 0,
                            () -> "the cloud subscriber gets nothing after the restarts");
                } finally {
                    durable.close();
                    core.close();
                }
                onprem.flush(Duration.ofSeconds(10));
                long last = core.published() - 1;
                Await.within(Duration.ofSeconds(30), () -> sub.has("t", last));
                Checker.StreamResult r = StreamOps.checkAll(cluster, onprem, "orders", cluster.names("cloud"), durable.acked());
                Checker.CoreResult c = Checker.core(core.published(), sub.arrivals("t"));
                row.acked = durable.acks();
                row.lost = r.lost();
                row.duplicated = r.duplicated() + c.duplicated();
                row.reordered = r.reordered() + c.reordered();
                row.corePublished = core.published();
                row.coreReceived = c.received();
                row.coreLost = c.lost();
                row.recovery = "max ack gap " + gaps.stream().mapToLong(Long::longValue).max().orElse(0) + " ms " + gaps;
                row.note(rounds + " round(s) of " + cluster.names("cloud").size() + " restarts; "
                        + durable.failures() + " durable publishes failed after retries; core loss is the "
                        + "subscriber's reconnects");
                assertTrue(r.clean(), r.toString());
                assertEquals(0, durable.conflicts());
                assertEquals(0, durable.failures(), "durable publishes failed: " + durable.reasons());
                assertEquals(0, c.duplicated(), c.toString());
            }
        });
    }
}
