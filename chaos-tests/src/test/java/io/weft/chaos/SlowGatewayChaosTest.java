package io.weft.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.client.MeshClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scenario 4: the gateway links between two sites get 50 ms (+0..10 ms jitter) of latency each way
 * and a bandwidth limit below the offered load, while core events flow one way and durable publishes
 * the other. Memory stays bounded on both sides (the link's write budget, not the heap, absorbs the
 * backlog), core events beyond the budget are dropped and counted, and every durable publish ends
 * acknowledged or failed to its producer: none is lost after its ack.
 */
class SlowGatewayChaosTest {
    private static final long BANDWIDTH = 256 * 1024; // bytes per second each way
    private static final long RETAINED_BOUND = 160L << 20; // nodes run with -Xmx256m
    private static final long DIRECT_BOUND = 200L << 20;

    @TempDir
    Path dir;

    @Test
    void slowGatewayKeepsMemoryBoundedAndDurablePublishesAccounted() throws Exception {
        Scenario.run(4, "slow gateway (50 ms, 256 KiB/s) under core + durable load", Cluster.loopback(dir), (cluster, row) -> {
            cluster.cloudAndOnprem(3, 1);
            try (MeshClient cloud = cluster.client("c2");
                 MeshClient onprem = cluster.client("o1");
                 MeshClient onpremSub = cluster.client("o1")) {
                StreamOps.create(onprem, "orders", "orders.>", 3, "cloud");
                Workload.Recorder sub = new Workload.Recorder("o1").subscribe(onpremSub, "bulk.>");
                onpremSub.flush(Duration.ofSeconds(10));
                Await.until(Duration.ofSeconds(30), () -> MeshChecks.converged(cluster),
                        () -> "interest not converged: " + MeshChecks.divergence(cluster));
                // ~1,000 events/s of ~1 KiB towards onprem: four times what the slowed link carries
                Workload.CorePublisher bulk = new Workload.CorePublisher(cloud, "bulk.x", "b", 1000, 1024).start();
                Workload.DurableProducer durable = new Workload.DurableProducer(onprem, "orders.created", "d", 64, 2000, 256)
                        .start();
                long cleanAcks;
                long slowAcks;
                try {
                    Duration phase = Profile.phase(4, 120);
                    long a0 = durable.acks();
                    Await.running(phase, () -> cluster.allAlive(), () -> "a node died");
                    cleanAcks = durable.acks() - a0;
                    cluster.siteLinkFaults("cloud", "onprem", FaultProxy.Faults.both(
                            FaultProxy.Direction.slow(50, 10, BANDWIDTH)));
                    long a1 = durable.acks();
                    Await.running(phase.multipliedBy(2), () -> cluster.allAlive(),
                            () -> "a node died under the slow link");
                    slowAcks = durable.acks() - a1;
                    cluster.heal();
                    long a2 = durable.acks();
                    Await.until(Duration.ofSeconds(60), () -> durable.acks() > a2 + 100,
                            () -> "durable publishing did not resume after the heal: " + durable.reasons());
                } finally {
                    bulk.close();
                    durable.close();
                }
                // the backlog drains after the heal; what never arrives was dropped somewhere
                cloud.flush(Duration.ofSeconds(10));
                long last = bulk.published() - 1;
                Await.within(Duration.ofSeconds(30), () -> sub.has("b", last));
                long drops = 0;
                for (String c : cluster.names("cloud")) {
                    drops += Math.max(0, Metrics.value(cluster.metrics(c), "weft_link_drops_total{peer=\"o1\""));
                }
                long slowConsumer = Math.max(0, Metrics.value(cluster.metrics("o1"), "weft_slow_consumer_drops_total"));
                Checker.CoreResult core = Checker.core(bulk.published(), sub.arrivals("b"));
                long[] got = sub.arrivals("b");
                java.util.BitSet seen = new java.util.BitSet();
                for (long n : got) {
                    seen.set((int) n);
                }
                StringBuilder gaps = new StringBuilder();
                for (int i = seen.nextClearBit(0); i < bulk.published() && gaps.length() < 400; ) {
                    int end = Math.min((int) bulk.published(), seen.nextSetBit(i) < 0 ? (int) bulk.published() : seen.nextSetBit(i));
                    gaps.append(i).append("..").append(end - 1).append(' ');
                    i = seen.nextClearBit(end);
                }
                System.out.println("core gaps at o1: " + gaps);
                Checker.StreamResult stream = StreamOps.checkAll(cluster, onprem, "orders", List.of("c1", "c2", "c3"),
                        durable.acked());
                Map<String, Long> heap = cluster.peakRetained();
                row.acked = durable.acks();
                row.lost = stream.lost();
                row.duplicated = stream.duplicated() + core.duplicated();
                row.reordered = stream.reordered() + core.reordered();
                row.corePublished = bulk.published();
                row.coreReceived = core.received();
                row.coreLost = core.lost();
                row.note(String.format("durable acks per phase clean %d, slowed %d; %d publishes failed to the "
                        + "producer (told); core drops counted: link %d, slow consumer %d",
                        cleanAcks, slowAcks, durable.failures(), drops, slowConsumer));
                assertTrue(stream.clean(), stream.toString());
                assertEquals(0, core.duplicated(), core.toString());
                assertEquals(durable.sent(), durable.acks() + durable.failures(),
                        "every durable publish ends acked or failed to its producer");
                heap.forEach((n, h) -> assertTrue(h < RETAINED_BOUND, n + " retained " + (h >> 20) + " MiB of heap"));
                cluster.peakDirect().forEach((n, d) -> assertTrue(d < DIRECT_BOUND,
                        n + " direct memory peaked at " + (d >> 20) + " MiB"));
                assertTrue(core.lost() <= drops + slowConsumer,
                        "core events lost without being counted: lost " + core.lost() + ", counted " + (drops + slowConsumer));
            }
        });
    }
}
