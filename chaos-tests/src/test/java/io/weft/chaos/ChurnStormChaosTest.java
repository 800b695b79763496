package io.weft.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.weft.client.MeshClient;
import io.weft.client.Subscription;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scenario 6: clients on every node of two sites subscribe and unsubscribe thousands of times per
 * second while core events flow to steady subscribers. Afterwards interest converges to exactly the
 * steady subscriptions on every node, the steady subscribers got every event once, and no node's
 * heap or CPU runs away.
 */
class ChurnStormChaosTest {
    private static final int OPS_PER_SECOND_PER_CLIENT = 1000;

    @TempDir
    Path dir;

    @Test
    void subscriberChurnStormConvergesAndStaysBounded() throws Exception {
        Scenario.run(6, "subscriber churn storm across sites while publishing", Cluster.loopback(dir), (cluster, row) -> {
            cluster.cloudAndOnprem(2, 2);
            List<MeshClient> churnClients = new ArrayList<>();
            try (MeshClient pub = cluster.client("c1");
                 MeshClient steadyRemote = cluster.client("o2");
                 MeshClient steadyLocal = cluster.client("c2")) {
                Workload.Recorder remote = new Workload.Recorder("o2").subscribe(steadyRemote, "core.>");
                Workload.Recorder local = new Workload.Recorder("c2").subscribe(steadyLocal, "core.>");
                steadyRemote.flush(Duration.ofSeconds(10));
                steadyLocal.flush(Duration.ofSeconds(10));
                Await.until(Duration.ofSeconds(30), () -> MeshChecks.converged(cluster),
                        () -> "interest not converged: " + MeshChecks.divergence(cluster));
                Workload.CorePublisher ticks = new Workload.CorePublisher(pub, "core.tick", "t", 500).start();
                AtomicBoolean stop = new AtomicBoolean();
                AtomicLong ops = new AtomicLong();
                List<Thread> churners = new ArrayList<>();
                long stormNanos;
                try {
                    Await.until(Duration.ofSeconds(30), () -> remote.total() > 100, () -> remote.total() + " at o2");
                    for (Cluster.Node n : cluster.nodes()) {
                        MeshClient c = cluster.client(n.name);
                        churnClients.add(c);
                        Thread t = new Thread(() -> churn(c, n.name, stop, ops), "churn-" + n.name);
                        churners.add(t);
                    }
                    long t0 = System.nanoTime();
                    churners.forEach(Thread::start);
                    Await.running(Profile.phase(5, 120), () -> cluster.allAlive(),
                            () -> "a node died during the churn storm");
                    stop.set(true);
                    for (Thread t : churners) {
                        t.join(30_000);
                    }
                    stormNanos = System.nanoTime() - t0;
                    for (MeshClient c : churnClients) {
                        c.flush(Duration.ofSeconds(30));
                    }
                    long calm = System.nanoTime();
                    Await.until(Duration.ofSeconds(60), () -> MeshChecks.converged(cluster) && noChurnInterest(cluster),
                            () -> "interest not converged after the storm: " + MeshChecks.divergence(cluster));
                    row.recovery = "interest converged " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - calm)
                            + " ms after the storm";
                } finally {
                    stop.set(true);
                    ticks.close();
                }
                double opsPerSecond = ops.get() * 1e9 / stormNanos;
                Map<String, Double> cpu = cpuCores(cluster, Duration.ofSeconds(3));
                pub.flush(Duration.ofSeconds(10));
                long last = ticks.published() - 1;
                Await.within(Duration.ofSeconds(30), () -> remote.has("t", last)
                        && local.has("t", last));
                Checker.CoreResult r = Checker.core(ticks.published(), remote.arrivals("t"));
                Checker.CoreResult l = Checker.core(ticks.published(), local.arrivals("t"));
                row.corePublished = ticks.published();
                row.coreReceived = r.received();
                row.coreLost = r.lost() + l.lost();
                row.duplicated = r.duplicated() + l.duplicated();
                row.reordered = r.reordered() + l.reordered();
                row.note(String.format("%.0f subscribe+unsubscribe ops/s over %d clients; CPU after the storm %s "
                        + "cores", opsPerSecond, churnClients.size(), cpu));
                assertEquals(0, row.duplicated, "remote " + r + ", local " + l);
                assertEquals(0, row.coreLost, "steady subscribers lost events during the churn: remote " + r + ", local " + l);
                cluster.peakRetained().forEach((n, h) -> assertTrue(h < (160L << 20), n + " retained " + (h >> 20) + " MiB of heap"));
                cpu.forEach((n, c) -> assertTrue(c < 0.5, n + " still uses " + c + " cores after the storm"));
            } finally {
                for (MeshClient c : churnClients) {
                    c.close();
                }
            }
        });
    }

    /** Keeps up to 200 subscriptions from a space of 5,000 patterns, replacing one per op. */
    private static void churn(MeshClient client, String node, AtomicBoolean stop, AtomicLong ops) {
        SplittableRandom random = new SplittableRandom(node.hashCode());
        ArrayDeque<Subscription> held = new ArrayDeque<>();
        long started = System.nanoTime();
        long done = 0;
        while (!stop.get()) {
            long due = started + done * 1_000_000_000L / OPS_PER_SECOND_PER_CLIENT;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
                continue;
            }
            if (held.size() >= 200 || (held.size() > 0 && random.nextBoolean())) {
                client.unsubscribe(held.poll());
            } else {
                String p = "churn." + node + "." + random.nextInt(5000) + (random.nextInt(4) == 0 ? ".>" : ".*");
                held.add(client.subscribe(p, m -> { }));
            }
            done++;
            ops.incrementAndGet();
        }
        while (!held.isEmpty()) {
            client.unsubscribe(held.poll());
            ops.incrementAndGet();
        }
    }

    /** No node holds any churn pattern for a peer or a remote site any more. */
    private static boolean noChurnInterest(Cluster cluster) {
        for (Cluster.Node n : cluster.nodes()) {
            JsonNode v = cluster.get(n.name, "/v1/interest");
            if (v == null || v.toString().contains("churn.")) {
                return false;
            }
        }
        return true;
    }

    /** Each node's CPU use over {@code window}, in cores, from process_cpu_seconds_total. */
    private static Map<String, Double> cpuCores(Cluster cluster, Duration window) {
        Map<String, Long> before = new LinkedHashMap<>();
        Map<String, Double> start = new LinkedHashMap<>();
        for (Cluster.Node n : cluster.nodes()) {
            start.put(n.name, cpuSeconds(cluster, n.name));
            before.put(n.name, System.nanoTime());
        }
        Await.running(window, () -> cluster.allAlive(), () -> "a node died");
        Map<String, Double> out = new LinkedHashMap<>();
        for (Cluster.Node n : cluster.nodes()) {
            double used = cpuSeconds(cluster, n.name) - start.get(n.name);
            double secs = (System.nanoTime() - before.get(n.name)) / 1e9;
            out.put(n.name, Math.round(used / secs * 100) / 100.0);
        }
        return out;
    }

    private static double cpuSeconds(Cluster cluster, String node) {
        double s = Metrics.sum(cluster.metrics(node), "process_cpu_seconds_total");
        if (Double.isNaN(s)) {
            throw new AssertionError(node + " exposes no process_cpu_seconds_total");
        }
        return s;
    }
}
