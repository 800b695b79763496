package io.weft.broker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cloudevents.CloudEvent;
import io.netty.buffer.ByteBuf;
import io.weft.broker.rules.JdkHttpSender;
import io.weft.broker.rules.Scheduler;
import io.weft.broker.rules.SinkDispatcher;
import io.weft.broker.rules.SinkTarget;
import io.weft.broker.rules.SubscriptionSpec;
import io.weft.protocol.EventCodec;
import io.weft.storage.StreamConfig;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the deliveries of this node's site while this node leads the site's rules stream: one internal
 * subscription per rule (its topic pattern, with the rule's filter, which joins the interest gossip), whose
 * events go to a {@link SinkDispatcher}. After every stored change of the rules the running set is brought in
 * line with the stream (new rules opened, changed ones reopened, deleted ones closed); when leadership moves,
 * everything here stops and the new leader starts from the stream. Best-effort: what was queued or in flight
 * on a leader that died is lost, and counted there while it could.
 */
final class RuleRunner implements Streams.SystemStreams, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RuleRunner.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final MeshdConfig config;
    private final Rules rules;
    private final Router router;
    private final Streams streams;
    private final String stream;
    /** One thread: reconciles and leadership changes, in order. */
    private final ScheduledExecutorService control;
    /** The dispatcher's threads: attempts, results and retries. */
    private final ScheduledExecutorService delivery;
    /** Made at the first rule this node runs: a node that runs none has no HTTP client and no sink threads. */
    private volatile JdkHttpSender sender;
    private volatile SinkDispatcher dispatcher;
    /** The rules running here, by id, with their subscriptions; changed on {@link #control} only, read by scrapes too. */
    private final Map<String, Running> running = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile boolean leading;
    private boolean reconcileQueued;

    /** A rule running here: its subscription (null while a durable rule takes over), and a durable rule's feed. */
    private record Running(SubscriptionSpec spec, Subscription subscription, DurableFeed feed) {
    }

    RuleRunner(MeshdConfig config, Rules rules, Router router, Streams streams) {
        this.config = config;
        this.rules = rules;
        this.router = router;
        this.streams = streams;
        this.stream = Rules.stream(config.site);
        this.control = Executors.newSingleThreadScheduledExecutor(r -> Streams.daemon(r, "weft-rules"));
        this.delivery = new ScheduledThreadPoolExecutor(2, r -> Streams.daemon(r, "weft-sinks"));
    }

    /** The dispatcher, made on first use (on {@link #control}). */
    private SinkDispatcher dispatcher() {
        if (dispatcher == null) {
            sender = new JdkHttpSender();
            dispatcher = new SinkDispatcher(sender, Scheduler.of(delivery), java.time.InstantSource.system(),
                    new java.util.SplittableRandom(), (topic, event) -> router.publish(topic, event));
        }
        return dispatcher;
    }

    @Override
    public void leading(StreamConfig c) {
        if (!c.name().equals(stream)) {
            return;
        }
        leading = true;
        LOG.info("running the rules of site {} (leader of {})", config.site, stream);
        reconcileSoon();
    }

    @Override
    public void notLeading(String name) {
        if (!name.equals(stream)) {
            return;
        }
        leading = false;
        run(this::stopAll);
    }

    /** Runs {@code task} on the control thread; after {@link #close} there is nothing left to do. */
    private void run(Runnable task) {
        try {
            control.execute(task);
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            // closing: close() stops everything itself
        }
    }

    @Override
    public void stored(String name) {
        if (name.equals(stream) && leading) {
            reconcileSoon();
        }
    }

    @Override
    public CompletableFuture<Streams.Response> op(String name, JsonNode req) {
        if (req.path("op").asText().equals("rule-resume")) {
            String id = req.path("id").asText();
            return CompletableFuture.supplyAsync(() -> {
                SinkDispatcher d = dispatcher;
                boolean resumed = d != null && running.containsKey(id) && d.resume(id);
                return new Streams.Response(resumed ? 200 : 409, bytes(JSON.createObjectNode().put("id", id)
                        .put("resumed", resumed).put("node", config.node)));
            }, control);
        }
        if (!req.path("op").asText().equals("rule-status")) {
            return CompletableFuture.completedFuture(Rules.problem(400, "bad-request", "Bad request",
                    "unknown operation '" + req.path("op").asText() + "' on " + name, null));
        }
        String id = req.path("id").asText();
        return CompletableFuture.supplyAsync(() -> {
            ObjectNode doc = JSON.createObjectNode().put("id", id).put("node", config.node).put("site", config.site);
            SinkDispatcher d = dispatcher;
            var status = d == null ? java.util.Optional.<io.weft.broker.rules.SinkStatus>empty() : d.status(id);
            doc.put("running", status.isPresent());
            status.ifPresent(s -> doc.set("delivery", s.toJson()));
            return doc;
        }, control).thenCompose(doc -> {
            Running r = running.get(id);
            if (r == null || r.feed() == null) {
                return CompletableFuture.completedFuture(new Streams.Response(200, bytes(doc)));
            }
            // durable: where the rule's consumer stands in its stream
            return streams.call(Rules.ruleStream(id), JSON.createObjectNode().put("op", "info")).handle((info, e) -> {
                doc.set("durable", cursor(id, r.feed(), e == null && info.status() == 200 ? info : null));
                return new Streams.Response(200, bytes(doc));
            });
        });
    }

    /**
     * A durable rule's cursor: the stream's last sequence, the consumer's ack floor (everything up to it is
     * finished), the events out unacked and held here, and the lag (events stored and not finished yet).
     */
    private static ObjectNode cursor(String id, DurableFeed feed, Streams.Response info) {
        ObjectNode c = JSON.createObjectNode().put("stream", Rules.ruleStream(id)).put("held", feed.held())
                .put("sweeps", feed.sweeps()).put("sweptBack", feed.swept());
        if (info == null) {
            return c.put("error", "the rule's stream did not answer");
        }
        try {
            JsonNode doc = JSON.readTree(info.json());
            long last = doc.path("lastSeq").asLong();
            for (JsonNode consumer : doc.path("consumers")) {
                if (consumer.path("name").asText().equals(Rules.CONSUMER)) {
                    long floor = consumer.path("ackFloor").asLong();
                    c.put("lastSeq", last).put("ackFloor", floor).put("ackPending", consumer.path("ackPending").asLong())
                            .put("lag", Math.max(0, last - floor));
                }
            }
        } catch (IOException e) {
            c.put("error", "unreadable stream info: " + e.getMessage());
        }
        return c;
    }

    /** The status of every subscription running here (empty when none), for metrics. */
    Map<String, io.weft.broker.rules.SinkStatus> statuses() {
        SinkDispatcher d = dispatcher;
        if (d == null) {
            return Map.of();
        }
        Map<String, io.weft.broker.rules.SinkStatus> out = new java.util.TreeMap<>(d.statuses());
        out.keySet().retainAll(running.keySet());
        return out;
    }

    /** Queues one reconcile (several stored changes in a row make one). */
    private void reconcileSoon() {
        run(() -> {
            if (reconcileQueued) {
                return;
            }
            reconcileQueued = true;
            control.schedule(this::reconcile, 20, TimeUnit.MILLISECONDS);
        });
    }

    private void reconcile() {
        reconcileQueued = false;
        if (!leading) {
            stopAll();
            return;
        }
        rules.read(config.site).whenCompleteAsync((specs, e) -> {
            if (e != null) {
                LOG.warn("cannot read the rules of site {}: {}", config.site, e.toString());
                control.schedule(this::reconcileSoon, 1, TimeUnit.SECONDS);
                return;
            }
            if (!leading) {
                stopAll();
                return;
            }
            for (String id : List.copyOf(running.keySet())) {
                SubscriptionSpec now = specs.get(id);
                if (now == null || !now.equals(running.get(id).spec())) {
                    stop(id);
                }
            }
            for (SubscriptionSpec s : specs.values()) {
                if (!running.containsKey(s.id())) {
                    start(s);
                }
            }
        }, control);
    }

    private void start(SubscriptionSpec s) {
        try {
            dispatcher().open(new SinkTarget(s.id(), s.sink(), s.protocolSettings(), s.credentialHeaders(), s.delivery(),
                    s.transform(), s.ordered(), s.concurrency(), SinkTarget.DEFAULT_QUEUE_CAPACITY));
        } catch (RuntimeException e) {
            LOG.warn("cannot run subscription {}: {}", s.id(), e.getMessage());
            return;
        }
        String id = s.id();
        if (s.durable()) {
            // the rule's stream captured the topic; its consumer pushes here, and an event is acked once finished.
            // Whatever the consumer has out was held by a runner that is gone: take it back before subscribing.
            DurableFeed feed = new DurableFeed(id, Rules.ruleStream(id), Rules.CONSUMER, streams::call, control);
            running.put(id, new Running(s, null, feed));
            feed.takeOver().whenCompleteAsync((v, e) -> {
                Running r = running.get(id);
                if (r != null && r.feed() == feed) {
                    running.put(id, new Running(s, router.subscribeInternal(Rules.pushTopic(id), null,
                            (topic, pubBody, replyTo) -> offerDurable(s, feed, pubBody)), feed));
                    // pushes made before this node's interest reached the stream may have gone to the old runner
                    feed.startSweeping();
                }
            }, control);
        } else {
            String filter = s.routingFilter().isAcceptAll() ? null : s.routingFilter().canonical();
            running.put(id, new Running(s, router.subscribeInternal(s.topic(), null, filter,
                    (topic, pubBody, replyTo) -> offer(id, pubBody)), null));
        }
        LOG.info("subscription {} runs here: {} -> {}", id, s.topic(), s.sink());
    }

    /** On the routing thread: decode the event and hand it to the dispatcher (which never blocks). */
    private void offer(String id, ByteBuf pubBody) {
        CloudEvent e = decode(id, pubBody);
        if (e != null) {
            dispatcher.offer(id, e); // made before the subscription that calls this
        }
    }

    /** The event of a PUB body ({@code str16 topic, event}), or null (logged) when it cannot be decoded. */
    private static CloudEvent decode(String id, ByteBuf pubBody) {
        ByteBuf event = pubBody.duplicate();
        event.skipBytes(2 + event.getUnsignedShort(event.readerIndex()));
        try {
            return EventCodec.decode(event);
        } catch (RuntimeException x) {
            LOG.debug("subscription {}: undecodable event: {}", id, x.toString());
            return null;
        }
    }

    /**
     * A durable rule's event, pushed by its stream's consumer: offered with its sequence, acked once delivered,
     * dead-lettered or given up; left unacked (so the stream pushes it again after the ack wait) when this
     * runner stops before it is finished, or when the rule's queue refuses it.
     */
    private void offerDurable(SubscriptionSpec s, DurableFeed feed, ByteBuf pubBody) {
        CloudEvent pushed = decode(s.id(), pubBody);
        long seq;
        try {
            seq = pushed == null ? -1 : Long.parseLong(String.valueOf(pushed.getExtension("weftseq")));
        } catch (NumberFormatException x) {
            seq = -1;
        }
        if (seq < 0) {
            LOG.debug("subscription {}: a pushed event without its sequence", s.id());
            return;
        }
        if (!feed.take(seq)) {
            return; // pushed again after the ack wait while it still waits here: it is coming
        }
        // the rule's stream holds its whole topic: what the filter rejects is finished here, read in place
        io.weft.routing.filter.EventFilters filter = s.routingFilter();
        if (!filter.isAcceptAll() && !filter.test(MeshNode.eventAttributes(pubBody))) {
            feed.finished(seq);
            return;
        }
        CloudEvent original = io.cloudevents.core.builder.CloudEventBuilder.v1(pushed).withoutExtension("weftstream")
                .withoutExtension("weftconsumer").withoutExtension("weftseq").withoutExtension("weftdeliveries").build();
        final long taken = seq;
        boolean queued = dispatcher.offer(s.id(), original, finished -> {
            if (finished.settled()) {
                feed.finished(taken);
            } else {
                feed.abandoned(taken);
            }
        });
        if (!queued) {
            feed.refused(taken);
        }
    }

    private void stop(String id) {
        Running r = running.remove(id);
        if (r != null) {
            if (r.feed() != null) {
                r.feed().stopping();
            }
            if (r.subscription() != null) {
                router.unsubscribe(r.subscription());
            }
            dispatcher().close(id);
            if (r.feed() != null) {
                r.feed().stop(); // what it held comes again at once, for whoever runs it next
            }
            LOG.info("subscription {} stopped here", id);
        }
    }

    private void stopAll() {
        for (String id : List.copyOf(running.keySet())) {
            stop(id);
        }
    }

    @Override
    public void close() {
        leading = false;
        run(this::stopAll);
        control.shutdown();
        try {
            control.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (dispatcher != null) {
            dispatcher.close();
            sender.close();
        }
        delivery.shutdownNow();
    }

    private static byte[] bytes(JsonNode n) {
        try {
            return JSON.writeValueAsBytes(n);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
