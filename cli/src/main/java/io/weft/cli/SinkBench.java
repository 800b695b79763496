package io.weft.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.weft.client.MeshClient;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongUnaryOperator;
import org.HdrHistogram.Histogram;

/**
 * {@code meshctl bench --sink}: webhook deliveries through a subscription (rule) to a {@link SinkReceiver} in
 * this process. It creates the subscription ({@code POST /v1/subscriptions} over the client connection, mode
 * best-effort or durable), waits until it runs and a probe event reaches the receiver (the rule's interest
 * has reached the publishing node), publishes at {@code --rate} or as fast as {@code --window} lets (at most
 * that many events published and not yet delivered, since a subscription queues at most 1,000), durably in
 * durable mode, and reports deliveries/s at the receiver, latency from the scheduled send time, and the events
 * lost (published and never delivered). The subscription is deleted at the end, whatever happened.
 */
final class SinkBench {
    static final String BEST_EFFORT = "best-effort";
    static final String DURABLE = "durable";
    private static final long PROBE_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final BenchCommand o;
    private final boolean durable;
    private final BenchAmounts.Comparison known;

    SinkBench(BenchCommand options) {
        this.o = options;
        if (!BEST_EFFORT.equals(o.sinkMode) && !DURABLE.equals(o.sinkMode)) {
            throw new IllegalArgumentException("--sink-mode must be best-effort or durable, not '" + o.sinkMode + "'");
        }
        if (o.sinkPort < 0 || o.sinkPort > 65535) {
            throw new IllegalArgumentException("--sink-port must be 0..65535");
        }
        this.durable = DURABLE.equals(o.sinkMode);
        this.known = BenchAmounts.Comparison.parse(o.filter);
    }

    /** What one run measured. */
    record Result(long published, long failed, String lastError, long expected, long delivered, long duplicates,
            long pubNanos, long nanos, Histogram latency, boolean complete) {
        long lost() {
            return expected < 0 ? 0 : Math.max(0, expected - delivered);
        }
    }

    /** The subscription the bench creates: the receiver as sink, the bench topic, the mode, the filter if any. */
    ObjectNode subscriptionBody(String sinkUrl) {
        ObjectNode b = Cli.JSON.createObjectNode().put("protocol", "HTTP").put("sink", sinkUrl).put("topic", o.topic)
                .put("mode", o.sinkMode);
        if (o.filter != null) {
            b.putArray("filters").addObject().put("sql", o.filter);
        }
        return b;
    }

    /** Events published and not yet delivered, at most; {@link Long#MAX_VALUE} without a limit. */
    long window() {
        return o.window < 0 ? 500 : o.window == 0 ? Long.MAX_VALUE : o.window;
    }

    int run() throws Exception {
        if (o.filter != null && known != null && known.firstMatchingAmount() < 0) {
            throw new IllegalArgumentException("--filter '" + o.filter + "' passes none of the bench's events "
                    + "(amounts 0..199)");
        }
        LongUnaryOperator expectedAmong = o.filter == null ? n -> n : known == null ? null : known::countAmong;
        if (expectedAmong == null && !o.json) {
            System.err.println("the share of events '" + o.filter + "' passes is not computed (only 'amount OP N' is): "
                    + "publishing without a window, the run ends " + settle().toMillis() + " ms after the last delivery");
        }
        String runId = Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
        int inFlight = (int) Math.min(10_000, Math.max(1_000, Math.min(window(), Integer.MAX_VALUE)));
        try (SinkReceiver rx = SinkReceiver.start(o.sinkHost, o.sinkPort);
             MeshClient client = MeshClient.connect(o.server.builder("meshctl-bench-sink").maxDurableInFlight(inFlight)
                     .durablePublishTimeout(o.idleTimeout).publishTimeout(o.idleTimeout).build())) {
            ObjectNode body = subscriptionBody(rx.url());
            String id = create(client, body);
            try {
                awaitRunning(client, id);
                probe(client, rx);
                if (o.warmup > 0) {
                    if (!o.json) {
                        System.err.printf("warming up with %,d events...%n", o.warmup);
                    }
                    publish(client, rx, new SinkReceiver.Run(runId + "w", o.warmup), expectedAmong);
                }
                Result r = publish(client, rx, new SinkReceiver.Run(runId, o.msgs), expectedAmong);
                JsonNode status = status(client, id);
                print(r, id, rx.url(), status);
                return r.complete && r.failed == 0 && r.lost() == 0 ? 0 : 1;
            } finally {
                delete(client, id);
            }
        }
    }

    private Duration settle() {
        return o.idleTimeout.compareTo(Duration.ofSeconds(2)) < 0 ? o.idleTimeout : Duration.ofSeconds(2);
    }

    /** Creates the subscription and returns its id; a refusal names what the broker said and what was sent. */
    private String create(MeshClient client, ObjectNode body) throws Exception {
        JsonNode created;
        try {
            created = Api.call(client, "POST", SubscriptionCommand.PATH, body);
        } catch (Api.ApiException e) {
            throw new Api.ApiException(e.status, "the broker refused the bench's subscription (" + e.status + "): "
                    + e.getMessage() + "\n  sent: POST " + SubscriptionCommand.PATH + " " + Cli.JSON.writeValueAsString(body));
        }
        String id = created.path("id").asText("");
        if (id.isEmpty()) {
            throw new IllegalStateException("the broker created a subscription but answered no id: " + created);
        }
        if (!o.json) {
            System.err.printf("subscription %s (%s) delivers %s to %s%n", id, o.sinkMode, o.topic, body.path("sink").asText());
        }
        return id;
    }

    private void delete(MeshClient client, String id) {
        try {
            Api.call(client, "DELETE", SubscriptionCommand.PATH + "/" + Api.seg(id), null);
        } catch (Exception e) {
            System.err.println("meshctl bench: could not delete subscription " + id + ": " + Cli.message(e)
                    + " (meshctl subscription delete " + id + ")");
        }
    }

    /** The subscription's status from the node that runs it, or null when it cannot be read. */
    private static JsonNode status(MeshClient client, String id) {
        try {
            return statusOrThrow(client, id);
        } catch (Exception e) {
            return null;
        }
    }

    private static JsonNode statusOrThrow(MeshClient client, String id) throws Exception {
        return Api.call(client, "GET", SubscriptionCommand.PATH + "/" + Api.seg(id) + "/status", null);
    }

    /** Waits until a node runs the subscription (the leader of its site's rules stream took it up). */
    private void awaitRunning(MeshClient client, String id) {
        long deadline = System.nanoTime() + o.idleTimeout.toNanos();
        String last = "no answer yet";
        while (System.nanoTime() < deadline) {
            try {
                JsonNode s = statusOrThrow(client, id);
                if (s.path("running").asBoolean(false)) {
                    return;
                }
                last = "status " + s;
            } catch (Exception e) {
                last = "GET status: " + Cli.message(e);
            }
            LockSupport.parkNanos(PROBE_INTERVAL_NANOS);
        }
        throw new IllegalStateException("subscription " + id + " does not run after " + o.idleTimeout.toMillis()
                + " ms (" + last + ")");
    }

    /**
     * Publishes a probe event every 50 ms until one reaches the receiver: then the rule's interest (and
     * filter) has reached the publishing node, and the receiver is reachable from the runner.
     */
    private void probe(MeshClient client, SinkReceiver rx) {
        long before = rx.others();
        long deadline = System.nanoTime() + o.idleTimeout.toNanos();
        int matching = known == null ? -1 : known.firstMatchingAmount();
        for (long k = 0; rx.others() == before; k++) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no probe event reached the receiver at " + rx.url() + " within "
                        + o.idleTimeout.toMillis() + " ms: can the broker that runs the subscription reach it? (for a "
                        + "mesh in containers, give --sink-host with an address of this machine they reach)");
            }
            send(client, event("probe-" + k, matching >= 0 ? matching : BenchAmounts.of(k), new byte[8]), null);
            LockSupport.parkNanos(PROBE_INTERVAL_NANOS);
        }
    }

    private CloudEvent event(String id, int amount, byte[] data) {
        return CloudEventBuilder.v1().withId(id).withSource(URI.create("/meshctl/bench")).withType("io.weft.bench")
                .withExtension(BenchAmounts.EXTENSION, amount).withData(data).build();
    }

    /**
     * Publishes {@code e}, durably in durable mode (then {@code done}, when not null, hears of the ack or
     * the failure).
     */
    private void send(MeshClient client, CloudEvent e, java.util.function.Consumer<Throwable> done) {
        if (!durable) {
            client.publish(o.topic, e);
            return;
        }
        client.publishDurable(o.topic, e).whenComplete((ack, err) -> {
            if (done != null) {
                done.accept(err);
            }
        });
    }

    /** One run: publishes {@code run.events}, then waits for their deliveries. */
    private Result publish(MeshClient client, SinkReceiver rx, SinkReceiver.Run run, LongUnaryOperator expectedAmong)
            throws Exception {
        rx.begin(run);
        long window = expectedAmong == null ? Long.MAX_VALUE : window();
        int ackWindow = (int) Math.min(Math.max(1, window), 10_000);
        Semaphore acks = new Semaphore(ackWindow);
        AtomicLong failed = new AtomicLong();
        AtomicReference<String> lastError = new AtomicReference<>("");
        long interval = o.rate > 0 ? TimeUnit.SECONDS.toNanos(1) / o.rate : 0;
        long start = System.nanoTime();
        long published = 0;
        for (long i = 0; i < run.events; i++) {
            long due = start + i * interval;
            if (interval > 0) {
                long now;
                while ((now = System.nanoTime()) < due) {
                    LockSupport.parkNanos(due - now); // one wake-up per event; a late one is caught up
                }
            } else {
                due = System.nanoTime();
            }
            if (window != Long.MAX_VALUE && !awaitWindow(run, expectedAmong.applyAsLong(i), window)) {
                lastError.set("no delivery for " + o.idleTimeout.toMillis() + " ms with " + window + " events outstanding");
                break;
            }
            if (durable && !acks.tryAcquire(o.idleTimeout.toNanos(), TimeUnit.NANOSECONDS)) {
                lastError.set("no ack for " + o.idleTimeout.toMillis() + " ms with " + ackWindow + " in flight");
                break;
            }
            byte[] data = new byte[o.size]; // a durable publish may be sent again later: one array per event
            ByteBuffer.wrap(data).putLong(0, due);
            try {
                send(client, event(run.id(i), BenchAmounts.of(i), data), err -> {
                    if (err != null) {
                        failed.incrementAndGet();
                        lastError.set(Cli.message(err));
                    }
                    acks.release();
                });
            } catch (RuntimeException e) {
                failed.incrementAndGet();
                lastError.set(Cli.message(e));
                break;
            }
            published++;
        }
        if (durable) {
            acks.tryAcquire(ackWindow, o.idleTimeout.toNanos() + TimeUnit.SECONDS.toNanos(5), TimeUnit.NANOSECONDS);
        } else {
            client.flush(o.idleTimeout);
        }
        long pubEnd = System.nanoTime();
        long expected = expectedAmong == null ? -1 : expectedAmong.applyAsLong(published);
        boolean complete = awaitDeliveries(run, expected);
        long last = run.lastArrivalNanos() == 0 ? pubEnd : run.lastArrivalNanos();
        return new Result(published, failed.get(), lastError.get(), expected, run.delivered(), run.duplicates(),
                Math.max(1, pubEnd - start), Math.max(1, last - start), run.latency(), complete);
    }

    /**
     * Waits until the receiver is within {@code window} of the {@code owed} deliveries.
     *
     * @return false when no delivery came for the idle timeout
     */
    private boolean awaitWindow(SinkReceiver.Run run, long owed, long window) {
        long last = -1;
        long lastProgress = System.nanoTime();
        while (true) {
            long got = run.delivered();
            if (owed - got <= window) {
                return true;
            }
            long now = System.nanoTime();
            if (got != last) {
                last = got;
                lastProgress = now;
            } else if (now - lastProgress > o.idleTimeout.toNanos()) {
                return false;
            }
            LockSupport.parkNanos(50_000);
        }
    }

    /**
     * Waits until {@code expected} events were delivered, or no delivery came for the idle timeout; when
     * the expected count is unknown (-1), until none came for {@link #settle()}.
     *
     * @return whether every expected event was delivered (true for an unknown count)
     */
    private boolean awaitDeliveries(SinkReceiver.Run run, long expected) {
        long quiet = expected < 0 ? settle().toNanos() : o.idleTimeout.toNanos();
        long last = -1;
        long lastProgress = System.nanoTime();
        while (expected < 0 || run.delivered() < expected) {
            long got = run.delivered();
            long now = System.nanoTime();
            if (got != last) {
                last = got;
                lastProgress = now;
            } else if (now - lastProgress > quiet) {
                return expected < 0;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
        }
        return true;
    }

    private void print(Result r, String id, String url, JsonNode status) throws Exception {
        double pubRate = r.published * 1e9 / r.pubNanos;
        double rate = r.delivered * 1e9 / r.nanos;
        Histogram h = r.latency;
        JsonNode d = status == null ? null : status.path("delivery");
        if (o.json) {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("mode", "sink");
            out.put("sinkMode", o.sinkMode);
            out.put("subscription", id);
            out.put("sink", url);
            out.put("topic", o.topic);
            out.put("filter", o.filter);
            out.put("msgs", o.msgs);
            out.put("size", o.size);
            out.put("rate", o.rate);
            long window = window();
            out.put("window", window == Long.MAX_VALUE ? 0 : window);
            out.put("warmup", o.warmup);
            out.put("published", r.published);
            out.put("publishFailed", r.failed);
            if (!r.lastError.isEmpty()) {
                out.put("lastError", r.lastError);
            }
            out.put("expected", r.expected < 0 ? null : r.expected);
            out.put("delivered", r.delivered);
            out.put("duplicates", r.duplicates);
            out.put("lost", r.expected < 0 ? null : r.lost());
            out.put("complete", r.complete && r.failed == 0 && r.lost() == 0);
            out.put("pubMsgsPerSec", Math.round(pubRate));
            out.put("deliveredMsgsPerSec", Math.round(rate));
            Map<String, Object> lat = new LinkedHashMap<>();
            lat.put("p50", BenchCommand.micros(h.getValueAtPercentile(50)));
            lat.put("p90", BenchCommand.micros(h.getValueAtPercentile(90)));
            lat.put("p99", BenchCommand.micros(h.getValueAtPercentile(99)));
            lat.put("max", BenchCommand.micros(h.getMaxValue()));
            out.put("latencyMicros", lat);
            if (d != null && !d.isMissingNode()) {
                out.put("brokerDelivery", d);
                out.put("runner", status.path("node").asText());
            }
            System.out.println(Cli.JSON.writeValueAsString(out));
            return;
        }
        System.out.printf("%,d events of %d B to %s through subscription %s (%s)%s%s%n", r.published, o.size, url, id,
                o.sinkMode, o.rate > 0 ? String.format(", paced at %,d/s", o.rate) : "",
                o.filter == null ? "" : ", filter '" + o.filter + "'");
        System.out.printf("publish:   %,12.0f msgs/s%s%n", pubRate, r.failed > 0 ? String.format(" (%,d failed)", r.failed) : "");
        System.out.printf("delivered: %,12.0f msgs/s  (%,d of %s, %,d duplicates, %s lost)%n", rate, r.delivered,
                r.expected < 0 ? "? (not computed for this filter)" : String.format("%,d", r.expected), r.duplicates,
                r.expected < 0 ? "?" : String.format("%,d", r.lost()));
        System.out.printf("latency:   p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  max %.2f ms%n", millis(h.getValueAtPercentile(50)),
                millis(h.getValueAtPercentile(90)), millis(h.getValueAtPercentile(99)), millis(h.getMaxValue()));
        if (d != null && !d.isMissingNode()) {
            System.out.printf("broker:    delivered %,d, retried %,d, failed %,d, dropped %,d (the subscription's totals, "
                    + "probes and warm-up included; runner %s)%n",
                    d.path("delivered").asLong(), d.path("retried").asLong(), d.path("failed").asLong(),
                    d.path("dropped").asLong(), status.path("node").asText("?"));
        }
        if (!r.complete || r.failed > 0 || r.lost() > 0) {
            System.out.println("INCOMPLETE: " + (r.expected < 0 ? "" : r.lost() + " events not delivered")
                    + (r.lastError.isEmpty() ? "" : " (last error: " + r.lastError + ")"));
        }
    }

    private static double millis(long nanos) {
        return Math.round(nanos / 10_000.0) / 100.0;
    }
}
