package io.weft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.weft.broker.Broker;
import io.weft.broker.MeshdConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** meshctl commands against a real broker, with stdout and stderr captured. */
class MeshctlTest {
    @TempDir
    Path dir;
    private Broker broker;
    private String server;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private PrintStream oldOut;
    private PrintStream oldErr;

    @BeforeEach
    void start() throws Exception {
        MeshdConfig c = MeshdConfig.defaults();
        c.dataDir = dir;
        broker = Broker.start(c);
        server = "127.0.0.1:" + broker.clientPort();
        oldOut = System.out;
        oldErr = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void stop() {
        System.setOut(oldOut);
        System.setErr(oldErr);
        broker.close();
    }

    private List<String> outLines() {
        List<String> lines = new ArrayList<>();
        for (String l : out.toString(StandardCharsets.UTF_8).split("\n")) {
            if (!l.isBlank()) {
                lines.add(l);
            }
        }
        return lines;
    }

    /** apply creates what a file declares, a second apply changes nothing, --prune removes what the file dropped. */
    @Test
    void applyIsIdempotentAndPrunes() throws Exception {
        Path file = dir.resolve("rules.yaml");
        java.nio.file.Files.writeString(file, String.join("\n",
                "kind: Stream", "name: orders", "subjects: [\"orders.>\"]", "---",
                "kind: Subscription", "name: big-orders", "sink: http://127.0.0.1:9/hook", "topic: orders.>",
                "filters:", "  - sql: amount > 100", "delivery:", "  deadLetterTopic: dead.orders", "---",
                "kind: Subscription", "name: audit", "sink: http://127.0.0.1:9/audit", ""));
        assertEquals(0, Meshctl.run("apply", "-s", server, "-f", file.toString()), err.toString(StandardCharsets.UTF_8));
        assertEquals(List.of("stream orders created", "subscription big-orders created", "subscription audit created",
                "3 change(s)"), outLines());
        out.reset();
        assertEquals(0, Meshctl.run("apply", "-s", server, "-f", file.toString()));
        assertEquals(List.of("stream orders unchanged", "subscription big-orders unchanged",
                "subscription audit unchanged", "nothing to change"), outLines());
        out.reset();
        // the file drops "audit" and changes big-orders' filter; a subscription made by hand is pruned too
        assertEquals(0, Meshctl.run("subscription", "create", "-s", server, "--sink", "http://127.0.0.1:9/x", "--topic", "x.>"));
        String handMade = outLines().get(0).replace("created subscription ", "");
        out.reset();
        java.nio.file.Files.writeString(file, String.join("\n",
                "kind: Subscription", "name: big-orders", "sink: http://127.0.0.1:9/hook", "topic: orders.>",
                "filters:", "  - sql: amount > 500", ""));
        assertEquals(0, Meshctl.run("apply", "-s", server, "-f", file.toString(), "--prune"), err.toString(StandardCharsets.UTF_8));
        List<String> lines = outLines();
        assertEquals("subscription big-orders updated", lines.get(0));
        assertTrue(lines.contains("subscription audit deleted (pruned)"), lines.toString());
        assertTrue(lines.contains("subscription " + handMade + " deleted (pruned)"), lines.toString());
        out.reset();
        assertEquals(0, Meshctl.run("subscription", "ls", "-s", server, "--json"));
        JsonNode all = Cli.JSON.readTree(out.toString(StandardCharsets.UTF_8));
        assertEquals(1, all.size(), all.toString());
        assertEquals("amount > 500", all.get(0).path("filters").get(0).path("sql").asText());
        // an invalid filter is refused, naming the field and the position
        err.reset();
        assertEquals(1, Meshctl.run("subscription", "create", "-s", server, "--sink", "http://127.0.0.1:9/x", "--filter", "amount >"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("filters[0].sql: expected an expression at position 8"),
                err.toString(StandardCharsets.UTF_8));
    }

    /** {@code sub --queue --filter}: a queue group member with a filter gets only what its filter accepts. */
    @Test
    void subInAQueueGroupWithAFilterGetsWhatTheFilterAccepts() throws Exception {
        int[] subExit = {-1};
        Thread sub = new Thread(() -> subExit[0] = Meshctl.run("sub", "-s", server, "jobs.>", "--queue", "crew",
                "--filter", "source = '/big'", "--count", "1", "--timeout", "20s", "--json"));
        sub.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (broker.router().subscriptionCount() == 0) {
            assertTrue(System.nanoTime() < deadline, "meshctl sub never subscribed: " + err.toString(StandardCharsets.UTF_8));
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
        assertEquals(0, Meshctl.run("pub", "-s", server, "jobs.run", "{}", "--source", "/small", "--id", "j-1"));
        assertEquals(0, Meshctl.run("pub", "-s", server, "jobs.run", "{}", "--source", "/big", "--id", "j-2"));
        sub.join(30_000);
        assertEquals(0, subExit[0], err.toString(StandardCharsets.UTF_8));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("in queue group crew where source = '/big'"),
                err.toString(StandardCharsets.UTF_8));
        List<String> ids = new ArrayList<>();
        for (String l : outLines()) {
            if (l.startsWith("{") && Cli.JSON.readTree(l).has("specversion")) {
                ids.add(Cli.JSON.readTree(l).get("id").asText());
            }
        }
        assertEquals(List.of("j-2"), ids, outLines().toString());
    }

    @Test
    void subPrintsWhatPubPublishesAsJsonCloudEvents() throws Exception {
        int[] subExit = {-1};
        Thread sub = new Thread(() -> subExit[0] = Meshctl.run("sub", "-s", server, "orders.>", "--count", "2",
                "--timeout", "20s", "--json"));
        sub.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (broker.router().subscriptionCount() == 0) {
            assertTrue(System.nanoTime() < deadline, "meshctl sub never subscribed");
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
        assertEquals(0, Meshctl.run("pub", "-s", server, "orders.eu.created", "{\"id\":1}",
                "--type", "com.example.order.created", "--source", "/shop", "--id", "o-1"));
        assertEquals(0, Meshctl.run("pub", "-s", server, "orders.us.created", "plain text", "--id", "o-2", "--json"));
        sub.join(30_000);
        assertEquals(0, subExit[0], err.toString(StandardCharsets.UTF_8));
        List<JsonNode> events = new ArrayList<>();
        for (String l : outLines()) {
            if (!l.startsWith("{")) {
                continue;
            }
            JsonNode n = Cli.JSON.readTree(l);
            if (n.has("specversion")) {
                events.add(n);
            }
        }
        assertEquals(2, events.size(), outLines().toString());
        assertEquals("o-1", events.get(0).get("id").asText());
        assertEquals("com.example.order.created", events.get(0).get("type").asText());
        assertEquals("/shop", events.get(0).get("source").asText());
        assertEquals(1, events.get(0).get("data").get("id").asInt());
        assertEquals("orders.us.created", events.get(1).get("type").asText());
        assertEquals("plain text", events.get(1).get("data").asText());
    }

    @Test
    void statusReportsTheNode() throws Exception {
        assertEquals(0, Meshctl.run("status", "-s", server, "--json"));
        JsonNode n = Cli.JSON.readTree(outLines().get(0));
        assertEquals("node1", n.get("node").asText());
        assertEquals(1, n.get("nodes").size());
        assertEquals("node1", n.get("nodes").get(0).get("node").asText());

        out.reset();
        assertEquals(0, Meshctl.run("status", "-s", server, "--topology", "--json"));
        JsonNode t = Cli.JSON.readTree(outLines().get(0)).get("topology");
        assertEquals(1, t.get("sites").size(), t.toString());
        assertEquals(0, t.get("links").size(), "one node: no site links");
        assertEquals(1, t.get("database").get("records").asInt(), t.toString());
        out.reset();
        assertEquals(0, Meshctl.run("status", "-s", server, "--topology"));
        String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("site graph (link-state map: 1 records"), text);
        assertTrue(text.contains("no site links up"), text);
    }

    @Test
    void benchReportsCompleteRunAsJson() throws Exception {
        assertEquals(0, Meshctl.run("bench", "-s", server, "--msgs", "5000", "--warmup", "0", "--subs", "2", "--json"));
        JsonNode n = Cli.JSON.readTree(outLines().get(outLines().size() - 1));
        assertTrue(n.get("complete").asBoolean());
        assertEquals(10000, n.get("received").asLong());
        assertTrue(n.get("latencyMicros").has("p99"));
    }

    /**
     * {@code bench --filter 'amount >= 100'}: the subscribers receive exactly the odd events, and the run says
     * so against the count it expects; with --compare, the unfiltered run first gets every event. One node: no
     * link traffic, which the report states.
     */
    @Test
    void benchFilterReceivesTheShareTheFilterPasses() throws Exception {
        assertEquals(0, Meshctl.run("bench", "-s", server, "--msgs", "2000", "--warmup", "0", "--subs", "2",
                "--filter", "amount >= 100", "--json"), err.toString(StandardCharsets.UTF_8));
        JsonNode n = Cli.JSON.readTree(outLines().get(outLines().size() - 1));
        assertEquals("amount >= 100", n.get("filter").asText());
        assertEquals(2000, n.get("published").asLong());
        assertEquals(2000, n.get("expected").asLong(), n.toString()); // 1000 for each of 2 subscribers
        assertEquals(2000, n.get("received").asLong(), n.toString());
        assertTrue(n.get("complete").asBoolean());
        assertEquals(0, n.get("links").get("total").get("events").asLong(), n.toString());

        out.reset();
        assertEquals(0, Meshctl.run("bench", "-s", server, "--msgs", "1000", "--warmup", "0", "--filter", "amount < 50",
                "--compare", "--json"), err.toString(StandardCharsets.UTF_8));
        JsonNode c = Cli.JSON.readTree(outLines().get(outLines().size() - 1));
        assertEquals("filter-compare", c.get("mode").asText());
        assertEquals(1000, c.get("unfiltered").get("received").asLong(), c.toString());
        assertEquals(250, c.get("filtered").get("received").asLong(), c.toString());
        assertEquals(250, c.get("filtered").get("expected").asLong(), c.toString());

        out.reset();
        assertEquals(0, Meshctl.run("bench", "-s", server, "--msgs", "400", "--warmup", "0", "--filter", "amount >= 100"));
        String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("200 of 200 received"), text);
        assertTrue(text.contains("sent nothing over links"), text);
    }

    /**
     * {@code bench --sink}: the built-in receiver gets every event through a best-effort and then a durable
     * subscription, and the subscription is gone afterwards. Counts only, not timings.
     */
    @Test
    void benchSinkDeliversEveryEventAndDeletesItsSubscription() throws Exception {
        for (String mode : List.of("best-effort", "durable")) {
            out.reset();
            assertEquals(0, Meshctl.run("bench", "-s", server, "--sink", "--sink-mode", mode, "--msgs", "200", "--rate",
                    "500", "--warmup", "0", "--timeout", "20s", "--json"), err.toString(StandardCharsets.UTF_8));
            JsonNode n = Cli.JSON.readTree(outLines().get(outLines().size() - 1));
            assertEquals("sink", n.get("mode").asText());
            assertEquals(mode, n.get("sinkMode").asText());
            assertEquals(200, n.get("published").asLong(), n.toString());
            assertEquals(200, n.get("delivered").asLong(), n.toString());
            assertEquals(0, n.get("lost").asLong(), n.toString());
            assertTrue(n.get("complete").asBoolean(), n.toString());
            assertTrue(n.get("latencyMicros").get("p90").asDouble() <= n.get("latencyMicros").get("max").asDouble(), n.toString());
        }
        // with a filter on the rule: half of them
        out.reset();
        assertEquals(0, Meshctl.run("bench", "-s", server, "--sink", "--msgs", "200", "--warmup", "0", "--filter",
                "amount >= 100", "--json"), err.toString(StandardCharsets.UTF_8));
        JsonNode f = Cli.JSON.readTree(outLines().get(outLines().size() - 1));
        assertEquals(100, f.get("expected").asLong(), f.toString());
        assertEquals(100, f.get("delivered").asLong(), f.toString());
        out.reset();
        assertEquals(0, Meshctl.run("subscription", "ls", "-s", server, "--json"));
        assertEquals(0, Cli.JSON.readTree(out.toString(StandardCharsets.UTF_8)).size(), out.toString(StandardCharsets.UTF_8));
    }

    /** A subscription the broker refuses: the problem detail, and no subscription left behind. */
    @Test
    void benchSinkShowsWhyTheBrokerRefusedTheSubscription() {
        assertEquals(1, Meshctl.run("bench", "-s", server, "--sink", "--msgs", "10", "--filter", "amount >"));
        String e = err.toString(StandardCharsets.UTF_8);
        assertTrue(e.contains("the broker refused the bench's subscription (400)"), e);
        assertTrue(e.contains("filters[0].sql"), e);
    }

    @Test
    void benchTimelineAccountsForEveryArrivalByInterval() throws Exception {
        assertEquals(0, Meshctl.run("bench", "-s", server, "--msgs", "2000", "--rate", "20000", "--warmup", "0",
                "--subs", "2", "--timeline", "10", "--json"));
        JsonNode n = Cli.JSON.readTree(outLines().get(outLines().size() - 1));
        assertEquals(10, n.get("timelineMillis").asInt());
        long arrivals = 0;
        double last = -1;
        for (JsonNode b : n.get("timeline")) {
            arrivals += b.get("events").asLong();
            assertTrue(b.get("atMillis").asDouble() > last, n.toString());
            last = b.get("atMillis").asDouble();
            assertTrue(b.get("maxLatencyMicros").asDouble() >= 0 && b.get("maxLateMicros").asDouble() >= 0, b.toString());
        }
        assertEquals(n.get("received").asLong(), arrivals);
        assertTrue(n.get("timeline").size() > 1, n.toString()); // 2,000 events at 20,000/s span ~100 ms
    }

    @Test
    void benchMeasuresInterestPropagationAfterUnmeasuredTrials() throws Exception {
        assertEquals(0, Meshctl.run("bench", "-s", server, "--propagation", "5", "--warmup", "3", "--json"));
        JsonNode n = Cli.JSON.readTree(outLines().get(outLines().size() - 1));
        assertEquals(5, n.get("trials").asInt());
        assertTrue(n.get("minMicros").asDouble() > 0, n.toString());
        assertTrue(n.get("minMicros").asDouble() <= n.get("medianMicros").asDouble(), n.toString());
        assertTrue(n.get("medianMicros").asDouble() <= n.get("maxMicros").asDouble(), n.toString());
    }

    @Test
    void benchMeasuresThePlatformWithoutABroker() throws Exception {
        assertEquals(0, Meshctl.run("bench", "-s", "127.0.0.1:1", "--platform", "0.2", "--json"));
        JsonNode n = Cli.JSON.readTree(outLines().get(outLines().size() - 1));
        assertTrue(n.get("wakeups").asLong() > 0, n.toString());
        assertTrue(n.get("lateP50Micros").asDouble() <= n.get("lateP99Micros").asDouble(), n.toString());
        assertTrue(n.get("lateP99Micros").asDouble() <= n.get("lateMaxMicros").asDouble(), n.toString());
    }

    @Test
    void stealIsTheShareOfAllCpuTimeBetweenTwoReadings() {
        PlatformProbe.CpuTimes a = PlatformProbe.CpuTimes.parse(java.util.List.of(
                "cpu  100 0 50 800 10 0 0 40 0 0", "cpu0 50 0 25 400 5 0 0 20 0 0"));
        PlatformProbe.CpuTimes b = PlatformProbe.CpuTimes.parse(java.util.List.of(
                "cpu  130 0 60 850 10 0 0 50 7 0"));
        assertEquals(1000, a.total());
        assertEquals(40, a.steal());
        assertEquals(10.0, b.stealPercentSince(a), 1e-9); // 10 of 100 ticks
        assertEquals(null, PlatformProbe.CpuTimes.parse(java.util.List.of("intr 1 2 3")));
    }

    @Test
    void badInputGivesAClearErrorAndExitCode() {
        assertEquals(1, Meshctl.run("pub", "-s", server, "bad topic", "x"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("invalid topic 'bad topic'"), err.toString(StandardCharsets.UTF_8));
        assertEquals(1, Meshctl.run("sub", "-s", "127.0.0.1:1", "a.>", "--connect-timeout", "1s"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("cannot connect"), err.toString(StandardCharsets.UTF_8));
        assertEquals(2, Meshctl.run("pub"));
    }
}
