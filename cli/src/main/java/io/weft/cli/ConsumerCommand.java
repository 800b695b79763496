package io.weft.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.weft.client.MeshClient;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code meshctl consumer ...}: durable consumers of a stream: create, info, delete, next, ack, nak. */
@Command(name = "consumer", mixinStandardHelpOptions = true,
        description = "Manage a stream's durable consumers and receive events through them: create, info, delete, "
                + "next (pull), sub (push), ack, nak.",
        subcommands = {ConsumerCommand.Create.class, ConsumerCommand.Info.class, ConsumerCommand.Delete.class,
                ConsumerCommand.Next.class, ConsumerCommand.Sub.class, ConsumerCommand.Ack.class,
                ConsumerCommand.Nak.class})
final class ConsumerCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.err);
    }

    static String consumersPath(String stream) {
        return StreamCommand.streamPath(stream) + "/consumers";
    }

    static String consumerPath(String stream, String name) {
        return consumersPath(stream) + "/" + Api.seg(name);
    }

    /** Checks {@code first|last|new|seq:N|time:T}; returns it as typed. */
    static String checkStart(String start) {
        String s = start.trim();
        if (s.equals("first") || s.equals("last") || s.equals("new")) {
            return s;
        }
        if (s.startsWith("seq:") && s.substring(4).matches("\\d+")) {
            return s;
        }
        if (s.startsWith("time:")) {
            StreamCommand.checkTime(s.substring(5));
            return s;
        }
        throw new IllegalArgumentException("--start must be first, last, new, seq:N or time:T (ISO-8601 or epoch millis), not '"
                + start + "'");
    }

    /** {@code {"seqs":[...]}}. */
    static ObjectNode ackBody(List<Long> seqs) {
        ObjectNode b = Cli.JSON.createObjectNode();
        ArrayNode a = b.putArray("seqs");
        seqs.forEach(a::add);
        return b;
    }

    /** {@code meshctl consumer create STREAM NAME --start ...}: POST /v1/streams/STREAM/consumers. */
    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Create a durable consumer: it remembers which events of the stream were delivered and acked.")
    static final class Create implements Callable<Integer> {
        @Mixin
        ServerOptions server;

        @Parameters(index = "0", paramLabel = "STREAM", description = "Stream name.")
        String stream;

        @Parameters(index = "1", paramLabel = "NAME", description = "Consumer name.")
        String name;

        @Option(names = "--start", required = true, paramLabel = "WHERE",
                description = "Where delivery starts: first, last, new, seq:N or time:T (ISO-8601 or epoch millis).")
        String start;

        @Option(names = "--ack-wait", paramLabel = "DURATION",
                description = "Redeliver an event not acked within this time, e.g. 30s (default: the broker's).")
        String ackWait;

        @Option(names = "--max-deliver", paramLabel = "N",
                description = "Deliveries of an event without an ack before it goes to --dead-letter-topic (dropped without"
                        + " one); 0 (the default) redelivers it until it is acked, with no limit.")
        Integer maxDeliver;

        @Option(names = "--dead-letter-topic", paramLabel = "TOPIC",
                description = "Topic that receives events delivered --max-deliver times without ack, e.g. orders.dlq.")
        String deadLetterTopic;

        @Option(names = "--max-ack-pending", paramLabel = "N",
                description = "At most this many delivered but unacked events at a time (default: the broker's).")
        Integer maxAckPending;

        @Option(names = "--deliver-topic", paramLabel = "TOPIC",
                description = "Make it a push consumer: the stream pushes its events to TOPIC as they come "
                        + "(receive them with 'meshctl consumer sub'); without it the consumer is pulled with 'next'.")
        String deliverTopic;

        @Option(names = "--json", description = "Print the created consumer's info as JSON.")
        boolean json;

        /** The request body: {@code {"name","start","ackWait","maxDeliver","deadLetterTopic","maxAckPending"}}. */
        ObjectNode body() {
            if (maxDeliver != null && maxDeliver < 0) {
                throw new IllegalArgumentException("--max-deliver must be 0 (no limit) or more");
            }
            if (maxAckPending != null && maxAckPending < 1) {
                throw new IllegalArgumentException("--max-ack-pending must be at least 1");
            }
            ObjectNode b = Cli.JSON.createObjectNode();
            b.put("name", name);
            b.put("start", checkStart(start));
            StreamCommand.putIfSet(b, "ackWait", ackWait);
            if (maxDeliver != null) {
                b.put("maxDeliver", maxDeliver);
            }
            StreamCommand.putIfSet(b, "deadLetterTopic", deadLetterTopic);
            if (maxAckPending != null) {
                b.put("maxAckPending", maxAckPending);
            }
            StreamCommand.putIfSet(b, "deliverTopic", deliverTopic);
            return b;
        }

        @Override
        public Integer call() throws Exception {
            ObjectNode body = body();
            try (MeshClient client = server.connect("meshctl-consumer")) {
                JsonNode info = Api.call(client, "POST", consumersPath(stream), body);
                if (json) {
                    System.out.println(Cli.JSON.writeValueAsString(info.isNull() ? body : info));
                } else {
                    System.out.println("created consumer " + name + " on stream " + stream);
                    if (info.isObject()) {
                        printInfo(stream, info);
                    }
                }
            }
            return 0;
        }
    }

    /** {@code meshctl consumer info STREAM NAME}. */
    @Command(name = "info", mixinStandardHelpOptions = true, description = "Show a consumer: settings and progress.")
    static final class Info implements Callable<Integer> {
        @Mixin
        ServerOptions server;

        @Parameters(index = "0", paramLabel = "STREAM", description = "Stream name.")
        String stream;

        @Parameters(index = "1", paramLabel = "NAME", description = "Consumer name.")
        String name;

        @Option(names = "--json", description = "Print the consumer info as JSON.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            try (MeshClient client = server.connect("meshctl-consumer")) {
                JsonNode info = Api.call(client, "GET", consumerPath(stream, name), null);
                if (json) {
                    System.out.println(Cli.JSON.writeValueAsString(info));
                } else {
                    printInfo(stream, info);
                }
            }
            return 0;
        }
    }

    /** {@code meshctl consumer delete STREAM NAME}. */
    @Command(name = "delete", aliases = "rm", mixinStandardHelpOptions = true, description = "Delete a consumer.")
    static final class Delete implements Callable<Integer> {
        @Mixin
        ServerOptions server;

        @Parameters(index = "0", paramLabel = "STREAM", description = "Stream name.")
        String stream;

        @Parameters(index = "1", paramLabel = "NAME", description = "Consumer name.")
        String name;

        @Option(names = "--json", description = "Print the broker's reply as JSON.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            try (MeshClient client = server.connect("meshctl-consumer")) {
                JsonNode reply = Api.call(client, "DELETE", consumerPath(stream, name), null);
                if (json) {
                    System.out.println(reply.isNull() ? Cli.JSON.createObjectNode().put("deleted", name) : reply);
                } else {
                    System.out.println("deleted consumer " + name + " of stream " + stream);
                }
            }
            return 0;
        }
    }

    /** {@code meshctl consumer next STREAM NAME [--count N] [--no-ack]}. */
    @Command(name = "next", mixinStandardHelpOptions = true,
            description = "Fetch the consumer's next events, print them (redelivered ones marked) and ack them.")
    static final class Next implements Callable<Integer> {
        @Mixin
        ServerOptions server;

        @Parameters(index = "0", paramLabel = "STREAM", description = "Stream name.")
        String stream;

        @Parameters(index = "1", paramLabel = "NAME", description = "Consumer name.")
        String name;

        @Option(names = "--count", defaultValue = "1", description = "Fetch up to this many events (default ${DEFAULT-VALUE}).")
        int count;

        @Option(names = "--no-ack", description = "Do not ack what was fetched: it is redelivered after the consumer's ack wait.")
        boolean noAck;

        @Option(names = "--json", description = "Print one JSON object per event: {seq, time, topic, deliveryCount, redelivered, event}.")
        boolean json;

        String path() {
            return consumerPath(stream, name) + "/next?count=" + count;
        }

        @Override
        public Integer call() throws Exception {
            if (count < 1) {
                throw new IllegalArgumentException("--count must be at least 1");
            }
            try (MeshClient client = server.connect("meshctl-consumer")) {
                JsonNode page = Api.call(client, "POST", path(), null);
                List<Long> seqs = new ArrayList<>();
                for (JsonNode e : page.path("events")) {
                    System.out.println(json ? Cli.JSON.writeValueAsString(e) : Cli.storedEventHuman(e));
                    seqs.add(e.path("seq").asLong());
                }
                System.out.flush();
                if (seqs.isEmpty()) {
                    if (!json) {
                        System.err.println("no events pending for consumer " + name);
                    }
                    return 0;
                }
                if (!noAck) {
                    Api.call(client, "POST", consumerPath(stream, name) + "/ack", ackBody(seqs));
                    if (!json) {
                        System.err.println("acked " + seqs.size() + (seqs.size() == 1 ? " event" : " events"));
                    }
                }
            }
            return 0;
        }
    }

    /** {@code meshctl consumer sub STREAM NAME}: receive a push consumer's events, print and ack them. */
    @Command(name = "sub", mixinStandardHelpOptions = true,
            description = "Receive a push consumer's events as the stream pushes them, print them (redelivered ones "
                    + "marked) and ack each (Ctrl-C to stop).")
    static final class Sub implements Callable<Integer> {
        @Mixin
        ServerOptions server;

        @Parameters(index = "0", paramLabel = "STREAM", description = "Stream name.")
        String stream;

        @Parameters(index = "1", paramLabel = "NAME", description = "Consumer name (created with --deliver-topic).")
        String name;

        @Option(names = {"-q", "--queue"}, description = "Join this queue group: each event goes to one member.")
        String queue;

        @Option(names = "--count", defaultValue = "0", description = "Exit after this many events (0 = run until stopped).")
        int count;

        @Option(names = "--timeout", converter = Cli.DurationConverter.class,
                description = "Exit with status 1 if --count events have not arrived within this time.")
        java.time.Duration timeout;

        @Option(names = "--no-ack", description = "Do not ack: every event comes again after the consumer's ack wait.")
        boolean noAck;

        @Option(names = "--json", description = "Print one CloudEvents JSON object per line (with the weft* extensions).")
        boolean json;

        @Override
        public Integer call() throws Exception {
            if (count < 0) {
                throw new IllegalArgumentException("--count must not be negative");
            }
            java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(
                    count > 0 ? count : Integer.MAX_VALUE);
            java.util.concurrent.atomic.AtomicInteger received = new java.util.concurrent.atomic.AtomicInteger();
            try (MeshClient client = server.connect("meshctl-consumer")) {
                JsonNode info = Api.call(client, "GET", consumerPath(stream, name), null);
                String topic = info.path("deliverTopic").asText("");
                if (topic.isEmpty() || info.path("deliverTopic").isNull()) {
                    throw new IllegalArgumentException("consumer " + name + " of stream " + stream
                            + " is a pull consumer (no deliver topic): use 'meshctl consumer next'");
                }
                client.subscribe(topic, queue, m -> {
                    if (count > 0 && received.get() >= count) {
                        return;
                    }
                    received.incrementAndGet();
                    Object deliveries = m.event().getExtension("weftdeliveries");
                    String mark = deliveries != null && !deliveries.toString().equals("1")
                            ? " (redelivered, delivery " + deliveries + ")" : "";
                    System.out.println(json ? Cli.eventJson(m.event())
                            : "#" + m.event().getExtension("weftseq") + mark + " " + Cli.eventHuman(m.topic(), m.event()));
                    System.out.flush();
                    if (!noAck) {
                        client.ack(m).whenComplete((r, e) -> {
                            if (e != null || r.status() != 200) {
                                System.err.println("meshctl consumer sub: ack of #" + m.event().getExtension("weftseq")
                                        + " failed: " + (e != null ? e.getMessage() : r.json()));
                            }
                        });
                    }
                    done.countDown();
                }).confirmed().get(10, java.util.concurrent.TimeUnit.SECONDS);
                if (!json) {
                    System.err.println("receiving consumer " + name + " of stream " + stream + " on " + topic
                            + (queue == null ? "" : " in queue group " + queue));
                }
                int status = SubCommand.awaitEvents("meshctl consumer sub", done, received, count, timeout);
                client.flush(java.time.Duration.ofSeconds(10)); // the last acks
                return status;
            }
        }
    }

    /** What ack and nak share: the consumer, the output mode, and the call. */
    abstract static class Settle implements Callable<Integer> {
        @Mixin
        ServerOptions server;

        @Parameters(index = "0", paramLabel = "STREAM", description = "Stream name.")
        String stream;

        @Parameters(index = "1", paramLabel = "NAME", description = "Consumer name.")
        String name;

        @Option(names = "--json", description = "Print the broker's reply as JSON.")
        boolean json;

        /** POSTs {@code {"seqs":[...]}} to the consumer's {@code op} endpoint; the broker's reply. */
        JsonNode post(String op, List<Long> seqs) throws Exception {
            try (MeshClient client = server.connect("meshctl-consumer")) {
                return Api.call(client, "POST", consumerPath(stream, name) + "/" + op, ackBody(seqs));
            }
        }
    }

    /** {@code meshctl consumer ack STREAM NAME SEQ...}. */
    @Command(name = "ack", mixinStandardHelpOptions = true, description = "Ack events of a consumer by sequence number.")
    static final class Ack extends Settle {
        @Parameters(index = "2..*", arity = "1..*", paramLabel = "SEQ", description = "Sequence number(s) to ack.")
        List<Long> seqs = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            JsonNode reply = post("ack", seqs);
            if (json) {
                System.out.println(reply.isNull() ? ackBody(seqs) : reply);
            } else {
                System.out.println("acked " + seqs.size() + (seqs.size() == 1 ? " event" : " events"));
            }
            return 0;
        }
    }

    /** {@code meshctl consumer nak STREAM NAME [SEQ...]}. */
    @Command(name = "nak", mixinStandardHelpOptions = true,
            description = "Give back delivered, unacked events of a consumer: they are delivered again at once instead of "
                    + "after the ack wait (their delivery count still counts toward --max-deliver). Without SEQ: every "
                    + "unacked event.")
    static final class Nak extends Settle {
        @Parameters(index = "2..*", arity = "0..*", paramLabel = "SEQ", description = "Sequence number(s) to give back.")
        List<Long> seqs = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            JsonNode reply = post("nak", seqs);
            if (json) {
                System.out.println(reply);
            } else {
                int n = reply.path("redelivering").asInt();
                System.out.println(n + (n == 1 ? " event" : " events") + " to be delivered again");
            }
            return 0;
        }
    }

    /** A consumer's info for people. */
    static void printInfo(String stream, JsonNode c) {
        System.out.printf("consumer %s on stream %s%n", c.path("name").asText(), stream);
        System.out.printf("  start %s, ack-wait %s, max-deliver %s, dead-letter %s, max-ack-pending %s%n",
                StreamCommand.text(c.path("start")), StreamCommand.text(c.path("ackWait")),
                StreamCommand.text(c.path("maxDeliver")), StreamCommand.text(c.path("deadLetterTopic")),
                StreamCommand.text(c.path("maxAckPending")));
        if (c.hasNonNull("deliverTopic") && !c.path("deliverTopic").asText().isEmpty()) {
            System.out.printf("  push consumer: delivers to %s%n", c.path("deliverTopic").asText());
        }
        System.out.printf("  next seq %s, ack floor %s, ack pending %s%n", StreamCommand.text(c.path("nextSeq")),
                StreamCommand.text(c.path("ackFloor")), StreamCommand.text(c.path("ackPending")));
    }
}
