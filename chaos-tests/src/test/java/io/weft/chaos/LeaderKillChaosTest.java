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
 * Scenario 1: the leader of a three-replica stream is killed with {@code kill -9} under acked load,
 * five times in a row (each killed leader restarts as a follower before the next kill). The producer
 * publishes from another site. Afterwards every acked event is on every replica and in a replay
 * exactly once, at its acked sequence.
 */
class LeaderKillChaosTest {
    @TempDir
    Path dir;

    @Test
    void leaderKilledFiveTimesUnderAckedLoad() throws Exception {
        int kills = Profile.times(5, 20);
        Scenario.run(1, "stream leader kill -9 x" + kills + " under acked load", Cluster.loopback(dir), (cluster, row) -> {
            cluster.cloudAndOnprem(3, 1);
            try (MeshClient client = MeshClient.connect(ClientOptions.builder().servers(cluster.node("o1").client())
                    .discover(false).build())) {
                StreamOps.create(client, "orders", "orders.>", 3, "cloud");
                Duration between = Profile.phase(2, 10);
                List<Long> recoveries = new ArrayList<>();
                Workload.DurableProducer producer = new Workload.DurableProducer(client, "orders.created", "p", 64,
                        3000, 256).start();
                try {
                    for (int i = 0; i < kills; i++) {
                        long base = producer.acks();
                        Await.until(Duration.ofSeconds(60), () -> producer.acks() > base + 200,
                                () -> producer.acks() + " acked, failures " + producer.reasons());
                        Await.running(between, () -> cluster.node("o1").alive(), () -> "o1 died");
                        String leader = StreamOps.awaitLeader(cluster, "orders", Duration.ofSeconds(30));
                        long killedAt = System.nanoTime();
                        cluster.kill9(leader);
                        Await.until(Duration.ofSeconds(60), () -> producer.ackTimes().firstCausedAfter(killedAt) > 0,
                                () -> "no ack since killing leader " + leader + "; failures " + producer.reasons());
                        long rec = TimeUnit.NANOSECONDS.toMillis(producer.ackTimes().firstCausedAfter(killedAt) - killedAt);
                        recoveries.add(rec);
                        String next = StreamOps.awaitLeader(cluster, "orders", Duration.ofSeconds(30));
                        assertTrue(!next.equals(leader), "the killed node " + leader + " is still the leader");
                        System.out.printf("kill %d: leader %s, new leader %s, first ack of a publish sent after the kill: %d ms%n",
                                i + 1, leader, next, rec);
                        cluster.restart(leader);
                        Await.until(Duration.ofSeconds(90), () -> cluster.ready(leader), () -> leader + " not ready");
                    }
                    long base = producer.acks();
                    Await.until(Duration.ofSeconds(60), () -> producer.acks() > base + 200,
                            () -> producer.acks() + " acked after the last restart");
                } finally {
                    producer.close();
                }
                Checker.StreamResult r = StreamOps.checkAll(cluster, client, "orders", List.of("c1", "c2", "c3"),
                        producer.acked());
                row.acked = producer.acks();
                row.lost = r.lost();
                row.duplicated = r.duplicated();
                row.reordered = r.reordered();
                row.recovery = "max " + recoveries.stream().mapToLong(Long::longValue).max().orElse(0) + " ms "
                        + recoveries;
                row.note(kills + " kills; " + producer.failures() + " publishes failed after retries");
                assertTrue(r.clean(), r.toString());
                assertEquals(0, producer.conflicts(), "two events acked with one sequence");
                assertEquals(0, producer.failures(), "publishes that failed after all retries: " + producer.reasons());
            }
        });
    }
}
