package io.weft.cli;

import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.weft.client.MeshClient;
import io.weft.client.PublishAck;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code meshctl pub TOPIC [DATA]}: publish one (or {@code --count}) CloudEvent(s). */
@Command(name = "pub", mixinStandardHelpOptions = true,
        description = {"Publish a CloudEvent to a topic.",
                "With --durable the stream whose subjects match the topic stores it and the broker acknowledges: prints "
                        + "'stored in STREAM as seq N' (or 'duplicate of seq N in STREAM')."})
final class PubCommand implements Callable<Integer> {
    @Mixin
    ServerOptions server;

    @Parameters(index = "0", paramLabel = "TOPIC", description = "Topic, e.g. orders.eu.created.")
    String topic;

    @Parameters(index = "1", arity = "0..1", paramLabel = "DATA", description = "Event data (text or JSON).")
    String data;

    @Option(names = "--type", description = "CloudEvents type (default: the topic).")
    String type;

    @Option(names = "--source", defaultValue = "/meshctl", description = "CloudEvents source (default ${DEFAULT-VALUE}).")
    String source;

    @Option(names = "--id", description = "CloudEvents id (default: a random UUID; with --count, suffixed -N).")
    String id;

    @Option(names = "--subject", description = "CloudEvents subject.")
    String subject;

    @Option(names = "--content-type", description = "Data content type (default: application/json when DATA is JSON, else text/plain).")
    String contentType;

    @Option(names = {"-e", "--ext"}, description = "Extension attribute NAME=VALUE (repeatable).")
    Map<String, String> extensions = new LinkedHashMap<>();

    @Option(names = "--count", defaultValue = "1", description = "Publish this many events (default ${DEFAULT-VALUE}).")
    int count;

    @Option(names = "--json", description = "Print the result as JSON (with --durable: one ack object per event).")
    boolean json;

    @Option(names = "--durable",
            description = "Publish to the durable stream whose subjects match TOPIC and wait until it has stored the "
                    + "event (retrying on failures and lost connections; the stream dedupes by source and id).")
    boolean durable;

    @Option(names = "--timeout", defaultValue = "30s", converter = Cli.DurationConverter.class,
            description = "With --durable: give up when an event is not stored within this time (default ${DEFAULT-VALUE}).")
    Duration timeout;

    @Override
    public Integer call() throws Exception {
        if (count < 1) {
            throw new IllegalArgumentException("--count must be at least 1");
        }
        String baseId = id != null ? id : UUID.randomUUID().toString();
        if (durable) {
            return publishDurable(baseId);
        }
        try (MeshClient client = server.connect("meshctl-pub")) {
            for (int i = 0; i < count; i++) {
                client.publish(topic, event(count == 1 ? baseId : baseId + "-" + (i + 1)));
            }
            client.flush(Duration.ofSeconds(10));
            if (json) {
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("topic", topic);
                out.put("published", count);
                out.put("id", baseId);
                out.put("server", client.connectedServer());
                out.put("node", client.serverInfo().node());
                System.out.println(Cli.JSON.writeValueAsString(out));
            } else {
                System.out.println("published " + count + (count == 1 ? " event" : " events") + " to " + topic
                        + " (id " + baseId + ") via " + client.serverInfo().node() + " (" + client.connectedServer() + ")");
            }
        }
        return 0;
    }

    private int publishDurable(String baseId) throws Exception {
        try (MeshClient client = server.connect(server.builder("meshctl-pub").durablePublishTimeout(timeout))) {
            List<String> ids = new ArrayList<>();
            List<CompletableFuture<PublishAck>> acks = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                String eventId = count == 1 ? baseId : baseId + "-" + (i + 1);
                ids.add(eventId);
                acks.add(client.publishDurable(topic, event(eventId)));
            }
            int failed = 0;
            for (int i = 0; i < count; i++) {
                PublishAck ack;
                try {
                    ack = acks.get(i).get();
                } catch (java.util.concurrent.ExecutionException e) {
                    failed++;
                    // unknown: the stream may have it (a retry of the same id is deduped); error: it has not
                    System.err.println((e.getCause() instanceof io.weft.client.OutcomeUnknownException ? "unknown: "
                            : "error: ") + ids.get(i) + ": " + Cli.message(e.getCause()));
                    continue;
                }
                System.out.println(json ? Cli.JSON.writeValueAsString(ackJson(topic, ids.get(i), ack)) : ackHuman(ack));
            }
            return failed == 0 ? 0 : 1;
        }
    }

    /** {@code stored in orders as seq 42}, or {@code duplicate of seq 42 in orders}. */
    static String ackHuman(PublishAck ack) {
        return ack.duplicate() ? "duplicate of seq " + ack.seq() + " in " + ack.stream()
                : "stored in " + ack.stream() + " as seq " + ack.seq();
    }

    static Map<String, Object> ackJson(String topic, String eventId, PublishAck ack) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("topic", topic);
        out.put("id", eventId);
        out.put("stream", ack.stream());
        out.put("seq", ack.seq());
        out.put("duplicate", ack.duplicate());
        return out;
    }

    CloudEvent event(String eventId) {
        CloudEventBuilder b = CloudEventBuilder.v1()
                .withId(eventId)
                .withSource(URI.create(source))
                .withType(type != null ? type : topic)
                .withTime(OffsetDateTime.now());
        if (subject != null) {
            b.withSubject(subject);
        }
        for (Map.Entry<String, String> e : extensions.entrySet()) {
            b.withExtension(e.getKey(), e.getValue());
        }
        if (data != null) {
            String ct = contentType != null ? contentType : looksLikeJson(data) ? "application/json" : "text/plain";
            b.withData(ct, data.getBytes(StandardCharsets.UTF_8));
        }
        return b.build();
    }

    private static boolean looksLikeJson(String s) {
        String t = s.trim();
        if (t.isEmpty()) {
            return false;
        }
        try {
            Cli.JSON.readTree(t);
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
