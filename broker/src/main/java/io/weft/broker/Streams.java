package io.weft.broker;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.weft.protocol.EventCodec;
import io.weft.protocol.Frames;
import io.weft.protocol.Topics;
import io.weft.protocol.Wire;
import io.weft.routing.Origin;
import io.weft.routing.net.NodeInfo;
import io.weft.storage.ConsumerConfig;
import io.weft.storage.ConsumerInfo;
import io.weft.storage.ConsumerOp;
import io.weft.storage.ConsumerOpResult;
import io.weft.storage.DeadLetter;
import io.weft.storage.InvalidStreamConfigException;
import io.weft.storage.Publish;
import io.weft.storage.PublishAck;
import io.weft.storage.StoredEvent;
import io.weft.storage.StreamConfig;
import io.weft.storage.raft.Batcher;
import io.weft.storage.raft.StreamHost;
import io.weft.storage.raft.StreamStateMachine;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Durable streams on this node: hosts the node's stream replicas ({@link StreamHost}) and connects
 * them to the mesh.
 *
 * <p>The leader of a stream subscribes, inside the node, to the stream's subjects in the queue group
 * {@code _weft_stream_NAME} (so it attracts the events through interest like any subscriber, and
 * exactly one leader takes each event), to {@code _weft.api.stream.NAME} (the stream's admin calls,
 * same group) and to {@code _weft.api.streams} (listing). Any node can reach any stream that way,
 * without knowing where it lives. Answers travel back as events to the asker's inbox topic
 * {@code _weft.inbox.NODE.ID}, carried as the reply topic of the request.
 *
 * <p>A durable publish is an ordinary routed event with a reply topic: core subscribers get it at
 * once; the leader stores it and acks to the reply topic after a majority committed it. A lost ack
 * makes the client retry the same event, which the stream's dedupe turns into the original sequence.
 */
final class Streams implements StreamHost.Events, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Streams.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String INTERNAL_TYPE = "io.weft.internal";
    static final String API_PREFIX = "_weft.api.stream.";
    static final String LIST_TOPIC = "_weft.api.streams";
    /**
     * Stream creation for site S goes to {@code _weft.api.create.S}, taken by one node of S (queue group
     * {@code _weft_create_S}): a replica group is set up from inside its site, because with TLS the raft
     * port of a node takes only nodes of its own site.
     */
    static final String CREATE_PREFIX = "_weft.api.create.";
    /** Longest a stream creation forwarded to another site waits (group set-up, then its leader's first info). */
    private static final long CREATE_TIMEOUT_MILLIS = 45_000;
    /** Longest an admin call waits for the stream's leader. */
    private static final long CALL_TIMEOUT_MILLIS = 10_000;
    /** Longest a durable publish waits for its ack before the client is told to retry. */
    private static final long ACK_TIMEOUT_MILLIS = 1_500;
    /** How long {@code stream ls} collects answers. */
    private static final long LIST_WINDOW_MILLIS = 400;

    /** An answer: HTTP-like status and a JSON document. */
    record Response(int status, byte[] json) {
        static Response of(int status, Object doc) {
            try {
                return new Response(status, JSON.writeValueAsBytes(doc));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        static Response error(int status, String message) {
            return of(status, Map.of("error", message));
        }
    }

    private final MeshdConfig config;
    private final Router router;
    private final MeshNode mesh;
    private final BrokerMetrics metrics;
    private final String inboxPrefix;
    private final AtomicLong ids = new AtomicLong();
    private final Map<Long, Waiter> waiting = new ConcurrentHashMap<>();
    private final Map<String, List<Subscription>> led = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timer;
    /** The timer's duties, each only while it has work: answers waited for, push consumers led, held publishes. */
    private final DemandTicker expireTicker;
    private final DemandTicker pushTicker;
    private final DemandTicker heldTicker;
    private final ExecutorService work;
    private final PushDelivery push;
    private final InboxAcks acks = new InboxAcks();
    private final HeldPublishes held;
    private StreamHost host;
    private int raftPort;

    private static final class Waiter {
        final Consumer<byte[]> onReply;
        final Runnable onTimeout;
        final long deadlineNanos;
        final boolean many;

        Waiter(Consumer<byte[]> onReply, Runnable onTimeout, long deadlineNanos, boolean many) {
            this.onReply = onReply;
            this.onTimeout = onTimeout;
            this.deadlineNanos = deadlineNanos;
            this.many = many;
        }
    }

    Streams(MeshdConfig config, Router router, MeshNode mesh, BrokerMetrics metrics) {
        this.config = config;
        this.router = router;
        this.mesh = mesh;
        this.metrics = metrics;
        this.inboxPrefix = "_weft.inbox." + config.node;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "weft-streams-timer"));
        this.work = Executors.newFixedThreadPool(2, r -> daemon(r, "weft-streams"));
        this.push = new PushDelivery(router, this::deadLetters, System::currentTimeMillis);
        this.held = new HeldPublishes(router, waiting::containsKey, this::refuseRemote, System::nanoTime);
        this.expireTicker = new DemandTicker(timer, this::expire, () -> !waiting.isEmpty(), 50);
        this.pushTicker = new DemandTicker(timer, this::pushTick, () -> !led.isEmpty(), 10);
        this.heldTicker = new DemandTicker(timer, held::tick, () -> held.size() > 0, 10);
    }

    /**
     * Starts the raft server on {@code --raft-port}; with port 0 a port chosen before is reused (it is
     * kept in the data dir), because the replicas' peers know this node by that address.
     */
    int start(io.weft.storage.raft.RaftTls tls) throws IOException {
        Path dir = config.dataDir.resolve("raft");
        Files.createDirectories(dir);
        Path portFile = config.dataDir.resolve("raft.port");
        int port = config.raftPort;
        if (port == 0 && Files.exists(portFile)) {
            port = Integer.parseInt(Files.readString(portFile).trim());
        }
        host = new StreamHost(config.node, dir, config.host, port, this,
                StreamHost.Settings.defaults().withSnapshotEveryEntries(config.streamSnapshotEntries), tls);
        host.start();
        raftPort = host.port();
        Files.writeString(portFile, Integer.toString(raftPort));
        router.subscribeInternal(inboxPrefix + ".*", null, this::inbox);
        router.subscribeInternal(CREATE_PREFIX + config.site, "_weft_create_" + config.site, this::createAsked);
        router.onUndelivered(this::undelivered);
        mesh.onLostRequests(this::lost);
        return raftPort;
    }

    int raftPort() {
        return raftPort;
    }

    // ---- leader side ----

    private void pushTick() {
        try {
            if (!led.isEmpty()) {
                push.tick(host, led.keySet());
            }
        } catch (RuntimeException e) {
            LOG.warn("push delivery: {}", e.toString());
        }
    }

    /**
     * Told about the mesh's own streams ({@link StreamConfig#isSystem}) this node leads: the rules of its
     * site are run by the leader of their stream.
     */
    interface SystemStreams {
        /** This node became the leader of {@code c} (after its capture subscriptions). */
        void leading(StreamConfig c);

        /** This node no longer leads {@code stream} (or it was deleted). */
        void notLeading(String stream);

        /** A majority stored an entry of {@code stream}, which this node leads. */
        void stored(String stream);

        /** An operation this class does not know, sent to the leader of system stream {@code stream}. */
        CompletableFuture<Response> op(String stream, JsonNode req);
    }

    private volatile SystemStreams system;

    void onSystemStreams(SystemStreams listener) {
        this.system = listener;
    }

    /** The queue group of a stream's capture and API subscriptions: one leader takes each event. */
    private static final String GROUP_PREFIX = "_weft_stream_";

    private static String group(String stream) {
        return GROUP_PREFIX + stream;
    }

    @Override
    public void leaderReady(StreamConfig c) {
        synchronized (led) {
            if (led.containsKey(c.name())) {
                return;
            }
            List<Subscription> subs = new ArrayList<>();
            for (String subject : c.subjects()) {
                subs.add(router.subscribeInternal(subject, group(c.name()), (t, b, r) -> capture(c.name(), t, b, r)));
            }
            subs.add(router.subscribeInternal(API_PREFIX + c.name(), group(c.name()), (t, b, r) -> api(c.name(), b, r)));
            subs.add(router.subscribeInternal(LIST_TOPIC, null, (t, b, r) -> listed(c.name(), r)));
            led.put(c.name(), subs);
            pushTicker.arm();
            LOG.info("leading stream {} ({})", c.name(), c.subjects());
        }
        SystemStreams s = system;
        if (s != null && StreamConfig.isSystem(c.name())) {
            s.leading(c);
        }
    }

    @Override
    public void notLeader(String name) {
        stopLeading(name);
    }

    @Override
    public void deleted(String name) {
        stopLeading(name);
        LOG.info("stream {} deleted", name);
    }

    private void stopLeading(String name) {
        SystemStreams s = system;
        if (s != null && StreamConfig.isSystem(name)) {
            s.notLeading(name);
        }
        synchronized (led) {
            List<Subscription> subs = led.remove(name);
            if (subs != null) {
                subs.forEach(router::unsubscribe);
                LOG.info("no longer leading stream {}", name);
            }
        }
    }

    /** A captured event: store it; ack to the reply topic when there is one. */
    private void capture(String stream, String topic, ByteBuf pubBody, String replyTo) {
        int start = pubBody.readerIndex() + 2 + pubBody.getUnsignedShort(pubBody.readerIndex());
        byte[] event = new byte[pubBody.writerIndex() - start];
        pubBody.getBytes(start, event);
        ByteBuf e = Unpooled.wrappedBuffer(event);
        e.skipBytes(1);
        String id = Wire.readStr16(e);
        String source = Wire.readStr16(e);
        host.publish(stream, new Publish(source, id, topic, event), new Batcher.Callback() {
            @Override
            public void acked(PublishAck ack) {
                if (replyTo != null) {
                    byte[] bytes = ackBytes(ack.duplicate() ? Frames.ACK_DUPLICATE : Frames.ACK_STORED, ack.seq(), stream);
                    if (!acks.gather(replyTo, bytes)) {
                        reply(replyTo, bytes);
                    }
                }
            }

            @Override
            public void failed(String error) {
                if (replyTo != null) {
                    reply(replyTo, ackBytes(Frames.ACK_FAILED, 0, error));
                } else {
                    LOG.warn("stream {}: captured event on {} not stored: {}", stream, topic, error);
                }
            }

            @Override
            public void unknown(String error) {
                if (replyTo != null) {
                    reply(replyTo, ackBytes(Frames.ACK_UNKNOWN, 0, "stream " + stream + " may have stored it: "
                            + error));
                } else {
                    LOG.warn("stream {}: captured event on {} may not be stored: {}", stream, topic, error);
                }
            }
        });
    }

    @Override
    public void entryAcked(String stream, int events, long waitNanos, long commitNanos) {
        flushAcks();
        SystemStreams s = system;
        if (s != null && StreamConfig.isSystem(stream)) {
            s.stored(stream);
        }
        metrics.streamEntry(stream, events, waitNanos, commitNanos);
    }

    /** Sends the answers this thread gathered: one event per asking node, this node's answered here. */
    private void flushAcks() {
        acks.flush((node, data) -> {
            if (node.equals(config.node)) {
                InboxAcks.forEach(data, this::answer);
            } else {
                send(InboxAcks.topic(node), data, null);
            }
        });
    }

    private static byte[] ackBytes(int status, long seq, String detail) {
        ByteBuf b = Unpooled.buffer(16 + detail.length() * 3);
        b.writeByte(status);
        b.writeLong(seq);
        Wire.writeStr16(b, detail.length() > 4000 ? detail.substring(0, 4000) : detail);
        byte[] out = new byte[b.readableBytes()];
        b.readBytes(out);
        return out;
    }

    private void listed(String stream, String replyTo) {
        if (replyTo != null) {
            work.execute(() -> reply(replyTo, statusJson(200, StreamJson.info(host, stream))));
        }
    }

    /** An admin call for a stream this node leads. */
    private void api(String stream, ByteBuf pubBody, String replyTo) {
        answer(pubBody, replyTo, req -> execute(stream, req));
    }

    /** Runs a request that came as an internal event off the event loop, and answers it to {@code replyTo}. */
    private void answer(ByteBuf pubBody, String replyTo, RequestHandler handler) {
        if (replyTo == null) {
            return;
        }
        int start = pubBody.readerIndex() + 2 + pubBody.getUnsignedShort(pubBody.readerIndex());
        byte[] data = EventCodec.readData(pubBody.duplicate().readerIndex(start));
        work.execute(() -> {
            CompletableFuture<Response> f;
            try {
                f = handler.handle(JSON.readTree(data));
            } catch (RuntimeException | IOException e) {
                f = CompletableFuture.completedFuture(Response.error(400, StreamHost.messageOf(e)));
            }
            f.whenComplete((r, err) -> reply(replyTo, err == null ? statusJson(r.status(), r.json())
                    : statusJson(503, Response.error(503, StreamHost.messageOf(err)).json())));
        });
    }

    private interface RequestHandler {
        CompletableFuture<Response> handle(JsonNode req) throws IOException;
    }

    private CompletableFuture<Response> execute(String stream, JsonNode req) throws IOException {
        String op = req.path("op").asText();
        switch (op) {
            case "info":
                return done(200, StreamJson.info(host, stream));
            case "delete":
                return host.delete(stream).thenApply(v -> Response.of(200, Map.of("deleted", stream)));
            case "purge":
                return purge(stream, req);
            case "events":
                return CompletableFuture.completedFuture(new Response(200, events(stream, req)));
            case "read":
                return CompletableFuture.completedFuture(new Response(200, StreamPages.page(host.replica(stream).orElseThrow(),
                        req.path("fromSeq").asLong(1), req.path("count").asInt(1), config.maxPayloadBytes)));
            case "consumer.create": {
                ConsumerConfig cc = StreamJson.consumerConfig(req.path("config"));
                return host.consumerOp(stream, new ConsumerOp.Create(cc)).thenApply(r -> r.ok()
                        ? Response.of(201, StreamJson.consumerDoc(r.info())) : Response.error(409, r.error()));
            }
            case "consumer.info": {
                String name = req.path("consumer").asText();
                Optional<ConsumerInfo> ci = host.replica(stream).flatMap(sm -> sm.read(l -> l.consumer(name).orElse(null)));
                return done(ci.isPresent() ? 200 : 404, ci.<Object>map(StreamJson::consumerDoc)
                        .orElse(Map.of("error", "stream " + stream + " has no consumer " + name)));
            }
            case "consumer.out": {
                // what the consumer has had out for at least minAgeMillis, not acked and not due again yet:
                // its subscriber compares it with what it holds, and naks what never reached it
                String name = req.path("consumer").asText();
                long minAge = Math.max(0, req.path("minAgeMillis").asLong(0));
                long now = System.currentTimeMillis();
                Optional<Object> out = host.replica(stream).flatMap(sm -> sm.read(l -> l.consumer(name)
                        .map(ci -> (Object) Map.of("ackPending", ci.ackPending(),
                                "seqs", l.outFor(name, minAge, now, ConsumerOp.MAX_SEQS).orElseThrow()))
                        .orElse(null)));
                return done(out.isPresent() ? 200 : 404,
                        out.orElse(Map.of("error", "stream " + stream + " has no consumer " + name)));
            }
            case "consumer.delete": {
                String name = req.path("consumer").asText();
                return host.consumerOp(stream, new ConsumerOp.Delete(name)).thenApply(r -> r.ok()
                        ? Response.of(200, Map.of("deleted", name)) : Response.error(404, r.error()));
            }
            case "consumer.next": {
                String name = req.path("consumer").asText();
                int count = Math.max(1, Math.min(500, req.path("count").asInt(1)));
                return host.consumerOp(stream, new ConsumerOp.Next(name, count)).thenApply(r -> {
                    if (!r.ok()) {
                        return Response.error(404, r.error());
                    }
                    deadLetters(r);
                    return new Response(200, StreamJson.deliveriesJson(r.deliveries()));
                });
            }
            case "consumer.ack":
            case "consumer.nak": {
                String name = req.path("consumer").asText();
                boolean ack = op.equals("consumer.ack");
                List<Long> seqs = new ArrayList<>();
                for (JsonNode s : req.path("seqs")) {
                    if (!s.canConvertToLong() || s.asLong() < 1) {
                        return done(400, Map.of("error", "seqs: " + s + " is not a sequence number"));
                    }
                    seqs.add(s.asLong());
                }
                if (ack && seqs.isEmpty()) {
                    return done(400, Map.of("error", "seqs: give the sequence numbers to ack"));
                }
                // one Raft entry per MAX_SEQS sequences; a nak without any lets go of every pending event
                List<CompletableFuture<ConsumerOpResult>> ops = new ArrayList<>();
                for (int i = 0; i < Math.max(1, seqs.size()); i += ConsumerOp.MAX_SEQS) {
                    List<Long> chunk = seqs.subList(Math.min(i, seqs.size()), Math.min(i + ConsumerOp.MAX_SEQS, seqs.size()));
                    ops.add(host.consumerOp(stream, ack ? new ConsumerOp.AckMany(name, chunk) : new ConsumerOp.Nak(name, chunk)));
                }
                return CompletableFuture.allOf(ops.toArray(new CompletableFuture[0])).thenApply(v -> {
                    int changed = 0;
                    for (CompletableFuture<ConsumerOpResult> a : ops) {
                        ConsumerOpResult r = a.join();
                        if (!r.ok()) {
                            return Response.error(404, r.error());
                        }
                        changed += r.changed();
                    }
                    return Response.of(200, Map.of(ack ? "acked" : "redelivering", changed));
                });
            }
            default:
                SystemStreams s = system;
                if (s != null && StreamConfig.isSystem(stream)) {
                    return s.op(stream, req);
                }
                return done(400, Map.of("error", "unknown stream operation '" + op + "'"));
        }
    }

    /**
     * Purges a stream this node leads: {@code keepFrom} (the first sequence kept), {@code keep} (the
     * newest N kept, counted from the last sequence this replica applied, so events stored meanwhile are
     * kept too), or neither (every event). The mesh's own streams are refused here too, whatever node
     * the request came through.
     */
    private CompletableFuture<Response> purge(String stream, JsonNode req) {
        if (StreamConfig.isSystem(stream)) {
            return done(403, Map.of("error", "stream " + stream + " is one of the mesh's own (names starting with "
                    + StreamConfig.SYSTEM_PREFIX + "): it cannot be purged"));
        }
        long keepFrom = Long.MAX_VALUE;
        if (req.hasNonNull("keepFrom")) {
            keepFrom = req.path("keepFrom").asLong();
            if (keepFrom < 1) {
                return done(400, Map.of("error", "keepFrom: " + keepFrom + " is not a sequence number (1 or more)"));
            }
        } else if (req.hasNonNull("keep")) {
            long keep = req.path("keep").asLong();
            if (keep < 0) {
                return done(400, Map.of("error", "keep: " + keep + " is not a number of events (0 or more)"));
            }
            if (keep > 0) {
                long last = host.replica(stream).flatMap(sm -> sm.read(l -> l.lastSeq())).orElse(0L);
                keepFrom = Math.max(1, last - keep + 1);
            }
        }
        return host.purge(stream, keepFrom).thenApply(r -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("purged", r.purged());
            m.put("firstSeq", r.firstSeq());
            m.put("lastSeq", r.lastSeq());
            return Response.of(200, m);
        });
    }

    private void deadLetters(ConsumerOpResult r) {
        for (DeadLetter d : r.deadLetters()) {
            if (d.topic() == null) {
                continue;
            }
            ByteBuf body = PooledByteBufAllocator.DEFAULT.buffer(d.event().event().length + d.topic().length() + 2);
            try {
                Wire.writeStr16(body, d.topic());
                body.writeBytes(d.event().event());
                router.route(d.topic(), body, null);
            } finally {
                body.release();
            }
        }
    }

    private static CompletableFuture<Response> done(int status, Object doc) {
        return CompletableFuture.completedFuture(Response.of(status, doc));
    }

    private byte[] events(String stream, JsonNode req) throws IOException {
        StreamStateMachine sm = host.replica(stream).orElseThrow();
        int count = Math.max(1, Math.min(StreamPages.MAX_EVENTS, req.path("count").asInt(1000)));
        long from;
        if (req.hasNonNull("fromTime")) {
            long t = StreamJson.parseTime(req.path("fromTime").asText());
            from = sm.read(l -> l.seqForTime(t)).orElse(1L);
        } else {
            from = Math.max(1, req.path("fromSeq").asLong(1));
        }
                // the answer travels as one event: keep its JSON (about 2x the raw events) under the payload limit
        List<StoredEvent> events = sm.readFrom(from, count, config.maxPayloadBytes / 3);
        long next = events.isEmpty() ? from : events.get(events.size() - 1).seq() + 1;
        ByteArrayOutputStream out = new ByteArrayOutputStream(256 + events.size() * 256);
        try (JsonGenerator g = JSON.getFactory().createGenerator(out)) {
            g.writeStartObject();
            g.writeArrayFieldStart("events");
            for (StoredEvent e : events) {
                StreamJson.writeEvent(g, e, 0);
            }
            g.writeEndArray();
            g.writeNumberField("next", next);
            g.writeNumberField("lastSeq", sm.read(l -> l.lastSeq()).orElse(0L));
            g.writeEndObject();
        }
        return out.toByteArray();
    }

    // ---- asking side: any node ----

    /**
     * Up to {@code max} stored events of {@code stream} from {@code fromSeq}, as a binary
     * {@link EventPage} (the client protocol's READ). This node's own replica answers when it has
     * applied {@code fromSeq}: whatever a replica holds is committed, because it applies nothing else,
     * and reading it costs no mesh hop. Otherwise the leader answers, and so decides where the stream
     * ends for now.
     */
    CompletableFuture<Response> readPage(String stream, long fromSeq, int max) {
        StreamApiRoute.Refused bad = StreamApiRoute.checkName(stream);
        if (bad != null) {
            return done(bad.status(), Map.of("error", bad.error()));
        }
        Optional<StreamStateMachine> local = host.replica(stream);
        if (local.isPresent() && local.get().read(l -> l.lastSeq()).orElse(0L) >= fromSeq) {
            return CompletableFuture.supplyAsync(
                    () -> new Response(200, StreamPages.page(local.get(), fromSeq, max, config.maxPayloadBytes)), work);
        }
        return call(stream, JSON.createObjectNode().put("op", "read").put("fromSeq", fromSeq).put("count", max));
    }

    /** Routes an admin request ({@code /v1/streams...}); the answer may come from another node. */
    CompletableFuture<Response> request(String method, String path, Map<String, String> query, byte[] body) {
        StreamApiRoute.Route r = StreamApiRoute.of(method, path, query, body);
        try {
            if (r instanceof StreamApiRoute.ListAll) {
                return list().thenApply(l -> Response.of(200, Map.of("streams", l)));
            } else if (r instanceof StreamApiRoute.Create c) {
                return create(c.config());
            } else if (r instanceof StreamApiRoute.LocalInfo l) {
                return host.replica(l.stream()).isEmpty()
                        ? done(404, Map.of("error", "this node holds no replica of " + l.stream()))
                        : done(200, StreamJson.info(host, l.stream()));
            } else if (r instanceof StreamApiRoute.LocalEvents l) {
                return host.replica(l.stream()).isEmpty()
                        ? done(404, Map.of("error", "this node holds no replica of " + l.stream()))
                        : CompletableFuture.completedFuture(new Response(200, events(l.stream(), l.req())));
            } else if (r instanceof StreamApiRoute.Call c) {
                return callForClient(c.stream(), c.req());
            }
            StreamApiRoute.Refused no = (StreamApiRoute.Refused) r;
            return done(no.status(), Map.of("error", no.error()));
        } catch (IOException | RuntimeException e) {
            return done(400, Map.of("error", "bad request: " + StreamHost.messageOf(e)));
        }
    }

    /** A call on {@code stream}'s leader; 404 at once when no node takes it (internal callers retry themselves). */
    CompletableFuture<Response> call(String stream, ObjectNode req) {
        return call(stream, req, System.nanoTime(), 0);
    }

    /** As {@link #call}, for the API: a call no node takes is tried again for {@link #NOBODY_WAIT_MILLIS}. */
    private CompletableFuture<Response> callForClient(String stream, ObjectNode req) {
        return call(stream, req, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(NOBODY_WAIT_MILLIS), 20);
    }

    /**
     * How long an API call on a stream that no node takes is tried again before it is answered 404. A stream
     * just made through another node, or one electing its leader, is not reachable for a moment; a script that
     * makes a stream and then its consumer must not be told the stream does not exist. The price: an API call
     * on a stream that really does not exist is answered after this wait.
     */
    static final long NOBODY_WAIT_MILLIS = 2_000;

    private CompletableFuture<Response> call(String stream, ObjectNode req, long untilNanos, long backoffMillis) {
        String to = leaderRoute(stream);
        return ask(API_PREFIX + stream, jsonBytes(req), CALL_TIMEOUT_MILLIS,
                () -> "stream " + stream + " did not answer within " + CALL_TIMEOUT_MILLIS / 1000 + " s: "
                        + (to == null ? "no node took the request" : "the request went to " + to
                        + ", where the stream's leader listens, and no answer came back"
                        + " (meshctl status -s that node; meshctl stream info " + stream + " on it)"),
                () -> null).thenCompose(r -> {
                    if (r != null) {
                        return CompletableFuture.completedFuture(r);
                    }
                    if (System.nanoTime() - untilNanos >= 0) {
                        return done(404, Map.of("error", "no stream named " + stream + " (or it has no leader right now)"));
                    }
                    // nothing was sent (no node takes the stream's requests yet): safe to ask again
                    return CompletableFuture.supplyAsync(() -> null,
                                    CompletableFuture.delayedExecutor(backoffMillis, TimeUnit.MILLISECONDS))
                            .thenCompose(v -> call(stream, req, untilNanos, Math.min(backoffMillis * 2, 200)));
                });
    }

    /** Sends {@code data} on internal topic {@code topic} to the one node that takes it, and waits for its answer. */
    private CompletableFuture<Response> ask(String topic, byte[] data, long timeoutMillis,
            java.util.function.Supplier<String> timedOut, java.util.function.Supplier<Response> nobody) {
        CompletableFuture<Response> f = new CompletableFuture<>();
        long id = ids.incrementAndGet();
        waiting.put(id, new Waiter(reply -> f.complete(fromStatusJson(reply)),
                () -> f.complete(Response.error(504, timedOut.get())),
                System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis), false));
        expireTicker.arm();
        int reached = send(topic, data, inboxPrefix + "." + id);
        if (reached == 0) {
            waiting.remove(id);
            f.complete(nobody.get());
        }
        return f;
    }

    /**
     * Which node a request to stream {@code stream}'s leader goes to from here, as the mesh routes
     * it now (for error messages), or null when none takes it.
     */
    private String leaderRoute(String stream) {
        String topic = API_PREFIX + stream;
        if (router.hasLocalSubscriber(topic)) {
            return "this node (" + config.node + ")";
        }
        io.weft.routing.RouteDecision d = mesh.decide(topic, Origin.LOCAL, java.util.Set.of(), java.util.Set.of());
        List<String> to = new ArrayList<>(d.routeForwards().keySet());
        d.gatewayNodes().forEach((site, node) -> to.add(node + " (site " + site + ")"));
        return to.isEmpty() ? null : String.join(", ", to);
    }

    /** Every stream's info, from every leader in the mesh. */
    CompletableFuture<List<Object>> list() {
        List<Object> found = java.util.Collections.synchronizedList(new ArrayList<>());
        CompletableFuture<List<Object>> f = new CompletableFuture<>();
        long id = ids.incrementAndGet();
        waiting.put(id, new Waiter(data -> {
            Response r = fromStatusJson(data);
            try {
                found.add(JSON.readValue(r.json(), Map.class));
            } catch (IOException e) {
                LOG.debug("bad list answer: {}", e.toString());
            }
        }, () -> {
            List<Object> sorted = new ArrayList<>(found);
            sorted.sort(Comparator.comparing(o -> String.valueOf(((Map<?, ?>) o).get("name"))));
            f.complete(sorted);
        }, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(LIST_WINDOW_MILLIS), true));
        expireTicker.arm();
        int reached = send(LIST_TOPIC, "{}".getBytes(StandardCharsets.UTF_8), inboxPrefix + "." + id);
        if (reached == 0 && waiting.remove(id) != null) {
            f.complete(List.of());
        }
        return f;
    }

    private CompletableFuture<Response> create(JsonNode j) {
        StreamConfig c;
        try {
            c = StreamJson.streamConfig(j, config.site);
        } catch (InvalidStreamConfigException e) {
            return done(400, Map.of("error", e.getMessage()));
        }
        if (c.site().equals(config.site)) {
            return createHere(c);
        }
        if (mesh.nodes().stream().noneMatch(n -> n.site().equals(c.site()) && mesh.isLive(n.name()))
                && !mesh.inSiteGraph(c.site())) {
            return done(400, Map.of("error", "unknown site '" + c.site() + "': no live node of it in this mesh"));
        }
        ObjectNode forward = j.deepCopy();
        forward.put("site", c.site());
        return ask(CREATE_PREFIX + c.site(), jsonBytes(forward), CREATE_TIMEOUT_MILLIS,
                () -> "site " + c.site() + " did not answer the creation of stream " + c.name() + " within "
                        + CREATE_TIMEOUT_MILLIS / 1000 + " s: meshctl stream ls tells whether it exists now",
                () -> Response.error(503, "no node of site " + c.site() + " takes stream creation (is it reachable,"
                        + " and does it run this version?)"));
    }

    /**
     * Creates one of the mesh's own streams ({@link StreamConfig#isSystem}) unless it exists: here when it
     * belongs to this node's site, else by a node of its site. Completes with 201 (created), 409 (it
     * existed) or an error; never exceptionally.
     */
    CompletableFuture<Response> ensureSystem(StreamConfig c) {
        if (c.site().equals(config.site)) {
            return createHere(c);
        }
        ObjectNode j = JSON.createObjectNode().put("name", c.name()).put("replicas", c.replicas()).put("site", c.site());
        c.subjects().forEach(j.putArray("subjects")::add);
        return ask(CREATE_PREFIX + c.site(), jsonBytes(j), CREATE_TIMEOUT_MILLIS,
                () -> "site " + c.site() + " did not answer the creation of " + c.name() + " in time",
                () -> Response.error(503, "no node of site " + c.site() + " takes stream creation"));
    }

    /**
     * The live nodes of {@code site} with a raft address, this node included; for a site reached only
     * through the site graph (not in this node's membership view), the nodes the site map holds live
     * records of.
     */
    int liveRaftNodes(String site) {
        int n = 0;
        for (NodeInfo i : mesh.nodes()) {
            if (i.site().equals(site) && !i.raftAddress().isEmpty() && (i.name().equals(config.node) || mesh.isLive(i.name()))) {
                n++;
            }
        }
        return n > 0 ? n : mesh.nodesInSiteGraph(site);
    }

    /** A creation forwarded from a node of another site: done here, answered to its inbox. */
    private void createAsked(String topic, ByteBuf pubBody, String replyTo) {
        answer(pubBody, replyTo, req -> {
            StreamConfig c = StreamJson.streamConfig(req, config.site);
            return c.site().equals(config.site) ? createHere(c)
                    : done(400, Map.of("error", "a creation for site " + c.site() + " reached site " + config.site));
        });
    }

    /** Creates a stream whose replicas are nodes of this node's site. */
    private CompletableFuture<Response> createHere(StreamConfig c) {
        List<NodeInfo> candidates = new ArrayList<>();
        java.util.TreeSet<String> sites = new java.util.TreeSet<>();
        for (NodeInfo n : mesh.nodes()) {
            boolean live = n.name().equals(config.node) || mesh.isLive(n.name());
            if (live) {
                sites.add(n.site());
            }
            if (live && n.site().equals(c.site()) && !n.raftAddress().isEmpty()) {
                candidates.add(n);
            }
        }
        if (!sites.contains(c.site())) {
            return done(400, Map.of("error", "unknown site '" + c.site() + "': the mesh has " + sites));
        }
        if (candidates.size() < c.replicas()) {
            return done(400, Map.of("error", "site " + c.site() + " has " + candidates.size()
                    + " live nodes, fewer than the " + c.replicas() + " replicas asked for"));
        }
        final StreamConfig config0 = c;
        return list().thenCompose(existing -> {
            for (Object o : existing) {
                Map<?, ?> m = (Map<?, ?>) o;
                if (config0.name().equals(m.get("name"))) {
                    return done(409, Map.of("error", "stream " + config0.name() + " already exists"));
                }
                Object subjects = m.get("subjects");
                // the mesh's own streams (a durable rule's) may capture what a user's stream does, and the other way
                boolean system = StreamConfig.isSystem(config0.name()) || StreamConfig.isSystem(String.valueOf(m.get("name")));
                if (!system && subjects instanceof List<?> l && !l.isEmpty()) {
                    StreamConfig other = new StreamConfig(String.valueOf(m.get("name")),
                            l.stream().map(String::valueOf).toList(), 1, "x", Duration.ZERO, 0, 0, Duration.ZERO);
                    String overlap = config0.overlappingSubjects(other);
                    if (overlap != null) {
                        return done(409, Map.of("error", "subjects overlap: " + overlap));
                    }
                }
            }
            List<StreamHost.Peer> peers = place(config0, candidates);
            return host.create(config0, peers).thenCompose(v -> awaitInfo(config0.name(), System.nanoTime()
                    + TimeUnit.SECONDS.toNanos(15)));
        }).exceptionally(e -> Response.error(503, "cannot create stream " + config0.name() + ": " + StreamHost.messageOf(e)));
    }

    /** Asks for the new stream's info until its leader answers (its interest has reached this node). */
    private CompletableFuture<Response> awaitInfo(String stream, long deadline) {
        ObjectNode req = JSON.createObjectNode().put("op", "info");
        return call(stream, req).thenCompose(r -> {
            if (r.status() == 200 || System.nanoTime() > deadline) {
                return CompletableFuture.completedFuture(r.status() == 200 ? new Response(201, r.json()) : r);
            }
            CompletableFuture<Response> later = new CompletableFuture<>();
            timer.schedule(() -> awaitInfo(stream, deadline).whenComplete((x, e) -> {
                if (e != null) {
                    later.completeExceptionally(e);
                } else {
                    later.complete(x);
                }
            }), 50, TimeUnit.MILLISECONDS);
            return later;
        });
    }

    /**
     * Picks the replicas: highest-random-weight hashing of (stream, node) over the site's live
     * nodes, so streams spread evenly and the choice needs no coordination.
     */
    static List<StreamHost.Peer> place(StreamConfig c, List<NodeInfo> candidates) {
        List<NodeInfo> sorted = new ArrayList<>(candidates);
        sorted.sort(Comparator.comparingLong((NodeInfo n) -> mix((c.name() + "/" + n.name()).hashCode())).reversed());
        return sorted.subList(0, c.replicas()).stream()
                .map(n -> new StreamHost.Peer(n.name(), n.raftAddress())).toList();
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
        z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
        return z ^ (z >>> 33);
    }

    /**
     * Publishes {@code pubBody} (PUB body, not owned) for a durable stream; {@code done} is told the
     * ack, or a failure (timeout: no stream stored it in time — the client retries).
     */
    void publishDurable(String topic, ByteBuf pubBody, Consumer<Frames.PubAck> done) {
        long id = ids.incrementAndGet();
        waiting.put(id, new Waiter(data -> {
            ByteBuf b = Unpooled.wrappedBuffer(data);
            int status = b.readUnsignedByte();
            long seq = b.readLong();
            done.accept(new Frames.PubAck(0, status, seq, Wire.readStr16(b)));
        }, () -> done.accept(capturedByAStream(topic)
                ? new Frames.PubAck(0, Frames.ACK_UNKNOWN, 0, "no acknowledgement within " + ACK_TIMEOUT_MILLIS
                        + " ms from the stream capturing '" + topic + "': it may have stored the event")
                : new Frames.PubAck(0, Frames.ACK_FAILED, 0, "no stream captures '" + topic + "' (meshctl stream ls)")),
                System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ACK_TIMEOUT_MILLIS), false));
        expireTicker.arm();
        String inbox = inboxPrefix + "." + id;
        if (router.route(topic, pubBody, inbox) == 0) {
            held.holdOwn(id, topic, pubBody, inbox); // when it cannot be held, its ack wait ends as before
            heldTicker.arm();
        }
    }

    /** Whether a stream's leader, here or elsewhere, takes events on {@code topic} as the mesh routes now. */
    private boolean capturedByAStream(String topic) {
        return router.groupsFor(topic).stream().anyMatch(g -> g.startsWith(GROUP_PREFIX));
    }

    /** A durable publish from another node reached no one here: held for a new leader ({@link HeldPublishes}). */
    private void undelivered(String topic, Origin origin, Set<String> groups, String replyTo, ByteBuf pubBody) {
        if (!Topics.isInternal(topic) && replyTo.startsWith(InboxAcks.ROOT) && !replyTo.startsWith(inboxPrefix + ".")) {
            held.holdRemote(topic, origin, groups, replyTo, pubBody);
            heldTicker.arm();
        }
    }

    /**
     * Durable publishes sent over a link that died (the stream's leader was killed, or the gateway
     * on the way): their askers are told now, in one answer per asking node.
     */
    private void lost(List<String> replyTos) {
        byte[] failed = ackBytes(Frames.ACK_UNKNOWN, 0, "the link to the stream's leader broke while the "
                + "event was on its way (failing over?)");
        for (String r : replyTos) {
            acks.gather(r, failed);
        }
        flushAcks();
    }

    private void refuseRemote(String replyTo) {
        reply(replyTo, ackBytes(Frames.ACK_FAILED, 0, "no stream took the event: its leader is "
                + "unreachable from " + config.node + " (failing over?); retry"));
    }

    // ---- internal events ----

    private int send(String topic, byte[] data, String replyTo) {
        CloudEvent e = CloudEventBuilder.v1().withId(config.node + "-" + ids.incrementAndGet())
                .withSource(URI.create("/weft/" + config.node)).withType(INTERNAL_TYPE).withData(data).build();
        ByteBuf body = PooledByteBufAllocator.DEFAULT.buffer(64 + data.length);
        try {
            Wire.writeStr16(body, topic);
            EventCodec.encode(e, body);
            return router.route(topic, body, replyTo);
        } finally {
            body.release();
        }
    }

    private void reply(String replyTo, byte[] data) {
        send(replyTo, data, null);
    }

    /** An answer arrived in this node's inbox: one ({@code _weft.inbox.NODE.ID}) or a batch of acks. */
    private void inbox(String topic, ByteBuf pubBody, String replyTo) {
        boolean batch = topic.endsWith(InboxAcks.SUFFIX);
        long id = 0;
        if (!batch) {
            try {
                id = Long.parseLong(topic, topic.lastIndexOf('.') + 1, topic.length(), 10);
            } catch (NumberFormatException e) {
                return;
            }
            if (!waiting.containsKey(id)) {
                return;
            }
        }
        int start = pubBody.readerIndex() + 2 + pubBody.getUnsignedShort(pubBody.readerIndex());
        byte[] data = EventCodec.readData(pubBody.duplicate().readerIndex(start));
        if (data == null) {
            return;
        }
        if (!batch) {
            answer(id, data);
            return;
        }
        try {
            InboxAcks.forEach(data, this::answer);
        } catch (IndexOutOfBoundsException e) {
            LOG.warn("malformed ack batch on {}: {}", topic, e.toString());
        }
    }

    private void answer(long id, byte[] data) {
        Waiter w = waiting.get(id);
        if (w == null) {
            return;
        }
        if (!w.many && waiting.remove(id) == null) {
            return;
        }
        w.onReply.accept(data);
    }

    private void expire() {
        long now = System.nanoTime();
        for (Map.Entry<Long, Waiter> e : waiting.entrySet()) {
            if (now - e.getValue().deadlineNanos > 0 && waiting.remove(e.getKey()) != null) {
                try {
                    e.getValue().onTimeout.run();
                } catch (RuntimeException ex) {
                    LOG.warn("timeout handler failed: {}", ex.toString());
                }
            }
        }
    }

    private static byte[] statusJson(int status, Object doc) {
        return statusJson(status, Response.of(status, doc).json());
    }

    private static byte[] statusJson(int status, byte[] json) {
        byte[] out = new byte[json.length + 2];
        out[0] = (byte) (status >> 8);
        out[1] = (byte) status;
        System.arraycopy(json, 0, out, 2, json.length);
        return out;
    }

    private static Response fromStatusJson(byte[] data) {
        int status = ((data[0] & 0xff) << 8) | (data[1] & 0xff);
        return new Response(status, java.util.Arrays.copyOfRange(data, 2, data.length));
    }

    private static byte[] jsonBytes(Object o) {
        try {
            return JSON.writeValueAsBytes(o);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A named daemon thread (the broker's own pools). */
    static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    @Override
    public void close() {
        timer.shutdownNow();
        work.shutdownNow();
        if (host != null) {
            host.close();
        }
    }
}
