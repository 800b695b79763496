package io.weft.broker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.weft.broker.rules.InvalidRuleException;
import io.weft.broker.rules.SubscriptionSpec;
import io.weft.protocol.EventCodec;
import io.weft.protocol.EventPage;
import io.weft.protocol.Frames;
import io.weft.protocol.Wire;
import io.weft.storage.StreamConfig;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rules ("subscriptions" of the CloudEvents Subscriptions API) as mesh state: {@code /v1/subscriptions}.
 *
 * <p>The rules of a site live in that site's own stream, {@code _weft_rules_SITE}, capturing
 * {@code _weft.rules.SITE.>}: every change is one event (type {@code io.weft.rule.put} with the rule, or
 * {@code io.weft.rule.delete}), published durably, so a change is acknowledged only once a majority of the
 * stream's replicas stored it, and the rules survive any node and a restart of the whole site. The stream is
 * made at the site's first rule, with 3 replicas when the site has 3 live nodes, else 1. Reading the stream
 * from its start and keeping the last event of each rule gives the site's rules; any node lists the rules of
 * every site by reading every site's stream through its leader (read-your-writes).
 *
 * <p>The leader of a site's rules stream runs the site's deliveries ({@link RuleRunner}): Raft gives exactly
 * one, and a new leader takes over within an election when it dies.
 */
final class Rules {
    private static final Logger LOG = LoggerFactory.getLogger(Rules.class);
    static final String PATH = "/v1/subscriptions";
    static final String PUT_TYPE = "io.weft.rule.put";
    static final String DELETE_TYPE = "io.weft.rule.delete";
    private static final String PROBLEM_PREFIX = "https://weft.dev/problems/";
    private static final int PAGE = 500;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final MeshdConfig config;
    private final Streams streams;
    private final MeshNode mesh;
    private final RandomGenerator random;

    Rules(MeshdConfig config, Streams streams, MeshNode mesh, RandomGenerator random) {
        this.config = config;
        this.streams = streams;
        this.mesh = mesh;
        this.random = random;
    }

    static String stream(String site) {
        return StreamConfig.SYSTEM_PREFIX + "rules_" + site;
    }

    static String subject(String site) {
        return "_weft.rules." + site + ".>";
    }

    /** The stream behind a durable rule: it captures the rule's topic from the rule's creation on. */
    static String ruleStream(String id) {
        return StreamConfig.SYSTEM_PREFIX + "rule_" + id;
    }

    /** The topic a durable rule's stream pushes its consumer's events to; the rule's runner subscribes to it. */
    static String pushTopic(String id) {
        return "_weft.rule." + id + ".push";
    }

    /** The consumer of a durable rule's stream. */
    static final String CONSUMER = "rule";
    /** How long a durable rule's stream keeps events, acked or not. */
    static final Duration DURABLE_RETENTION = Duration.ofDays(7);

    static boolean isRulesStream(String stream) {
        return stream.startsWith(StreamConfig.SYSTEM_PREFIX + "rules_");
    }

    /** The rules streams that answered a read here once: a 404 from one later means "no leader now", not "none". */
    private final Set<String> seenRules = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** A site's rules could not be read: answered 503. */
    static final class Unavailable extends RuntimeException {
        Unavailable(String message) {
            super(message, null, false, false);
        }
    }

    /** Handles {@code METHOD /v1/subscriptions[/ID[/status]]}; never completes exceptionally. */
    CompletableFuture<Streams.Response> request(String method, String path, byte[] body) {
        return handle(method, path, body).exceptionally(e -> {
            Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
            return problem(503, "unavailable", "Rules unavailable", cause instanceof Unavailable ? cause.getMessage()
                    : "cannot answer now: " + cause, null);
        });
    }

    private CompletableFuture<Streams.Response> handle(String method, String path, byte[] body) {
        String rest = path.length() > PATH.length() ? path.substring(PATH.length() + 1) : "";
        String[] parts = rest.isEmpty() ? new String[0] : rest.split("/", -1);
        try {
            if (parts.length == 0) {
                return switch (method) {
                    case "GET" -> listAll().thenApply(all -> {
                        ArrayNode out = JSON.createArrayNode();
                        all.forEach(s -> out.add(s.toJson(false)));
                        return json(200, out);
                    });
                    case "POST" -> create(readBody(body));
                    default -> done(problem(405, "method-not-allowed", "Method not allowed",
                            method + " is not allowed on " + PATH + ": GET lists, POST creates", null));
                };
            }
            String id = parts[0];
            if (!SubscriptionSpec.validId(id)) {
                return done(problem(404, "not-found", "Not found", "no subscription '" + printable(id) + "'", null));
            }
            if (parts.length == 2 && parts[1].equals("status") && method.equals("GET")) {
                return runnerOp(id, "rule-status");
            }
            if (parts.length == 2 && parts[1].equals("resume") && method.equals("POST")) {
                return runnerOp(id, "rule-resume");
            }
            if (parts.length != 1) {
                return done(problem(404, "not-found", "Not found", "no such resource: " + printable(path), null));
            }
            return switch (method) {
                case "GET" -> find(id).thenApply(s -> s == null ? notFound(id) : json(200, s.toJson(false)));
                case "PUT" -> replace(id, readBody(body));
                case "DELETE" -> delete(id);
                default -> done(problem(405, "method-not-allowed", "Method not allowed",
                        method + " is not allowed on " + PATH + "/{id}: GET, PUT, DELETE", null));
            };
        } catch (InvalidRuleException e) {
            return done(invalid(e));
        } catch (IOException e) {
            return done(problem(400, "malformed-body", "Malformed body", "the body is not JSON: "
                    + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()), null));
        }
    }

    private static JsonNode readBody(byte[] body) throws IOException {
        if (body == null || body.length == 0) {
            throw new InvalidRuleException("", "a JSON object is required");
        }
        return JSON.readTree(body);
    }

    private CompletableFuture<Streams.Response> create(JsonNode body) {
        return createNew(SubscriptionSpec.fromJson(body, SubscriptionSpec.newId(random), config.site));
    }

    /**
     * Stores a rule that does not exist yet (POST, or a PUT of an unknown id): the site's rules stream and, for a
     * durable rule, its own stream first; answers 201 with the realized rule.
     */
    private CompletableFuture<Streams.Response> createNew(SubscriptionSpec spec) {
        Streams.Response refused = unsupported(spec);
        if (refused != null) {
            return done(refused);
        }
        return ensureStream(spec.site()).thenCompose(err -> err != null ? done(err) : ensureDurable(spec))
                .thenCompose(err -> err != null ? done(err)
                        : store(spec.site(), PUT_TYPE, spec.id(), spec.toJson(true)).thenApply(e -> e != null ? e
                                : new Streams.Response(201, bytes(spec.toJson(false)))));
    }

    /**
     * For a durable rule, its stream and consumer, made before the rule is stored so that no event on its topic
     * published after the creation's answer is missed; completes with null, or the error to answer.
     */
    private CompletableFuture<Streams.Response> ensureDurable(SubscriptionSpec spec) {
        if (!spec.durable()) {
            return done(null);
        }
        int live = streams.liveRaftNodes(spec.site());
        StreamConfig c = new StreamConfig(ruleStream(spec.id()), List.of(spec.topic()), live >= 3 ? 3 : 1, spec.site(),
                DURABLE_RETENTION, 0, 0, StreamConfig.DEFAULT_DEDUPE_WINDOW);
        ObjectNode consumer = JSON.createObjectNode().put("name", CONSUMER).put("start", "first")
                .put("ackWait", ackWaitMillis(spec)).put("maxAckPending", maxAckPending(spec))
                .put("deliverTopic", pushTopic(spec.id()));
        return streams.ensureSystem(c).thenCompose(r -> {
            if (r.status() != 201 && r.status() != 409) {
                return done(problem(503, "unavailable", "Durable stream unavailable", "cannot make the stream of "
                        + "durable subscription " + spec.id() + ": " + new String(r.json(), StandardCharsets.UTF_8), null));
            }
            ObjectNode req = JSON.createObjectNode().put("op", "consumer.create");
            req.set("config", consumer);
            return streams.call(c.name(), req).thenApply(cr -> cr.status() == 201 || cr.status() == 409 ? null
                    : problem(503, "unavailable", "Durable consumer unavailable", "cannot make the consumer of durable "
                            + "subscription " + spec.id() + ": " + new String(cr.json(), StandardCharsets.UTF_8), null));
        });
    }

    /**
     * How many events a durable rule's consumer has out at once: eight rounds of the rule's concurrency, so
     * the sink is kept busy across the round trips of the pushes and the acks (each a Raft commit), within
     * the rule's queue so that none is refused.
     */
    static int maxAckPending(SubscriptionSpec spec) {
        return Math.min(io.weft.broker.rules.SinkTarget.DEFAULT_QUEUE_CAPACITY, 8 * spec.concurrency());
    }

    /**
     * The ack wait of a durable rule's consumer: longer than an event can take from its push to its last
     * attempt (every backoff at its longest, every attempt at its timeout, plus 10 s), so the stream does
     * not push an event again while the runner still works on it. An event that waits in the rule's queue
     * longer than that (a paused or very slow sink) is pushed again, and the runner ignores the copy
     * ({@link DurableFeed}). A new runner takes back at once what a dead one held.
     */
    static long ackWaitMillis(SubscriptionSpec spec) {
        io.weft.broker.rules.DeliveryPolicy p = spec.delivery();
        long millis = 10_000 + (p.retry() + 1L) * p.timeout().toMillis();
        for (int n = 1; n <= p.retry(); n++) {
            millis += io.weft.broker.rules.RetryDecision.longestBackoff(p, n).toMillis();
        }
        return Math.min(millis, Duration.ofHours(6).toMillis());
    }

    /**
     * PUT: replaces the rule {@code id}, or creates it under that id (an upsert, which the Subscriptions API
     * allows): {@code meshctl apply} names its rules, so applying a file twice changes nothing.
     */
    private CompletableFuture<Streams.Response> replace(String id, JsonNode body) {
        return find(id).thenCompose(old -> {
            SubscriptionSpec spec;
            try {
                spec = SubscriptionSpec.fromJson(body, id, old == null ? config.site : old.site());
            } catch (InvalidRuleException e) {
                return done(invalid(e));
            }
            if (old == null) {
                return createNew(spec);
            }
            if (!spec.site().equals(old.site())) {
                return done(invalid(new InvalidRuleException("site", "a subscription cannot move to another site ("
                        + old.site() + "): delete it and create it there")));
            }
            if (spec.durable() != old.durable()) {
                return done(invalid(new InvalidRuleException("mode", "the mode cannot change (" + old.mode().jsonName()
                        + "): delete the subscription and create it again")));
            }
            if (spec.durable() && !spec.topic().equals(old.topic())) {
                return done(invalid(new InvalidRuleException("topic", "the topic of a durable subscription cannot "
                        + "change (" + old.topic() + "): its stream captures it; delete and create it again")));
            }
            Streams.Response refused = unsupported(spec);
            if (refused != null) {
                return done(refused);
            }
            return store(spec.site(), PUT_TYPE, id, spec.toJson(true))
                    .thenApply(e -> e != null ? e : json(200, spec.toJson(false)));
        });
    }

    private CompletableFuture<Streams.Response> delete(String id) {
        return find(id).thenCompose(old -> old == null ? done(notFound(id))
                : store(old.site(), DELETE_TYPE, id, JSON.createObjectNode().put("id", id)).thenCompose(e -> {
                    if (e != null) {
                        return done(e);
                    }
                    Streams.Response ok = json(200, JSON.createObjectNode().put("deleted", id));
                    if (!old.durable()) {
                        return done(ok);
                    }
                    // the rule is gone; its stream and what it still held go with it
                    return streams.call(ruleStream(id), JSON.createObjectNode().put("op", "delete")).handle((r, x) -> ok);
                }));
    }

    /** Sends {@code op} about rule {@code id} to the runner of its site (the leader of the site's rules stream). */
    private CompletableFuture<Streams.Response> runnerOp(String id, String op) {
        return find(id).thenCompose(s -> s == null ? done(notFound(id))
                : streams.call(stream(s.site()), JSON.createObjectNode().put("op", op).put("id", id)));
    }

    /** A rule this version cannot run, or that would feed itself: a 400 naming the field, or null. */
    private static Streams.Response unsupported(SubscriptionSpec spec) {
        String dead = spec.delivery().deadLetterTopic();
        if (dead != null && io.weft.protocol.Topics.matches(spec.topic(), dead)) {
            // its dead letters would come back to the same rule, and a sink that refuses them would loop for ever
            return invalid(new InvalidRuleException("delivery.deadLetterTopic", "'" + dead + "' matches the "
                    + "subscription's own topic '" + spec.topic() + "': pick a topic outside it"));
        }
        if (spec.durable() && !StreamConfig.validName(ruleStream(spec.id()))) {
            return invalid(new InvalidRuleException("id", "a durable subscription's id is at most "
                    + (StreamConfig.MAX_NAME_LENGTH - ruleStream("").length()) + " characters (it names its stream)"));
        }
        return null;
    }

    /** Makes the site's rules stream unless it exists; completes with null, or the error to answer. */
    private CompletableFuture<Streams.Response> ensureStream(String site) {
        int live = streams.liveRaftNodes(site);
        if (live == 0) {
            return done(invalid(new InvalidRuleException("site", "unknown site '" + site + "': no live node of it")));
        }
        StreamConfig c = new StreamConfig(stream(site), List.of(subject(site)), live >= 3 ? 3 : 1, site,
                Duration.ZERO, 0, 0, StreamConfig.DEFAULT_DEDUPE_WINDOW);
        return streams.ensureSystem(c).thenApply(r -> r.status() == 201 || r.status() == 409 || r.status() == 200
                ? null : problem(503, "unavailable", "Rules store unavailable", "cannot make the rules stream of site "
                        + site + ": " + new String(r.json(), StandardCharsets.UTF_8), null));
    }

    /** Stores one change durably; completes with null once a majority stored it, or the error to answer. */
    private CompletableFuture<Streams.Response> store(String site, String type, String id, ObjectNode data) {
        CloudEvent e = CloudEventBuilder.v1().withId(SubscriptionSpec.newId(random))
                .withSource(URI.create("/weft/node/" + config.node)).withType(type).withSubject(id)
                .withDataContentType("application/json").withData(bytes(data)).build();
        String topic = "_weft.rules." + site + "." + id;
        ByteBuf body = Unpooled.buffer(512);
        Wire.writeStr16(body, topic);
        EventCodec.encode(e, body);
        CompletableFuture<Streams.Response> f = new CompletableFuture<>();
        try {
            streams.publishDurable(topic, body, ack -> f.complete(ack.status() == Frames.ACK_STORED || ack.status() == Frames.ACK_DUPLICATE ? null
                    : problem(503, "not-stored", "Not stored", "the rules stream of site " + site
                            + " did not store the change: " + ack.detail() + " (retry)", null)));
        } finally {
            body.release();
        }
        return f;
    }

    /** The rule {@code id}, looked up in every site's rules, or null. */
    CompletableFuture<SubscriptionSpec> find(String id) {
        return listAll().thenApply(all -> all.stream().filter(s -> s.id().equals(id)).findFirst().orElse(null));
    }

    /** Every site's rules, by site then id. */
    CompletableFuture<List<SubscriptionSpec>> listAll() {
        TreeSet<String> sites = new TreeSet<>();
        sites.add(config.site);
        mesh.nodes().forEach(n -> sites.add(n.site()));
        List<CompletableFuture<Map<String, SubscriptionSpec>>> each = new ArrayList<>();
        for (String site : sites) {
            each.add(read(site));
        }
        return CompletableFuture.allOf(each.toArray(new CompletableFuture<?>[0])).thenApply(v -> {
            List<SubscriptionSpec> out = new ArrayList<>();
            each.forEach(f -> out.addAll(f.join().values()));
            return out;
        });
    }

    /** The rules of {@code site}: its stream folded from the start, through the stream's leader. */
    CompletableFuture<Map<String, SubscriptionSpec>> read(String site) {
        return readFrom(stream(site), 1, new LinkedHashMap<>());
    }

    private CompletableFuture<Map<String, SubscriptionSpec>> readFrom(String stream, long from,
                                                                      Map<String, SubscriptionSpec> acc) {
        ObjectNode req = JSON.createObjectNode().put("op", "read").put("fromSeq", from).put("count", PAGE);
        return streams.call(stream, req).thenCompose(r -> {
            if (r.status() == 404 && !seenRules.contains(stream)) {
                return CompletableFuture.completedFuture(acc); // no rules stream (yet): no rules
            }
            if (r.status() != 200) {
                // it exists (it answered before; system streams are never deleted) but has no leader now, or did not answer
                return CompletableFuture.failedFuture(new Unavailable("the rules of site " + stream.substring(
                        StreamConfig.SYSTEM_PREFIX.length() + "rules_".length()) + " cannot be read right now (their stream "
                        + (r.status() == 404 ? "is electing a leader, which takes seconds after a node is lost" : "answered "
                        + r.status() + ": " + new String(r.json(), StandardCharsets.UTF_8)) + "); retry"));
            }
            seenRules.add(stream);
            ByteBuf b = Unpooled.wrappedBuffer(r.json());
            EventPage.Page page = EventPage.read(b, b.readableBytes());
            for (EventPage.Entry entry : page.entries()) {
                apply(acc, entry.event());
            }
            if (page.entries().isEmpty() || page.next() > page.lastSeq()) {
                return CompletableFuture.completedFuture(acc);
            }
            return readFrom(stream, page.next(), acc);
        });
    }

    /** Applies one stored change to {@code rules}; a change that cannot be read is logged and skipped. */
    static void apply(Map<String, SubscriptionSpec> rules, byte[] event) {
        try {
            CloudEvent e = EventCodec.decode(Unpooled.wrappedBuffer(event));
            JsonNode data = JSON.readTree(e.getData() == null ? new byte[0] : e.getData().toBytes());
            if (PUT_TYPE.equals(e.getType())) {
                SubscriptionSpec s = SubscriptionSpec.fromStored(data);
                rules.put(s.id(), s);
            } else if (DELETE_TYPE.equals(e.getType())) {
                rules.remove(data.path("id").asText());
            }
        } catch (IOException | RuntimeException x) {
            LOG.warn("skipping a rules change that cannot be read: {}", x.toString());
        }
    }

    private static Streams.Response notFound(String id) {
        return problem(404, "not-found", "Not found", "no subscription '" + id + "'", null);
    }

    private static Streams.Response invalid(InvalidRuleException e) {
        return problem(400, "invalid-subscription", "Invalid subscription", e.getMessage(), e.field());
    }

    static Streams.Response problem(int status, String slug, String title, String detail, String field) {
        ObjectNode p = JSON.createObjectNode().put("type", PROBLEM_PREFIX + slug).put("title", title)
                .put("status", status).put("detail", detail);
        if (field != null && !field.isEmpty()) {
            p.put("field", field);
        }
        return new Streams.Response(status, bytes(p));
    }

    private static Streams.Response json(int status, JsonNode doc) {
        return new Streams.Response(status, bytes(doc));
    }

    private static byte[] bytes(JsonNode n) {
        try {
            return JSON.writeValueAsBytes(n);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static CompletableFuture<Streams.Response> done(Streams.Response r) {
        return CompletableFuture.completedFuture(r);
    }

    private static String printable(String s) {
        return io.weft.protocol.Topics.printable(s);
    }
}
