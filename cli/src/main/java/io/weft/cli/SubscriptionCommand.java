package io.weft.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.weft.client.MeshClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code meshctl subscription ...}: rules that deliver matching events to an HTTP endpoint (/v1/subscriptions). */
@Command(name = "subscription", aliases = "subscriptions", mixinStandardHelpOptions = true,
        description = "Manage subscriptions (rules): events matching a topic and filter, delivered to an HTTP sink "
                + "with retries and a dead-letter topic. Subcommands: create, ls, get, delete, status.",
        subcommands = {SubscriptionCommand.Create.class, SubscriptionCommand.Ls.class, SubscriptionCommand.Get.class,
                SubscriptionCommand.Delete.class, SubscriptionCommand.Status.class, SubscriptionCommand.Resume.class})
final class SubscriptionCommand implements Runnable {
    static final String PATH = "/v1/subscriptions";

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.err);
    }

    /** {@code meshctl subscription create --sink URL ...} or {@code -f FILE} (JSON or YAML): POST /v1/subscriptions. */
    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Create a subscription. Either give the fields as options, or the whole resource with -f "
                    + "(JSON or YAML, the CloudEvents Subscriptions API resource plus Weft's topic, mode, site, "
                    + "delivery, transform). Prints the created subscription.")
    static final class Create implements Callable<Integer> {
        @Mixin
        ConnectOptions server;

        @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "The subscription as JSON or YAML.")
        Path file;

        @Option(names = "--sink", paramLabel = "URL", description = "Where events are POSTed (http or https).")
        String sink;

        @Option(names = "--topic", paramLabel = "PATTERN", description = "Topic pattern (default '>').")
        String topic;

        @Option(names = "--filter", paramLabel = "EXPR", description = "A CESQL filter, e.g. \"amount > 100\".")
        String filter;

        @Option(names = "--type", split = ",", paramLabel = "TYPE", description = "Event types to take (any of them).")
        List<String> types = new ArrayList<>();

        @Option(names = "--source", paramLabel = "SOURCE", description = "The event source to take.")
        String source;

        @Option(names = "--site", description = "Site whose nodes run the deliveries (default: the broker's site).")
        String site;

        @Option(names = "--dead-letter-topic", paramLabel = "TOPIC", description = "Where given-up events go.")
        String deadLetterTopic;

        @Option(names = "--retry", paramLabel = "N", description = "Retries before giving up (default 10).")
        Integer retry;

        @Option(names = "--json", description = "Print the created subscription as JSON.")
        boolean json;

        ObjectNode body() throws Exception {
            if (file != null) {
                JsonNode doc = Documents.read(file).get(0);
                if (!doc.isObject()) {
                    throw new IllegalArgumentException(file + ": not an object");
                }
                return (ObjectNode) doc;
            }
            if (sink == null) {
                throw new IllegalArgumentException("give --sink URL (or the whole subscription with -f FILE)");
            }
            ObjectNode b = Cli.JSON.createObjectNode().put("protocol", "HTTP").put("sink", sink);
            if (!types.isEmpty()) {
                types.forEach(b.putArray("types")::add);
            }
            putIfSet(b, "source", source);
            if (filter != null) {
                b.putArray("filters").addObject().put("sql", filter);
            }
            putIfSet(b, "topic", topic);
            putIfSet(b, "site", site);
            if (deadLetterTopic != null || retry != null) {
                ObjectNode d = b.putObject("delivery");
                putIfSet(d, "deadLetterTopic", deadLetterTopic);
                if (retry != null) {
                    d.put("retry", retry);
                }
            }
            return b;
        }

        @Override
        public Integer call() throws Exception {
            ObjectNode body = body();
            try (MeshClient client = server.connect("meshctl-subscription")) {
                JsonNode created = Api.call(client, "POST", PATH, body);
                if (json) {
                    System.out.println(Cli.JSON.writeValueAsString(created));
                } else {
                    System.out.println("created subscription " + created.path("id").asText());
                    print(created);
                }
            }
            return 0;
        }
    }

    /** {@code meshctl subscription ls}. */
    @Command(name = "ls", aliases = "list", mixinStandardHelpOptions = true, description = "List the subscriptions of every site.")
    static final class Ls implements Callable<Integer> {
        @Mixin
        ConnectOptions server;

        @Option(names = "--json", description = "Print the JSON array.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            try (MeshClient client = server.connect("meshctl-subscription")) {
                JsonNode all = Api.call(client, "GET", PATH, null);
                if (json) {
                    System.out.println(Cli.JSON.writeValueAsString(all));
                    return 0;
                }
                if (all.isEmpty()) {
                    System.out.println("no subscriptions");
                }
                System.out.printf("%-22s %-10s %-12s %-20s %s%n", "ID", "SITE", "MODE", "TOPIC", "SINK");
                for (JsonNode s : all) {
                    System.out.printf("%-22s %-10s %-12s %-20s %s%n", s.path("id").asText(), s.path("site").asText(),
                            s.path("mode").asText(), s.path("topic").asText(), s.path("sink").asText());
                }
            }
            return 0;
        }
    }

    /** The subcommands that name one subscription: the connection options and its id. */
    abstract static class ById implements Callable<Integer> {
        @Mixin
        ConnectOptions server;

        @Parameters(index = "0", paramLabel = "ID", description = "The subscription's id (as meshctl subscription ls shows it).")
        String id;

        /** {@code /v1/subscriptions/ID} followed by {@code rest}. */
        String path(String rest) {
            return PATH + "/" + Api.seg(id) + rest;
        }
    }

    /** {@code meshctl subscription get ID}. */
    @Command(name = "get", mixinStandardHelpOptions = true, description = "Show one subscription as JSON.")
    static final class Get extends ById {
        @Override
        public Integer call() throws Exception {
            try (MeshClient client = server.connect("meshctl-subscription")) {
                System.out.println(Cli.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(
                        Api.call(client, "GET", path(""), null)));
            }
            return 0;
        }
    }

    /** {@code meshctl subscription delete ID}. */
    @Command(name = "delete", aliases = "rm", mixinStandardHelpOptions = true, description = "Delete a subscription.")
    static final class Delete extends ById {
        @Override
        public Integer call() throws Exception {
            try (MeshClient client = server.connect("meshctl-subscription")) {
                Api.call(client, "DELETE", path(""), null);
                System.out.println("deleted subscription " + id);
            }
            return 0;
        }
    }

    /** {@code meshctl subscription resume ID}: after the sink answered 410 Gone and the subscription paused. */
    @Command(name = "resume", mixinStandardHelpOptions = true,
            description = "Resume a subscription that paused because its sink answered 410 Gone.")
    static final class Resume extends ById {
        @Override
        public Integer call() throws Exception {
            try (MeshClient client = server.connect("meshctl-subscription")) {
                Api.call(client, "POST", path("/resume"), null);
                System.out.println("resumed subscription " + id);
            } catch (Api.ApiException e) {
                if (e.status == 409) {
                    System.err.println("meshctl subscription resume: " + id + " is not paused (or not running right now)");
                    return 1;
                }
                throw e;
            }
            return 0;
        }
    }

    /** {@code meshctl subscription status ID}. */
    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Delivery status of a subscription, from the node that runs it: counts, latency, last error.")
    static final class Status extends ById {
        @Option(names = "--json", description = "Print the JSON document.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            try (MeshClient client = server.connect("meshctl-subscription")) {
                JsonNode s = Api.call(client, "GET", path("/status"), null);
                if (json) {
                    System.out.println(Cli.JSON.writeValueAsString(s));
                    return 0;
                }
                JsonNode d = s.path("delivery");
                System.out.printf("subscription %s: %s on %s (site %s)%n", id,
                        s.path("running").asBoolean() ? (d.path("paused").asBoolean() ? "paused" : "running") : "not running",
                        s.path("node").asText(), s.path("site").asText());
                if (!d.isMissingNode()) {
                    System.out.printf("  delivered %d, retried %d, failed %d, dead-lettered %d, dropped %d; queued %d, in flight %d%n",
                            d.path("delivered").asLong(), d.path("retried").asLong(), d.path("failed").asLong(),
                            d.path("deadLettered").asLong(), d.path("dropped").asLong(), d.path("queued").asLong(),
                            d.path("inFlight").asLong());
                    JsonNode lat = d.path("latencyMs");
                    System.out.printf("  latency ms p50 %s, p90 %s, p99 %s; last status %s%s%n", lat.path("p50").asText("-"),
                            lat.path("p90").asText("-"), lat.path("p99").asText("-"), d.path("lastStatus").asText("-"),
                            d.hasNonNull("lastError") ? ", last error " + d.path("lastError").asText() : "");
                }
                JsonNode c = s.path("durable");
                if (!c.isMissingNode()) {
                    System.out.printf("  durable: stream %s, lag %s (last seq %s, acked up to %s, %s out, %s held by the "
                                    + "runner)%s%n", c.path("stream").asText(), c.path("lag").asText("-"),
                            c.path("lastSeq").asText("-"), c.path("ackFloor").asText("-"), c.path("ackPending").asText("-"),
                            c.path("held").asText("-"), c.hasNonNull("error") ? "; " + c.path("error").asText() : "");
                }
            }
            return 0;
        }
    }

    static void print(JsonNode s) {
        System.out.printf("  %s -> %s (site %s, %s)%n", s.path("topic").asText(), s.path("sink").asText(),
                s.path("site").asText(), s.path("mode").asText());
        if (s.has("filters") && !s.path("filters").isEmpty()) {
            System.out.println("  filters: " + s.path("filters"));
        }
    }

    private static void putIfSet(ObjectNode b, String field, String value) {
        if (value != null && !value.isBlank()) {
            b.put(field, value);
        }
    }

    /** JSON or YAML documents of a file (YAML may hold several, separated by {@code ---}). */
    static final class Documents {
        private Documents() {
        }

        static List<JsonNode> read(Path file) throws java.io.IOException {
            String text = Files.readString(file);
            List<JsonNode> out = new ArrayList<>();
            if (text.stripLeading().startsWith("{") || text.stripLeading().startsWith("[")) {
                JsonNode n = Cli.JSON.readTree(text);
                if (n.isArray()) {
                    n.forEach(out::add);
                } else {
                    out.add(n);
                }
                return out;
            }
            com.fasterxml.jackson.databind.ObjectMapper yaml =
                    new com.fasterxml.jackson.databind.ObjectMapper(new com.fasterxml.jackson.dataformat.yaml.YAMLFactory());
            try (com.fasterxml.jackson.databind.MappingIterator<JsonNode> it = yaml.readerFor(JsonNode.class).readValues(text)) {
                while (it.hasNext()) {
                    JsonNode n = it.next();
                    if (n != null && !n.isNull() && !n.isMissingNode()) {
                        out.add(n);
                    }
                }
            }
            if (out.isEmpty()) {
                throw new IllegalArgumentException(file + ": no documents");
            }
            return out;
        }
    }
}
