package io.weft.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cloudevents.CloudEvent;
import io.weft.client.MeshClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scenario 11: a durable rule of site cloud delivers to an HTTP sink that is down (connections refused), then
 * slow (200 ms an answer), then healthy, while every node of cloud is stopped (SIGTERM) and started again, one
 * by one: a replica of the rule's stream while the sink is down, the rule's runner while it is slow. A producer
 * of site onprem publishes durably at 200 events/s all along. A best-effort rule on the same topic and the same
 * sink, at another path, is the comparison. At the end every acked event has reached the durable rule's sink (a
 * 200) or its dead-letter topic; the duplicates, the dead letters and the best-effort rule's losses are reported.
 */
class SinkOutageChaosTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final String SITE = "cloud";
    private static final String TOPIC = "chaos.events.created";
    /** Not under the rules' topic (chaos.events.>): a dead letter would be captured and delivered again. */
    private static final String DEAD_TOPIC = "chaos.dead";
    private static final int RATE_PER_SECOND = 200;
    private static final Duration SLOW_ANSWER = Duration.ofMillis(200);
    /**
     * 5 retries, 0.1 s doubling up to 1 s (about 2 s of backoff: a sink that is down gives up events in about
     * 2 s each), 1 s per request (above the slow answer). The ack wait this makes (10 s + 6 x 1 s + twice the
     * backoffs, about 20 s) is the stall of the durable rule after its runner stops with events out.
     */
    private static final String DELIVERY = "{\"retry\":5,\"backoffDelay\":\"PT0.1S\",\"backoffMax\":\"PT1S\","
            + "\"timeout\":\"PT1S\",\"deadLetterTopic\":\"" + DEAD_TOPIC + "\"}";
    /** Events in flight at once per rule (the default): the durable consumer has twice this out. */
    private static final int CONCURRENCY = 16;

    @TempDir
    Path dir;

    /** The two rules under test, what their sink took and what they dead-lettered. */
    private record Rules(String durable, String bestEffort, HttpSink.Tally durableSink, HttpSink.Tally bestEffortSink,
                         HttpSink.Tally durableDead, HttpSink.Tally bestEffortDead, Duration ackWait) {
    }

    @Test
    void sinkDownThenSlowThenBackDuringARollingRestartOfTheRulesSite() throws Exception {
        Scenario.run(11, "HTTP sink down, slow, back during a rolling restart of the rule's site", Cluster.loopback(dir),
                (cluster, row) -> {
            cluster.cloudAndOnprem(3, 1);
            try (HttpSink sink = HttpSink.start(SLOW_ANSWER); MeshClient onprem = cluster.client("o1")) {
                Rules rules = createRules(cluster, onprem, sink);
                Workload.DurableProducer producer = new Workload.DurableProducer(onprem, TOPIC, "s", 64,
                        RATE_PER_SECOND, 256).start();
                int rounds = Profile.times(1, 3);
                List<String> restarts = new ArrayList<>();
                long lastPublish;
                try {
                    for (int round = 0; round < rounds; round++) {
                        restarts.addAll(rollingRestart(cluster, sink, rules, producer));
                    }
                    long answered = rules.durableSink().answeredIn(HttpSink.Phase.HEALTHY);
                    Await.until(rules.ackWait().plusSeconds(30),
                            () -> rules.durableSink().answeredIn(HttpSink.Phase.HEALTHY) > answered + RATE_PER_SECOND,
                            () -> "the durable rule delivers nothing after the restarts: " + status(cluster, rules.durable()));
                } finally {
                    producer.close();
                    lastPublish = System.nanoTime();
                }
                Collection<String> acked = producer.acked().values();
                HttpSink.Tally delivered = rules.durableSink();
                HttpSink.Tally dead = rules.durableDead();
                // what the last runners held comes again after the ack wait
                Await.until(rules.ackWait().plusSeconds(60), () -> HttpSink.countMissing(acked, delivered, dead) == 0,
                        () -> HttpSink.countMissing(acked, delivered, dead) + " acked events neither delivered nor "
                                + "dead-lettered by the durable rule, e.g. " + HttpSink.missing(acked, delivered, dead, 10)
                                + "; status " + status(cluster, rules.durable()) + "; consumer "
                                + cluster.get("o1", "/v1/streams/_weft_rule_" + rules.durable()).path("consumers"));
                long drainedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastPublish);
                // the best-effort rule has nothing queued or in flight (it retries for about 2 s at most)
                Await.until(Duration.ofSeconds(30), () -> idle(cluster, rules.bestEffort()),
                        () -> "best-effort rule still busy: " + status(cluster, rules.bestEffort()));
                report(row, rules, producer, restarts, rounds, drainedMs);
                long lost = HttpSink.countMissing(acked, delivered, dead);
                assertEquals(0, lost, "acked events neither delivered nor dead-lettered by the durable rule: "
                        + HttpSink.missing(acked, delivered, dead, 10));
            }
        });
    }

    /**
     * A durable and a best-effort rule of site cloud, made through o1, to two paths of {@code sink}, and a
     * subscriber of o1 that tallies their dead letters; both rules run and the interest has converged.
     */
    private static Rules createRules(Cluster cluster, MeshClient onprem, HttpSink sink) throws Exception {
        Map<String, HttpSink.Tally> dead = new ConcurrentHashMap<>();
        onprem.subscribe(DEAD_TOPIC, m -> {
            CloudEvent e = m.event();
            dead.computeIfAbsent(String.valueOf(e.getExtension("weftsubscription")), k -> new HttpSink.Tally())
                    .record(e.getId());
        });
        onprem.flush(Duration.ofSeconds(10));
        String durable = create(cluster, "o1", rule(sink.url("/durable"), "durable"));
        String bestEffort = create(cluster, "o1", rule(sink.url("/best-effort"), "best-effort"));
        awaitRunning(cluster, durable);
        awaitRunning(cluster, bestEffort);
        JsonNode stream = cluster.get("o1", "/v1/streams/_weft_rule_" + durable);
        assertEquals(3, stream.path("replicas").asInt(), "the durable rule's stream: " + stream);
        assertEquals(3, cluster.get("o1", "/v1/streams/_weft_rules_" + SITE).path("replicas").asInt(),
                "the rules stream of " + SITE);
        Await.until(Duration.ofSeconds(30), () -> MeshChecks.converged(cluster),
                () -> "interest not converged: " + MeshChecks.divergence(cluster));
        return new Rules(durable, bestEffort, sink.receiver("/durable"), sink.receiver("/best-effort"),
                dead.computeIfAbsent(durable, k -> new HttpSink.Tally()),
                dead.computeIfAbsent(bestEffort, k -> new HttpSink.Tally()),
                Duration.parse(stream.path("consumers").path(0).path("ackWait").asText()));
    }

    /**
     * Restarts every node of the rules' site once (SIGTERM, start, ready), the sink down for the first, slow
     * for the second and healthy for the third; before each restart the durable rule shows it met the phase:
     * dead letters while the sink is down, 200s while it is slow or healthy (after the ack wait when the last
     * restart stopped its runner with events out). Returns what was restarted, when, in how long.
     */
    private static List<String> rollingRestart(Cluster cluster, HttpSink sink, Rules rules,
                                               Workload.DurableProducer producer) throws Exception {
        HttpSink.Phase[] phases = {HttpSink.Phase.DOWN, HttpSink.Phase.SLOW, HttpSink.Phase.HEALTHY};
        List<String> order = restartOrder(cluster, rules.durable());
        List<String> restarts = new ArrayList<>();
        for (int i = 0; i < order.size(); i++) {
            String n = order.get(i);
            HttpSink.Phase phase = phases[i % phases.length];
            long acks = producer.acks();
            long deadBase = rules.durableDead().total();
            long answeredBase = rules.durableSink().answeredIn(phase);
            sink.phase(phase);
            Await.until(rules.ackWait().plusSeconds(30), () -> phase == HttpSink.Phase.DOWN
                            ? rules.durableDead().total() >= deadBase + CONCURRENCY
                            : rules.durableSink().answeredIn(phase) >= answeredBase + 50,
                    () -> "the durable rule shows no sign of the sink being " + phase + ": " + sink.describe()
                            + ", dead letters " + rules.durableDead().total() + ", status " + status(cluster, rules.durable()));
            Await.until(Duration.ofSeconds(60), () -> producer.acks() > acks + RATE_PER_SECOND,
                    () -> "acks stalled before restarting " + n + ": " + producer.reasons());
            String runner = runner(cluster, rules.durable());
            long stoppedAt = System.nanoTime();
            cluster.stop(n);
            cluster.restart(n);
            Await.until(Duration.ofSeconds(90), () -> cluster.ready(n), () -> n + " not ready after restart");
            long back = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stoppedAt);
            String what = n + (n.equals(runner) ? " (runner)" : "");
            restarts.add(what + " while " + phase + " " + back / 1000 + " s");
            System.out.printf("sink %s: restarted %s, back in %d ms; durable rule so far: %d delivered, %d dead-lettered;"
                    + " best-effort: %d delivered%n", phase, what, back, rules.durableSink().distinct(),
                    rules.durableDead().distinct(), rules.bestEffortSink().distinct());
        }
        return restarts;
    }

    /** Prints the summary line and fills the report's row (the best-effort rule in the core columns). */
    private static void report(Report.Row row, Rules rules, Workload.DurableProducer producer,
                               List<String> restarts, int rounds, long drainedMs) {
        Collection<String> acked = producer.acked().values();
        HttpSink.Tally d = rules.durableSink();
        HttpSink.Tally b = rules.bestEffortSink();
        long lost = HttpSink.countMissing(acked, d, rules.durableDead());
        long beLost = HttpSink.countMissing(acked, b, rules.bestEffortDead());
        long both = acked.stream().filter(id -> d.has(id) && rules.durableDead().has(id)).count();
        System.out.printf("sink outage: published %d (acked); durable rule: delivered %d, lost %d, dead-lettered %d"
                        + " (%d of them also delivered), duplicates %d (repeats %s after the first 200), 200s/repeats"
                        + " by phase %s; best-effort rule: delivered %d, lost %d, dead-lettered %d, duplicates %d"
                        + " (repeats %s after the first), 200s/repeats by phase %s; %d durable publishes failed;"
                        + " ack wait %s; drained %d ms after the last publish; restarts %s%n",
                acked.size(), d.distinct(), lost, rules.durableDead().distinct(), both, d.duplicates(), d.repeatGaps(),
                d.byPhase(), b.distinct(), beLost, rules.bestEffortDead().distinct(), b.duplicates(), b.repeatGaps(),
                b.byPhase(), producer.failures(), rules.ackWait(), drainedMs, restarts);
        row.acked = acked.size();
        row.lost = lost;
        row.duplicated = d.duplicates();
        row.corePublished = acked.size();
        row.coreReceived = b.distinct();
        row.coreLost = beLost;
        row.recovery = "durable backlog drained " + drainedMs + " ms after the last publish (ack wait " + rules.ackWait() + ")";
        row.note("durable rule: " + d.distinct() + " delivered, " + rules.durableDead().distinct() + " dead-lettered, "
                + d.duplicates() + " delivered twice or more (at-least-once; the dup column; repeats " + d.repeatGaps()
                + " after the first), 200s/repeats by phase " + d.byPhase());
        row.note("best-effort rule (core pub/recv/lost columns): " + rules.bestEffortDead().distinct() + " dead-lettered, "
                + b.duplicates() + " duplicates (repeats " + b.repeatGaps() + " after the first), 200s/repeats by phase "
                + b.byPhase());
        row.note(rounds + " round(s), sink down/slow/healthy per restart: " + restarts + "; " + producer.failures()
                + " durable publishes failed after retries");
    }

    private static String rule(String sink, String mode) {
        return "{\"protocol\":\"HTTP\",\"sink\":\"" + sink + "\",\"site\":\"" + SITE + "\",\"topic\":\"chaos.events.>\","
                + "\"mode\":\"" + mode + "\",\"concurrency\":" + CONCURRENCY + ",\"delivery\":" + DELIVERY + "}";
    }

    /** Creates a rule through {@code node}'s HTTP port; its id. */
    private static String create(Cluster cluster, String node, String body) throws IOException, InterruptedException {
        Cluster.Node n = cluster.node(node);
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://" + n.ip + ":" + n.httpPort
                        + "/v1/subscriptions")).timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(201, r.statusCode(), r.body());
        return JSON.readTree(r.body()).path("id").asText();
    }

    private static void awaitRunning(Cluster cluster, String id) {
        Await.until(Duration.ofSeconds(30), () -> runner(cluster, id) != null,
                () -> "subscription " + id + " does not run: " + status(cluster, id));
    }

    /** The rule's delivery status, asked of o1 (its runner answers); null when none answers. */
    private static JsonNode status(Cluster cluster, String id) {
        return cluster.get("o1", "/v1/subscriptions/" + id + "/status");
    }

    /** The node running the rule, as its status says; null when it runs nowhere now (or no answer). */
    private static String runner(Cluster cluster, String id) {
        JsonNode s = status(cluster, id);
        return s != null && s.path("running").asBoolean(false) ? s.path("node").asText() : null;
    }

    /** The rule runs and has nothing queued or in flight. */
    private static boolean idle(Cluster cluster, String id) {
        JsonNode s = status(cluster, id);
        return s != null && s.path("running").asBoolean(false) && s.path("delivery").path("queued").asInt(-1) == 0
                && s.path("delivery").path("inFlight").asInt(-1) == 0;
    }

    /**
     * Every node of the rule's site once, so that the sink is down while a replica of the rule's stream restarts
     * (its leader, which holds the consumer, unless it also runs the rule), slow while the runner restarts (with
     * requests on the wire), and healthy while the last node restarts.
     */
    private static List<String> restartOrder(Cluster cluster, String id) {
        List<String> order = new ArrayList<>(cluster.names(SITE));
        String runner = runner(cluster, id);
        if (runner == null || !order.remove(runner)) {
            return order;
        }
        String leader = StreamOps.leader(cluster, "o1", "_weft_rule_" + id);
        String first = leader != null && order.contains(leader) ? leader : order.get(0);
        order.remove(first);
        order.add(0, first);
        order.add(1, runner);
        return order;
    }
}
