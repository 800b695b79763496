package io.weft.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.weft.client.MeshClient;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code meshctl stream ...}: create, list, inspect, purge, delete and replay durable streams. */
@Command(name = "stream", mixinStandardHelpOptions = true,
        description = "Manage durable streams: create, ls, info, purge, delete, replay.",
        subcommands = {StreamCommand.Create.class, StreamCommand.Ls.class, StreamCommand.Info.class,
                StreamCommand.Purge.class, StreamCommand.Delete.class, StreamCommand.Replay.class})
final class StreamCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.err);
    }

    static String streamPath(String name) {
        return "/v1/streams/" + Api.seg(name);
    }

    /** {@code meshctl stream create NAME --subjects P ...}: POST /v1/streams. */
    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Create a durable stream that stores every event whose topic matches one of its subjects. "
                    + "(Here --site is the stream's site; the client's site preference comes from MESHCTL_SITE.)")
    static final class Create implements Callable<Integer> {
        @Mixin
        ConnectOptions server;

        @Parameters(index = "0", paramLabel = "NAME", description = "Stream name, e.g. orders.")
        String name;

        @Option(names = "--subjects", required = true, split = ",", paramLabel = "PATTERN",
                description = "Topic pattern(s) the stream stores, e.g. 'orders.>' (repeatable or comma-separated).")
        List<String> subjects = new ArrayList<>();

        @Option(names = "--replicas", defaultValue = "1",
                description = "Copies of the stream on nodes of its site (default ${DEFAULT-VALUE}).")
        int replicas;

        @Option(names = "--site", description = "Site whose nodes hold the stream (default: the site of the broker that creates it).")
        String site;

        @Option(names = "--max-age", paramLabel = "DURATION", description = "Drop events older than this, e.g. 7d, 12h (default: keep).")
        String maxAge;

        @Option(names = "--max-bytes", paramLabel = "SIZE", description = "Drop the oldest events past this size, e.g. 10GB, 512MB (default: no limit).")
        String maxBytes;

        @Option(names = "--max-events", paramLabel = "N", description = "Drop the oldest events past this many (default: no limit).")
        Long maxEvents;

        @Option(names = "--dedupe-window", paramLabel = "DURATION",
                description = "How long an event's source and id are remembered to drop duplicates, e.g. 2m (default: the broker's).")
        String dedupeWindow;

        @Option(names = "--json", description = "Print the created stream's info as JSON.")
        boolean json;

        /** The request body: {@code {"name","subjects","replicas","site","maxAge","maxBytes","maxEvents","dedupeWindow"}}. */
        ObjectNode body() {
            if (replicas < 1) {
                throw new IllegalArgumentException("--replicas must be at least 1");
            }
            if (maxEvents != null && maxEvents < 1) {
                throw new IllegalArgumentException("--max-events must be at least 1");
            }
            ObjectNode b = Cli.JSON.createObjectNode();
            b.put("name", name);
            ArrayNode s = b.putArray("subjects");
            for (String p : subjects) {
                if (!p.isBlank()) {
                    s.add(p.trim());
                }
            }
            if (s.isEmpty()) {
                throw new IllegalArgumentException("--subjects needs at least one pattern");
            }
            b.put("replicas", replicas);
            putIfSet(b, "site", site);
            putIfSet(b, "maxAge", maxAge);
            putIfSet(b, "maxBytes", maxBytes);
            if (maxEvents != null) {
                b.put("maxEvents", maxEvents);
            }
            putIfSet(b, "dedupeWindow", dedupeWindow);
            return b;
        }

        @Override
        public Integer call() throws Exception {
            ObjectNode body = body();
            try (MeshClient client = server.connect("meshctl-stream")) {
                JsonNode info = Api.call(client, "POST", "/v1/streams", body);
                if (json) {
                    System.out.println(Cli.JSON.writeValueAsString(info.isNull() ? body : info));
                } else {
                    System.out.println("created stream " + name);
                    if (info.isObject()) {
                        printInfo(info);
                    }
                }
            }
            return 0;
        }
    }

    /** {@code meshctl stream ls}: GET /v1/streams. */
    @Command(name = "ls", aliases = "list", mixinStandardHelpOptions = true, description = "List the streams of the mesh.")
    static final class Ls implements Callable<Integer> {
        @Mixin
        ServerOptions server;

        @Option(names = "--json", description = "Print the list as JSON (same as GET /v1/streams).")
        boolean json;

        @Override
        public Integer call() throws Exception {
            try (MeshClient client = server.connect("meshctl-stream")) {
                JsonNode doc = Api.call(client, "GET", "/v1/streams", null);
                if (json) {
                    System.out.println(Cli.JSON.writeValueAsString(doc));
                    return 0;
                }
                if (doc.path("streams").isEmpty()) {
                    System.out.println("no streams");
                    return 0;
                }
                String fmt = "%-20s %-24s %-10s %3s %-16s %12s %10s %12s %9s%n";
                System.out.printf(fmt, "NAME", "SUBJECTS", "SITE", "R", "LEADER", "EVENTS", "BYTES", "LAST SEQ", "CONSUMERS");
                for (JsonNode s : doc.path("streams")) {
                    System.out.printf(fmt, s.path("name").asText(), join(s.path("subjects")), text(s.path("site")),
                            text(s.path("replicas")), text(s.path("leader")), text(s.path("events")), bytes(s.path("bytes")),
                            text(s.path("lastSeq")), s.path("consumers").size());
                }
            }
            return 0;
        }
    }

    /** {@code meshctl stream info NAME}: GET /v1/streams/NAME. */
    @Command(name = "info", mixinStandardHelpOptions = true,
            description = "Show a stream: subjects, placement, leader, sequence range, size, limits, consumers.")
    static final class Info implements Callable<Integer> {
        @Mixin
        ServerOptions server;

        @Parameters(index = "0", paramLabel = "NAME", description = "Stream name.")
        String name;

        @Option(names = "--json", description = "Print the stream info as JSON.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            try (MeshClient client = server.connect("meshctl-stream")) {
                JsonNode info = Api.call(client, "GET", streamPath(name), null);
                if (json) {
                    System.out.println(Cli.JSON.writeValueAsString(info));
                } else {
                    printInfo(info);
                }
            }
            return 0;
        }
    }

    /** {@code meshctl stream delete NAME}: DELETE /v1/streams/NAME. */
    @Command(name = "delete", aliases = "rm", mixinStandardHelpOptions = true,
            description = "Delete a stream with its events and consumers.")
    static final class Delete implements Callable<Integer> {
        @Mixin
        ServerOptions server;

        @Parameters(index = "0", paramLabel = "NAME", description = "Stream name.")
        String name;

        @Option(names = "--json", description = "Print the broker's reply as JSON.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            try (MeshClient client = server.connect("meshctl-stream")) {
                JsonNode reply = Api.call(client, "DELETE", streamPath(name), null);
                if (json) {
                    System.out.println(reply.isNull() ? Cli.JSON.createObjectNode().put("deleted", name) : reply);
                } else {
                    System.out.println("deleted stream " + name);
                }
            }
            return 0;
        }
    }

    /** {@code meshctl stream purge NAME [--keep N | --keep-from SEQ] --yes}: POST /v1/streams/NAME/purge. */
    @Command(name = "purge", mixinStandardHelpOptions = true,
            description = "Remove a stream's stored events: all of them, all but the newest N (--keep), or those before "
                    + "a sequence (--keep-from). The stream, its consumers and its numbering stay: new events go on "
                    + "from the last sequence, consumers skip what was removed. Asks for --yes.")
    static final class Purge implements Callable<Integer> {
        @Mixin
        ServerOptions server;

        @Parameters(index = "0", paramLabel = "NAME", description = "Stream name.")
        String name;

        @ArgGroup(exclusive = true)
        Keep keep;

        /** What is kept: at most one of the two; neither purges every event. */
        static final class Keep {
            @Option(names = "--keep", paramLabel = "N", required = true,
                    description = "Keep the newest N events (counted when the purge runs); remove the older ones.")
            Long last;

            @Option(names = "--keep-from", paramLabel = "SEQ", required = true,
                    description = "Keep the events from sequence SEQ on; remove those before it.")
            Long fromSeq;
        }

        @Option(names = "--yes", description = "Really remove the events (without it meshctl only says what it would remove).")
        boolean yes;

        @Option(names = "--json", description = "Print the broker's reply as JSON: {purged, firstSeq, lastSeq}.")
        boolean json;

        /** The request body, or null (every event). */
        ObjectNode body() {
            if (keep == null) {
                return null;
            }
            if (keep.last != null) {
                if (keep.last < 0) {
                    throw new IllegalArgumentException("--keep must be 0 or more");
                }
                return Cli.JSON.createObjectNode().put("keep", keep.last);
            }
            if (keep.fromSeq < 1) {
                throw new IllegalArgumentException("--keep-from must be a sequence number (1 or more)");
            }
            return Cli.JSON.createObjectNode().put("keepFrom", keep.fromSeq);
        }

        /** What the purge removes, for people. */
        String what() {
            if (keep == null || (keep.last != null && keep.last == 0)) {
                return "every event of stream " + name;
            }
            if (keep.last != null) {
                return "every event of stream " + name + " but the newest " + keep.last;
            }
            return "the events of stream " + name + " before seq " + keep.fromSeq;
        }

        @Override
        public Integer call() throws Exception {
            ObjectNode body = body();
            if (!yes) {
                System.err.println("meshctl stream purge: this would remove " + what()
                        + " (the stream and its consumers stay); add --yes to do it");
                return 1;
            }
            try (MeshClient client = server.connect("meshctl-stream")) {
                JsonNode reply = Api.call(client, "POST", streamPath(name) + "/purge", body);
                if (json) {
                    System.out.println(Cli.JSON.writeValueAsString(reply));
                } else {
                    System.out.println(purgedLine(name, reply));
                }
            }
            return 0;
        }

        /** {@code purged N events from NAME (now seq F..L)}, or {@code (now empty; next seq L+1)}. */
        static String purgedLine(String name, JsonNode reply) {
            long n = reply.path("purged").asLong();
            long first = reply.path("firstSeq").asLong();
            long last = reply.path("lastSeq").asLong();
            return "purged " + n + (n == 1 ? " event" : " events") + " from " + name + " (now "
                    + (first <= last ? "seq " + first + ".." + last : "empty; next seq " + (last + 1)) + ")";
        }
    }

    /** How {@code stream replay} paces events. */
    enum Rate { original, max }

    /** {@code meshctl stream replay NAME --from-seq N | --from-time T}: pages of GET /v1/streams/NAME/events. */
    @Command(name = "replay", mixinStandardHelpOptions = true,
            description = "Print a stream's stored events from a sequence number or a time, like 'meshctl sub' prints "
                    + "live ones (each prefixed with #SEQ).")
    static final class Replay implements Callable<Integer> {
        @Mixin
        ServerOptions server;

        @Parameters(index = "0", paramLabel = "NAME", description = "Stream name.")
        String name;

        @ArgGroup(exclusive = true, multiplicity = "1")
        From from;

        /** Where the replay starts: exactly one of the two. */
        static final class From {
            @Option(names = "--from-seq", paramLabel = "N", required = true, description = "Start at this sequence number.")
            Long seq;

            @Option(names = "--from-time", paramLabel = "TIME", required = true,
                    description = "Start at the first event stored at or after TIME: ISO-8601 (2024-05-01T10:00:00Z) or epoch millis.")
            String time;
        }

        @Option(names = "--count", defaultValue = "0", description = "Stop after this many events (0 = up to the end of the stream).")
        long count;

        @Option(names = "--rate", defaultValue = "max",
                description = "'max' prints as fast as possible; 'original' replays in real time: it waits between events"
                        + " as long as passed between their storing, so an hour of events takes an hour (default"
                        + " ${DEFAULT-VALUE}).")
        Rate rate;

        @Option(names = "--batch", defaultValue = "500", description = "Events fetched per request (default ${DEFAULT-VALUE}).")
        int batch;

        @Option(names = "--json", description = "Print one JSON object per line: {seq, time, topic, event}.")
        boolean json;

        /** The first page's path. */
        String firstPath() {
            int n = pageSize(0);
            if (from.seq != null) {
                return pagePath(name, from.seq, n);
            }
            return streamPath(name) + "/events?from_time=" + Api.q(checkTime(from.time)) + "&count=" + n;
        }

        static String pagePath(String stream, long seq, int n) {
            return streamPath(stream) + "/events?from_seq=" + seq + "&count=" + n;
        }

        int pageSize(long printed) {
            return (int) (count > 0 ? Math.min(batch, count - printed) : batch);
        }

        @Override
        public Integer call() throws Exception {
            if (batch < 1 || count < 0 || (from.seq != null && from.seq < 0)) {
                throw new IllegalArgumentException("need --batch >= 1, --count >= 0, --from-seq >= 0");
            }
            String path = firstPath();
            long printed = 0;
            long lastTime = -1;
            try (MeshClient client = server.connect("meshctl-replay")) {
                if (rate == Rate.original) {
                    System.err.println("replaying " + name + " in real time (--rate original): events come as far apart"
                            + " as they were stored; Ctrl-C stops");
                }
                while (true) {
                    JsonNode page = Api.call(client, "GET", path, null);
                    JsonNode events = page.path("events");
                    if (events.isEmpty()) {
                        break;
                    }
                    long lastSeq = -1;
                    for (JsonNode e : events) {
                        if (count > 0 && printed >= count) {
                            break;
                        }
                        long t = e.path("time").asLong(-1);
                        if (rate == Rate.original && lastTime >= 0 && t > lastTime) {
                            System.out.flush();
                            TimeUnit.MILLISECONDS.sleep(t - lastTime); // the pacing is the feature
                        }
                        if (t >= 0) {
                            lastTime = t;
                        }
                        System.out.println(json ? Cli.JSON.writeValueAsString(e) : Cli.storedEventHuman(e));
                        printed++;
                        lastSeq = e.path("seq").asLong();
                    }
                    if (count > 0 && printed >= count) {
                        break;
                    }
                    long next = page.hasNonNull("next") ? page.get("next").asLong() : lastSeq + 1;
                    path = pagePath(name, next, pageSize(printed));
                }
            }
            System.out.flush();
            if (!json) {
                System.err.println("replayed " + printed + (printed == 1 ? " event" : " events") + " of " + name);
            }
            return 0;
        }
    }

    /** Checks that {@code t} is ISO-8601 or epoch millis; returns it as typed (the broker parses it). */
    static String checkTime(String t) {
        String s = t.trim();
        if (s.matches("\\d+")) {
            return s;
        }
        try {
            Instant.parse(s);
            return s;
        } catch (DateTimeParseException e) {
            try {
                OffsetDateTime.parse(s);
                return s;
            } catch (DateTimeParseException e2) {
                throw new IllegalArgumentException("'" + t + "' is not a time: use ISO-8601 (2024-05-01T10:00:00Z) or epoch millis");
            }
        }
    }

    static void putIfSet(ObjectNode b, String field, String value) {
        if (value != null && !value.isBlank()) {
            b.put(field, value.trim());
        }
    }

    /** A stream's info for people. */
    static void printInfo(JsonNode s) {
        System.out.printf("stream %s%n", s.path("name").asText());
        System.out.printf("  subjects:   %s%n", join(s.path("subjects")));
        System.out.printf("  placement:  site %s, %s replica(s), leader %s, peers %s%n", text(s.path("site")),
                text(s.path("replicas")), text(s.path("leader")), join(s.path("peers")));
        System.out.printf("  events:     %s (%s), seq %s..%s%n", text(s.path("events")), bytes(s.path("bytes")),
                text(s.path("firstSeq")), text(s.path("lastSeq")));
        System.out.printf("  limits:     max-age %s, max-bytes %s, max-events %s, dedupe-window %s%n", text(s.path("maxAge")),
                text(s.path("maxBytes")), text(s.path("maxEvents")), text(s.path("dedupeWindow")));
        JsonNode raft = s.path("raft");
        if (raft.isObject()) {
            long commit = raft.path("commitIndex").asLong();
            StringBuilder lag = new StringBuilder();
            raft.path("peerCommitIndex").fields().forEachRemaining(e -> lag.append(lag.length() == 0 ? "" : ", ")
                    .append(e.getKey()).append(' ').append(Math.max(0, commit - e.getValue().asLong())));
            System.out.printf("  raft:       term %s, log %s..%s, commit %s, applied %s, snapshot %s; entries behind: %s%n",
                    text(raft.path("term")), text(raft.path("logStart")), text(raft.path("logLast")), commit,
                    text(raft.path("appliedIndex")), text(raft.path("snapshotIndex")), lag.length() == 0 ? "-" : lag);
        }
        JsonNode consumers = s.path("consumers");
        if (consumers.isEmpty()) {
            System.out.println("  consumers:  none");
            return;
        }
        System.out.printf("  consumers:  %d%n", consumers.size());
        String fmt = "    %-20s %-16s %-9s %-11s %10s %10s %8s %s%n";
        System.out.printf(fmt, "NAME", "START", "ACK WAIT", "MAX DELIVER", "NEXT SEQ", "ACK FLOOR", "PENDING", "DEAD LETTER");
        for (JsonNode c : consumers) {
            System.out.printf(fmt, c.path("name").asText(), text(c.path("start")), text(c.path("ackWait")),
                    text(c.path("maxDeliver")), text(c.path("nextSeq")), text(c.path("ackFloor")), text(c.path("ackPending")),
                    text(c.path("deadLetterTopic")));
        }
    }

    /** A value, or "-" when missing or null. */
    static String text(JsonNode n) {
        return n.isMissingNode() || n.isNull() || n.asText().isEmpty() ? "-" : n.asText();
    }

    static String join(JsonNode list) {
        if (!list.isArray() || list.isEmpty()) {
            return "-";
        }
        List<String> out = new ArrayList<>();
        list.forEach(n -> out.add(n.asText()));
        return String.join(",", out);
    }

    /** A byte count for people (1.5 MiB); non-numbers as they are. */
    static String bytes(JsonNode n) {
        if (!n.isNumber()) {
            return text(n);
        }
        long b = n.asLong();
        if (b < 1024) {
            return b + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
        double v = b;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(java.util.Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
