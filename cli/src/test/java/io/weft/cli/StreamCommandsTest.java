package io.weft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The stream, consumer and durable pub commands: argument parsing, request bodies, output, errors. */
class StreamCommandsTest {
    private FakeMeshd meshd;
    private String server;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private PrintStream oldOut;
    private PrintStream oldErr;

    private static final String EVENT = "{\"specversion\":\"1.0\",\"id\":\"o-%d\",\"source\":\"/shop\","
            + "\"type\":\"order.created\",\"datacontenttype\":\"application/json\",\"data\":{\"n\":%d}}";

    @BeforeEach
    void start() throws Exception {
        meshd = new FakeMeshd();
        server = meshd.address();
        oldOut = System.out;
        oldErr = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void stop() throws Exception {
        System.setOut(oldOut);
        System.setErr(oldErr);
        meshd.close();
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

    private String errText() {
        return err.toString(StandardCharsets.UTF_8);
    }

    /** Parses {@code args} and returns the leaf command object. */
    @SuppressWarnings("unchecked")
    private static <T> T parse(String... args) {
        CommandLine.ParseResult r = new CommandLine(new Meshctl()).parseArgs(args);
        while (r.hasSubcommand()) {
            r = r.subcommand();
        }
        return (T) r.commandSpec().userObject();
    }

    // ---- parsing and bodies, no connection ----

    @Test
    void streamCreateBodyHasWhatTheUserTyped() throws Exception {
        StreamCommand.Create c = parse("stream", "create", "orders", "--subjects", "orders.>", "--subjects", "refunds.*,returns.>",
                "--replicas", "3", "--site", "cloud", "--max-age", "7d", "--max-bytes", "10GB", "--max-events", "1000",
                "--dedupe-window", "2m");
        assertEquals("{\"name\":\"orders\",\"subjects\":[\"orders.>\",\"refunds.*\",\"returns.>\"],\"replicas\":3,"
                + "\"site\":\"cloud\",\"maxAge\":\"7d\",\"maxBytes\":\"10GB\",\"maxEvents\":1000,\"dedupeWindow\":\"2m\"}",
                Cli.JSON.writeValueAsString(c.body()));
    }

    @Test
    void streamCreateDefaultsLeaveTheRestToTheBroker() throws Exception {
        StreamCommand.Create c = parse("stream", "create", "orders", "--subjects", "orders.>");
        assertEquals("{\"name\":\"orders\",\"subjects\":[\"orders.>\"],\"replicas\":1}", Cli.JSON.writeValueAsString(c.body()));
        assertThrows(CommandLine.MissingParameterException.class, () -> parse("stream", "create", "orders"));
        StreamCommand.Create bad = parse("stream", "create", "orders", "--subjects", "a", "--replicas", "0");
        assertThrows(IllegalArgumentException.class, bad::body);
    }

    @Test
    void consumerCreateBody() throws Exception {
        ConsumerCommand.Create c = parse("consumer", "create", "orders", "billing", "--start", "seq:10", "--ack-wait", "30s",
                "--max-deliver", "5", "--dead-letter-topic", "orders.dlq", "--max-ack-pending", "100");
        assertEquals("{\"name\":\"billing\",\"start\":\"seq:10\",\"ackWait\":\"30s\",\"maxDeliver\":5,"
                + "\"deadLetterTopic\":\"orders.dlq\",\"maxAckPending\":100}", Cli.JSON.writeValueAsString(c.body()));
        ConsumerCommand.Create push = parse("consumer", "create", "orders", "shipping", "--start", "new",
                "--deliver-topic", "shipping.deliver");
        assertEquals("{\"name\":\"shipping\",\"start\":\"new\",\"deliverTopic\":\"shipping.deliver\"}",
                Cli.JSON.writeValueAsString(push.body()));
        for (String ok : List.of("first", "last", "new", "time:2024-05-01T10:00:00Z", "time:1700000000000")) {
            assertEquals(ok, ConsumerCommand.checkStart(ok));
        }
        for (String bad : List.of("begin", "seq:", "seq:x", "time:yesterday")) {
            assertThrows(IllegalArgumentException.class, () -> ConsumerCommand.checkStart(bad), bad);
        }
    }

    @Test
    void replayPaths() {
        StreamCommand.Replay r = parse("stream", "replay", "orders", "--from-seq", "5", "--count", "3");
        assertEquals("/v1/streams/orders/events?from_seq=5&count=3", r.firstPath());
        StreamCommand.Replay t = parse("stream", "replay", "my stream", "--from-time", "2024-05-01T10:00:00+02:00");
        assertEquals("/v1/streams/my%20stream/events?from_time=2024-05-01T10%3A00%3A00%2B02%3A00&count=500", t.firstPath());
        StreamCommand.Replay m = parse("stream", "replay", "orders", "--from-time", "1700000000000", "--batch", "10");
        assertEquals("/v1/streams/orders/events?from_time=1700000000000&count=10", m.firstPath());
        assertEquals(StreamCommand.Rate.max, m.rate);
        assertThrows(CommandLine.ParameterException.class, () -> parse("stream", "replay", "orders"));
        assertThrows(CommandLine.ParameterException.class,
                () -> parse("stream", "replay", "orders", "--from-seq", "1", "--from-time", "1"));
        assertThrows(CommandLine.ParameterException.class,
                () -> parse("stream", "replay", "orders", "--from-seq", "1", "--rate", "slow"));
        StreamCommand.Replay bad = parse("stream", "replay", "orders", "--from-time", "noon");
        assertThrows(IllegalArgumentException.class, bad::firstPath);
    }

    @Test
    void benchDurableOptions() {
        BenchCommand b = parse("bench", "--durable", "--msgs", "100", "--window", "50", "--replay", "--stream", "orders");
        assertTrue(b.durable);
        assertTrue(b.replay);
        assertEquals("orders", b.stream);
        assertEquals(50, b.window);
        assertEquals(-1, b.warmup);
    }

    @Test
    void serverOptionsMayComeFirstAlsoForStreamCommands() {
        assertEquals(List.of("stream", "ls", "-s", "h:1", "--json"),
                List.of(Meshctl.hoistServerOptions(new String[] {"-s", "h:1", "stream", "ls", "--json"})));
        assertEquals(List.of("consumer", "next", "--no-discover", "s", "c"),
                List.of(Meshctl.hoistServerOptions(new String[] {"--no-discover", "consumer", "next", "s", "c"})));
        assertEquals(List.of("status", "-s", "h:1"), List.of(Meshctl.hoistServerOptions(new String[] {"-s", "h:1", "status"})));
        StreamCommand.Ls ls = parse(Meshctl.hoistServerOptions(new String[] {"-s", "h:1", "--site", "x", "stream", "ls"}));
        assertEquals("h:1", ls.server.servers);
        assertEquals("x", ls.server.clientSite());
    }

    @Test
    void everyOptionHasHelpText() {
        List<String> missing = new ArrayList<>();
        check(new CommandLine(new Meshctl()), missing);
        assertTrue(missing.isEmpty(), "options without a description: " + missing);
    }

    private static void check(CommandLine cl, List<String> missing) {
        for (CommandLine.Model.OptionSpec o : cl.getCommandSpec().options()) {
            if (o.description().length == 0 || o.description()[0].isBlank()) {
                missing.add(cl.getCommandSpec().qualifiedName() + " " + o.longestName());
            }
        }
        for (CommandLine.Model.PositionalParamSpec p : cl.getCommandSpec().positionalParameters()) {
            if (p.description().length == 0 || p.description()[0].isBlank()) {
                missing.add(cl.getCommandSpec().qualifiedName() + " " + p.paramLabel());
            }
        }
        cl.getSubcommands().values().forEach(s -> check(s, missing));
    }

    // ---- against the fake broker ----

    @Test
    void pubDurablePrintsWhereTheEventWasStored() throws Exception {
        assertEquals(0, Meshctl.run("pub", "-s", server, "orders.eu.created", "{\"id\":1}", "--durable", "--id", "o-1"));
        assertEquals(0, Meshctl.run("pub", "-s", server, "orders.eu.created", "x", "--durable", "--id", "dup-1"));
        assertEquals(0, Meshctl.run("pub", "-s", server, "orders.eu.created", "x", "--durable", "--id", "o-2", "--json"));
        List<String> lines = outLines();
        assertEquals("stored in orders as seq 42", lines.get(0));
        assertEquals("duplicate of seq 7 in orders", lines.get(1));
        JsonNode ack = Cli.JSON.readTree(lines.get(2));
        assertEquals("orders", ack.get("stream").asText());
        assertEquals(43, ack.get("seq").asLong());
        assertEquals(false, ack.get("duplicate").asBoolean());
        assertEquals("o-2", ack.get("id").asText());
        assertEquals(List.of("orders.eu.created o-1", "orders.eu.created dup-1", "orders.eu.created o-2"),
                List.copyOf(meshd.published));
    }

    @Test
    void streamCreateSendsTheBodyAndPrintsTheInfo() throws Exception {
        meshd.reply("POST", "/v1/streams", 201, info("orders"));
        assertEquals(0, Meshctl.run("stream", "create", "orders", "-s", server, "--subjects", "orders.>", "--replicas", "3",
                "--site", "cloud", "--max-age", "7d"));
        assertEquals("POST /v1/streams {\"name\":\"orders\",\"subjects\":[\"orders.>\"],\"replicas\":3,\"site\":\"cloud\","
                + "\"maxAge\":\"7d\"}", meshd.requests.poll());
        String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.startsWith("created stream orders"), text);
        assertTrue(text.contains("leader cloud-1, peers cloud-1,cloud-2,cloud-3"), text);
        assertTrue(text.contains("billing"), text);
    }

    @Test
    void streamLsInfoDeleteAsTextAndJson() throws Exception {
        meshd.reply("GET", "/v1/streams", 200, "{\"streams\":[" + info("orders") + "]}");
        meshd.reply("GET", "/v1/streams/orders", 200, info("orders"));
        meshd.reply("DELETE", "/v1/streams/orders", 200, "{\"deleted\":\"orders\"}");
        assertEquals(0, Meshctl.run("stream", "ls", "-s", server));
        assertEquals(0, Meshctl.run("stream", "info", "orders", "-s", server, "--json"));
        assertEquals(0, Meshctl.run("stream", "delete", "orders", "-s", server));
        List<String> lines = outLines();
        assertTrue(lines.get(0).startsWith("NAME"), lines.toString());
        assertTrue(lines.get(1).matches("orders\\s+orders\\.>\\s+cloud\\s+3\\s+cloud-1\\s+100\\s+2\\.0 KiB\\s+100\\s+1"), lines.get(1));
        assertEquals(100, Cli.JSON.readTree(lines.get(2)).get("lastSeq").asLong());
        assertEquals("deleted stream orders", lines.get(3));
        assertEquals(List.of("GET /v1/streams", "GET /v1/streams/orders", "DELETE /v1/streams/orders"),
                List.copyOf(meshd.requests));
    }

    @Test
    void streamPurgeRefusesWithoutYesSayingWhatItWouldDo() {
        assertEquals(1, Meshctl.run("stream", "purge", "orders", "-s", server));
        assertEquals(1, Meshctl.run("stream", "purge", "orders", "-s", server, "--keep", "10"));
        assertEquals(1, Meshctl.run("stream", "purge", "orders", "-s", server, "--keep-from", "42"));
        String text = errText();
        assertTrue(text.contains("this would remove every event of stream orders"), text);
        assertTrue(text.contains("every event of stream orders but the newest 10"), text);
        assertTrue(text.contains("the events of stream orders before seq 42"), text);
        assertTrue(text.contains("add --yes"), text);
        assertTrue(meshd.requests.isEmpty(), "nothing was sent: " + meshd.requests);
        assertTrue(outLines().isEmpty());
        assertThrows(CommandLine.ParameterException.class,
                () -> parse("stream", "purge", "orders", "--keep", "1", "--keep-from", "2"));
        StreamCommand.Purge bad = parse("stream", "purge", "orders", "--keep-from", "0");
        assertThrows(IllegalArgumentException.class, bad::body);
    }

    @Test
    void streamPurgeSendsWhatToKeepAndPrintsWhatIsLeft() throws Exception {
        meshd.reply("POST", "/v1/streams/orders/purge", 200, "{\"purged\":90,\"firstSeq\":91,\"lastSeq\":100}");
        assertEquals(0, Meshctl.run("stream", "purge", "orders", "-s", server, "--keep", "10", "--yes"));
        assertEquals(0, Meshctl.run("stream", "purge", "orders", "-s", server, "--keep-from", "91", "--yes", "--json"));
        meshd.reply("POST", "/v1/streams/orders/purge", 200, "{\"purged\":1,\"firstSeq\":101,\"lastSeq\":100}");
        assertEquals(0, Meshctl.run("stream", "purge", "orders", "-s", server, "--yes"));
        assertEquals(List.of("POST /v1/streams/orders/purge {\"keep\":10}", "POST /v1/streams/orders/purge {\"keepFrom\":91}",
                "POST /v1/streams/orders/purge"), List.copyOf(meshd.requests));
        List<String> lines = outLines();
        assertEquals("purged 90 events from orders (now seq 91..100)", lines.get(0));
        assertEquals(90, Cli.JSON.readTree(lines.get(1)).get("purged").asLong());
        assertEquals("purged 1 event from orders (now empty; next seq 101)", lines.get(2));

        meshd.reply("POST", "/v1/streams/_weft_rules_cloud/purge", 403,
                "{\"error\":\"stream _weft_rules_cloud is one of the mesh's own: it cannot be purged\"}");
        assertEquals(1, Meshctl.run("stream", "purge", "_weft_rules_cloud", "-s", server, "--yes"));
        assertTrue(errText().contains("error: stream _weft_rules_cloud is one of the mesh's own"), errText());
    }

    @Test
    void consumerSubRefusesAPullConsumer() {
        meshd.reply("GET", "/v1/streams/orders/consumers/billing", 200, "{\"name\":\"billing\",\"deliverTopic\":null}");
        assertEquals(1, Meshctl.run("consumer", "sub", "orders", "billing", "-s", server));
        assertTrue(errText().contains("is a pull consumer"), errText());
    }

    @Test
    void brokerErrorsPrintErrorAndExit1() {
        meshd.reply("GET", "/v1/streams/nope", 404, "{\"error\":\"no stream 'nope'\"}");
        assertEquals(1, Meshctl.run("stream", "info", "nope", "-s", server));
        assertTrue(errText().contains("error: no stream 'nope'"), errText());
        assertEquals(1, Meshctl.run("consumer", "info", "orders", "x", "-s", server, "--json"));
        assertTrue(errText().contains("error: no route /v1/streams/orders/consumers/x"), errText());
    }

    @Test
    void replayPagesFromNextUntilCountOrEmpty() throws Exception {
        meshd.reply("GET", "/v1/streams/orders/events?from_seq=1&count=2", 200, page(3, 1, 2));
        meshd.reply("GET", "/v1/streams/orders/events?from_seq=3&count=2", 200, page(5, 3, 4));
        meshd.reply("GET", "/v1/streams/orders/events?from_seq=5&count=2", 200, "{\"events\":[],\"next\":5}");
        assertEquals(0, Meshctl.run("stream", "replay", "orders", "-s", server, "--from-seq", "1", "--batch", "2"));
        List<String> lines = outLines();
        assertEquals(4, lines.size(), lines.toString());
        assertTrue(lines.get(0).startsWith("#1 [orders.eu] order.created id=o-1 source=/shop"), lines.get(0));
        assertTrue(lines.get(3).startsWith("#4 "), lines.get(3));
        assertTrue(lines.get(3).endsWith("{\"n\":4}"), lines.get(3));

        out.reset();
        meshd.requests.clear();
        meshd.reply("GET", "/v1/streams/orders/events?from_seq=1&count=3", 200, page(3, 1, 2));
        meshd.reply("GET", "/v1/streams/orders/events?from_seq=3&count=1", 200, page(5, 3, 4));
        assertEquals(0, Meshctl.run("stream", "replay", "orders", "-s", server, "--from-seq", "1", "--count", "3", "--json"));
        lines = outLines();
        assertEquals(3, lines.size(), lines.toString());
        JsonNode third = Cli.JSON.readTree(lines.get(2));
        assertEquals(3, third.get("seq").asLong());
        assertEquals("o-3", third.get("event").get("id").asText());
        assertEquals(2, meshd.requests.size(), meshd.requests.toString());
    }

    @Test
    void consumerNextPrintsAndAcks() throws Exception {
        meshd.reply("POST", "/v1/streams/orders/consumers/billing/next?count=2", 200, "{\"events\":["
                + "{\"seq\":7,\"time\":1700000000000,\"topic\":\"orders.eu\",\"deliveryCount\":1,\"redelivered\":false,\"event\":"
                + String.format(EVENT, 7, 7) + "},"
                + "{\"seq\":8,\"time\":1700000000001,\"topic\":\"orders.eu\",\"deliveryCount\":3,\"redelivered\":true,\"event\":"
                + String.format(EVENT, 8, 8) + "}]}");
        meshd.reply("POST", "/v1/streams/orders/consumers/billing/ack", 200, "{\"acked\":2}");
        assertEquals(0, Meshctl.run("consumer", "next", "orders", "billing", "-s", server, "--count", "2"));
        List<String> lines = outLines();
        assertTrue(lines.get(0).startsWith("#7 [orders.eu]"), lines.get(0));
        assertTrue(lines.get(1).startsWith("#8 (redelivered, delivery 3) [orders.eu]"), lines.get(1));
        assertEquals(List.of("POST /v1/streams/orders/consumers/billing/next?count=2",
                "POST /v1/streams/orders/consumers/billing/ack {\"seqs\":[7,8]}"), List.copyOf(meshd.requests));

        meshd.requests.clear();
        assertEquals(0, Meshctl.run("consumer", "next", "orders", "billing", "-s", server, "--count", "2", "--no-ack", "--json"));
        assertEquals(List.of("POST /v1/streams/orders/consumers/billing/next?count=2"), List.copyOf(meshd.requests));

        meshd.requests.clear();
        assertEquals(0, Meshctl.run("consumer", "ack", "orders", "billing", "-s", server, "9", "10"));
        assertEquals(List.of("POST /v1/streams/orders/consumers/billing/ack {\"seqs\":[9,10]}"), List.copyOf(meshd.requests));

        meshd.requests.clear();
        meshd.reply("POST", "/v1/streams/orders/consumers/billing/nak", 200, "{\"redelivering\":3}");
        assertEquals(0, Meshctl.run("consumer", "nak", "orders", "billing", "-s", server));
        assertEquals(0, Meshctl.run("consumer", "nak", "orders", "billing", "-s", server, "11"));
        assertEquals(List.of("POST /v1/streams/orders/consumers/billing/nak {\"seqs\":[]}",
                "POST /v1/streams/orders/consumers/billing/nak {\"seqs\":[11]}"), List.copyOf(meshd.requests));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("3 events to be delivered again"));
    }

    @Test
    void consumerCreateAndDelete() throws Exception {
        meshd.reply("POST", "/v1/streams/orders/consumers", 201, "{\"name\":\"billing\",\"start\":\"first\",\"ackWait\":\"30s\","
                + "\"maxDeliver\":5,\"deadLetterTopic\":null,\"nextSeq\":1,\"ackFloor\":0,\"ackPending\":0}");
        meshd.reply("DELETE", "/v1/streams/orders/consumers/billing", 204, "");
        assertEquals(0, Meshctl.run("consumer", "create", "orders", "billing", "-s", server, "--start", "first"));
        assertEquals(0, Meshctl.run("consumer", "delete", "orders", "billing", "-s", server));
        assertEquals(List.of("POST /v1/streams/orders/consumers {\"name\":\"billing\",\"start\":\"first\"}",
                "DELETE /v1/streams/orders/consumers/billing"), List.copyOf(meshd.requests));
        String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("created consumer billing on stream orders"), text);
        assertTrue(text.contains("dead-letter -"), text);
        assertTrue(text.contains("deleted consumer billing of stream orders"), text);
    }

    @Test
    void benchDurableMeasuresAcksAndReplay() throws Exception {
        // the fake stores seqs from 42 on: the measured run (after 2 warm-up events) starts at 44
        // a replay reads binary pages: 44-49, then 50-53, as a broker whose pages fill up would answer
        meshd.pages.put("orders 44", binaryPage(60, 44, 45, 46, 47, 48, 49));
        meshd.pages.put("orders 50", binaryPage(60, 50, 51, 52, 53));
        assertEquals(0, Meshctl.run("bench", "-s", server, "--durable", "--msgs", "10", "--warmup", "2", "--window", "4",
                "--topic", "orders.bench", "--replay", "--stream", "orders", "--json"));
        JsonNode n = Cli.JSON.readTree(outLines().get(outLines().size() - 1));
        assertEquals("durable", n.get("mode").asText());
        assertEquals(10, n.get("acked").asLong());
        assertTrue(n.get("complete").asBoolean());
        assertEquals(44, n.get("firstSeq").asLong());
        assertTrue(n.get("ackLatencyMicros").has("p99.9"));
        assertEquals(10, n.get("replay").get("events").asLong());
        assertEquals(12, meshd.published.size());
        assertEquals(List.of("READ orders 44 10", "READ orders 50 4"),
                meshd.requests.stream().filter(r -> r.startsWith("READ")).toList());
    }

    /** A binary page of events with these seqs, as EVENTS carries it. */
    private static byte[] binaryPage(long lastSeq, long... seqs) {
        List<byte[]> events = new java.util.ArrayList<>();
        int size = 20;
        byte[] topic = "orders.bench".getBytes(StandardCharsets.UTF_8);
        for (long seq : seqs) {
            io.netty.buffer.ByteBuf b = io.netty.buffer.Unpooled.buffer();
            io.weft.protocol.EventCodec.encode(io.cloudevents.core.builder.CloudEventBuilder.v1().withId("e" + seq)
                    .withSource(java.net.URI.create("/test")).withType("orders.bench").build(), b);
            byte[] e = new byte[b.readableBytes()];
            b.readBytes(e);
            events.add(e);
            size += io.weft.protocol.EventPage.entryBytes(topic, e.length);
        }
        io.weft.protocol.EventPage.Writer w = new io.weft.protocol.EventPage.Writer(size);
        for (int i = 0; i < seqs.length; i++) {
            w.add(seqs[i], 1_700_000_000_000L + seqs[i], topic, events.get(i));
        }
        return w.finish(lastSeq, seqs[0]);
    }

    private static String page(long next, long... seqs) {
        StringBuilder b = new StringBuilder("{\"events\":[");
        for (int i = 0; i < seqs.length; i++) {
            if (i > 0) {
                b.append(',');
            }
            b.append("{\"seq\":").append(seqs[i]).append(",\"time\":").append(1700000000000L + seqs[i])
                    .append(",\"topic\":\"orders.eu\",\"event\":").append(String.format(EVENT, seqs[i], seqs[i])).append('}');
        }
        return b.append("],\"next\":").append(next).append('}').toString();
    }

    private static String info(String name) {
        return "{\"name\":\"" + name + "\",\"subjects\":[\"orders.>\"],\"replicas\":3,\"site\":\"cloud\",\"leader\":\"cloud-1\","
                + "\"peers\":[\"cloud-1\",\"cloud-2\",\"cloud-3\"],\"firstSeq\":1,\"lastSeq\":100,\"events\":100,\"bytes\":2048,"
                + "\"maxAge\":\"7d\",\"maxBytes\":null,\"maxEvents\":null,\"dedupeWindow\":\"2m\",\"consumers\":[{\"name\":\"billing\","
                + "\"start\":\"first\",\"ackWait\":\"30s\",\"maxDeliver\":5,\"deadLetterTopic\":\"orders.dlq\",\"nextSeq\":101,"
                + "\"ackFloor\":100,\"ackPending\":0}]}";
    }
}
