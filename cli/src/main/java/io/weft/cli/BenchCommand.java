package io.weft.cli;

import io.cloudevents.core.builder.CloudEventBuilder;
import io.weft.client.Filter;
import io.weft.client.MeshClient;
import io.weft.client.MessageHandler;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongUnaryOperator;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code meshctl bench}: publishers and subscribers through the mesh, reporting throughput and
 * end-to-end latency. Latency is measured from the moment an event was due to be sent (with
 * {@code --rate}, its slot in the schedule, so a stall is not hidden: no coordinated omission) to
 * its arrival in the subscriber's handler; publishers and subscribers share this process's clock.
 *
 * <p>Every event carries the integer extension {@code amount} ({@link BenchAmounts}), so that
 * {@code --filter EXPR} can subscribe with a CESQL filter that passes a known share of them. With
 * {@code --filter} the bench also reports what the publishing nodes sent over their links and kept off
 * them; {@code --compare} runs the same measurement without the filter first. {@code --sink} is
 * {@link SinkBench}, {@code --durable} is {@link DurableBench}.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Benchmark publish/subscribe throughput and latency through the mesh.",
                "With --durable: durable publishing to a stream (create one whose subjects match --topic first): "
                        + "acknowledged msgs/s and ack latency, and with --replay the stream's read-back rate.",
                "With --filter EXPR: the subscribers subscribe with that CESQL filter; reports what they received "
                        + "against the expected count and the link traffic of the publishing node(s). --compare "
                        + "runs the same without the filter first and prints both.",
                "With --sink: a built-in HTTP receiver, a subscription (rule) on the broker delivering --topic to "
                        + "it (--sink-mode best-effort|durable): webhook deliveries/s, latency, lost events.",
                "Every event carries the integer extension 'amount': 0..99 on even events, 100..199 on odd ones "
                        + "(each value once in 200 events), so 'amount >= 100' passes exactly half of them and "
                        + "'amount < 50' a quarter."})
final class BenchCommand implements Callable<Integer> {
    @Mixin
    ServerOptions server;

    @Option(names = "--msgs", defaultValue = "-1",
            description = "Events to publish in the measured run; -1 (default) = 1000000, with --sink 5000.")
    long msgs;

    @Option(names = "--size", defaultValue = "256", description = "Event data size in bytes, at least 8 (default ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--pubs", defaultValue = "1", description = "Publishing connections (default ${DEFAULT-VALUE}).")
    int pubs;

    @Option(names = "--subs", defaultValue = "1", description = "Subscribing connections, each receives every event (default ${DEFAULT-VALUE}).")
    int subs;

    @Option(names = "--rate", defaultValue = "0", description = "Total events per second to publish, 0 = as fast as possible (default ${DEFAULT-VALUE}).")
    long rate;

    @Option(names = "--warmup", defaultValue = "-1",
            description = "Events published before measuring, to warm up the JITs; not counted. -1 (default) = 300000, "
                    + "or with --durable 20%% of --msgs, with --sink 10%% of --msgs (at most 1000); with "
                    + "--propagation, unmeasured trials first (-1 = 50).")
    long warmup;

    @Option(names = "--window", defaultValue = "-1",
            description = "Publishers stay at most this many events ahead of the slowest subscriber, so the "
                    + "run measures sustainable throughput instead of overflowing the broker's slow-consumer "
                    + "budget; 0 = no limit, -1 = about 4 MiB of events (default). With --durable: durable "
                    + "publishes awaiting their ack (pipelined), -1 = 1000. With --sink: events published and not "
                    + "yet delivered to the sink, -1 = 500 (a subscription queues at most 1000).")
    long window;

    @Option(names = "--durable",
            description = "Benchmark durable publishing (publishDurable, acked by the stream) instead of publish/subscribe: "
                    + "acked msgs/s and ack latency p50/p99/p99.9 (from the scheduled send time with --rate). "
                    + "A stream whose subjects match --topic must exist. --subs, --pub-servers, --sub-servers are ignored.")
    boolean durable;

    @Option(names = "--replay",
            description = "With --durable: afterwards also time reading the measured events back through the stream "
                    + "events API (msgs/s). Needs --stream.")
    boolean replay;

    @Option(names = "--stream", description = "With --replay: the stream that stores --topic.")
    String stream;

    @Option(names = "--replay-batch", defaultValue = "1000",
            description = "With --replay: events asked for per read (default ${DEFAULT-VALUE}; a page holds at most about the payload limit).")
    int replayBatch;

    @Option(names = "--pub-servers", split = ",",
            description = "Client addresses for publishers (round robin, each pinned to its node), e.g. a node of "
                    + "site A; default: -s with nearest-broker selection.")
    List<String> pubServers = new ArrayList<>();

    @Option(names = "--sub-servers", split = ",",
            description = "Client addresses for subscribers (round robin, pinned), e.g. nodes of site B or of both "
                    + "sites for fan-out; default: -s.")
    List<String> subServers = new ArrayList<>();

    @Option(names = "--propagation", defaultValue = "0",
            description = "Instead of throughput, measure interest propagation N times: a new subscription on a "
                    + "--sub-servers node until the first event a --pub-servers node publishes reaches it.")
    int propagationTrials;

    @Option(names = "--platform", defaultValue = "0", paramLabel = "SECONDS",
            description = "Instead of the mesh, measure this machine's latency floor for SECONDS: how late a "
                    + "thread sleeping 0.5 ms wakes up (p50/p99/p99.9/max) and the CPU time stolen by the "
                    + "hypervisor. Needs no broker.")
    double platformSeconds;

    @Option(names = "--filter", paramLabel = "EXPR",
            description = "Subscribe with this CESQL filter (e.g. 'amount >= 100': half the events) and report the "
                    + "events received against the expected count, and the link events/bytes sent and kept off "
                    + "links by the publishing node(s). The expected count is computed for 'amount OP N' only. "
                    + "With --sink: the subscription's filter.")
    String filter;

    @Option(names = "--compare",
            description = "With --filter: first the same run without a filter, then with it; prints both and the "
                    + "ratios (throughput, link bytes).")
    boolean compare;

    @Option(names = "--sink",
            description = "Benchmark webhook delivery: start an HTTP receiver, create a subscription (rule) for "
                    + "--topic with it as sink, publish --msgs events (at --rate, or as fast as --window lets), "
                    + "report deliveries/s, latency from the (scheduled) send time to the receiver "
                    + "p50/p90/p99/max, and lost events; the subscription is deleted at the end.")
    boolean sink;

    @Option(names = "--sink-mode", defaultValue = "best-effort", paramLabel = "MODE",
            description = "With --sink: the subscription's mode, best-effort or durable (then the bench publishes "
                    + "durably, to the rule's stream) (default ${DEFAULT-VALUE}).")
    String sinkMode;

    @Option(names = "--sink-host", defaultValue = "127.0.0.1", paramLabel = "HOST",
            description = "With --sink: the address the receiver listens on and the broker posts to; for a mesh in "
                    + "containers, an address of this machine they reach, e.g. the Docker bridge's gateway "
                    + "(default ${DEFAULT-VALUE}).")
    String sinkHost;

    @Option(names = "--sink-port", defaultValue = "0", paramLabel = "PORT",
            description = "With --sink: the receiver's port, 0 = any free one (default ${DEFAULT-VALUE}).")
    int sinkPort;

    @Option(names = "--topic", defaultValue = "bench.weft.events", description = "Topic to use (default ${DEFAULT-VALUE}).")
    String topic;

    @Option(names = "--timeout", defaultValue = "30s", converter = Cli.DurationConverter.class,
            description = "Give up when subscribers see no progress for this long (default ${DEFAULT-VALUE}).")
    Duration idleTimeout;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    @Option(names = "--timeline", defaultValue = "0", paramLabel = "MILLIS",
            description = "Also report, per interval of this many ms (by scheduled send time), the worst latency and "
                    + "how late the publisher was: one stall or steady queueing? 0 (default) = off.")
    long timelineMillis;

    private volatile Timeline timeline;

    private final List<Receiver> receivers = new ArrayList<>();

    /**
     * Of a publisher's first n events, how many each subscriber should receive under the current
     * measurement's filter (identity without one); null when unknown (a filter of another shape than
     * {@code amount OP N}). Set before the publishers start.
     */
    private LongUnaryOperator expectedAmong = n -> n;

    /** One subscribing connection's counters; its handler runs on one thread. */
    private static final class Receiver {
        final AtomicLong received = new AtomicLong();
        final Histogram latency = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
        volatile long lastArrivalNanos;
        volatile boolean recording;
    }

    @Override
    public Integer call() throws Exception {
        if (msgs < 0) {
            msgs = sink ? 5_000 : 1_000_000;
        }
        if (warmup < 0) {
            warmup = durable ? msgs / 5 : sink ? Math.min(1_000, msgs / 10) : 300_000;
        }
        if (size < 8 || msgs < 1 || pubs < 1 || subs < 0 || rate < 0 || timelineMillis < 0) {
            throw new IllegalArgumentException("need --size >= 8, --msgs >= 1, --pubs >= 1, --subs >= 0, --rate >= 0, --timeline >= 0");
        }
        if (platformSeconds > 0) {
            return PlatformProbe.run(platformSeconds, json);
        }
        checkModes();
        if (sink) {
            return new SinkBench(this).run();
        }
        if (durable) {
            return new DurableBench(this).run();
        }
        if (window < 0) {
            window = Math.max(64, Math.min(20_000, (4L << 20) / size));
        }
        if (propagationTrials > 0) {
            List<MeshClient> clients = new ArrayList<>();
            try {
                return propagation(clients);
            } finally {
                for (MeshClient c : clients) {
                    c.close();
                }
            }
        }
        if (!compare) {
            Result r = measure(filter);
            print(r);
            return r.complete ? 0 : 1;
        }
        Result unfiltered = measure(null);
        Result filtered = measure(filter);
        printComparison(unfiltered, filtered);
        return unfiltered.complete && filtered.complete ? 0 : 1;
    }

    /** Refuses combinations of modes that mean nothing, naming the flags. */
    void checkModes() {
        if (filter != null && filter.isBlank()) {
            throw new IllegalArgumentException("--filter needs an expression, e.g. --filter 'amount >= 100'");
        }
        if (compare && filter == null) {
            throw new IllegalArgumentException("--compare needs --filter EXPR (it runs without, then with the filter)");
        }
        if (sink && (durable || propagationTrials > 0 || compare)) {
            throw new IllegalArgumentException("--sink does not combine with --durable, --propagation or --compare "
                    + "(--sink-mode durable publishes durably to the rule's own stream)");
        }
        if (!sink && !"best-effort".equals(sinkMode)) {
            throw new IllegalArgumentException("--sink-mode needs --sink");
        }
        if (filter != null && (durable || propagationTrials > 0)) {
            throw new IllegalArgumentException("--filter is for subscribers (and --sink): not with --durable or --propagation");
        }
        if (filter != null && !sink && subs < 1) {
            throw new IllegalArgumentException("--filter needs --subs >= 1");
        }
        if (replay && !durable) {
            throw new IllegalArgumentException("--replay needs --durable");
        }
    }

    /**
     * One pub/sub measurement with its own connections: subscribers (with {@code filterExpr} when not
     * null), publishers, the warm-up, then the measured run; the link counters of the publishing nodes
     * around the measured run when the bench runs with {@code --filter}.
     */
    private Result measure(String filterExpr) throws Exception {
        BenchAmounts.Comparison known = BenchAmounts.Comparison.parse(filterExpr);
        expectedAmong = filterExpr == null ? n -> n : known == null ? null : known::countAmong;
        if (filterExpr != null && known == null && !json) {
            System.err.println("the share of events '" + filterExpr + "' passes is not computed (only 'amount OP N' "
                    + "is): publishing without a window, the run ends " + settle().toMillis()
                    + " ms after the last arrival");
        }
        receivers.clear();
        List<MeshClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < subs; i++) {
                MeshClient c = connect(subServers, i, "meshctl-bench-sub-" + i);
                clients.add(c);
                Receiver r = new Receiver();
                receivers.add(r);
                MessageHandler h = m -> {
                    long now = System.nanoTime();
                    if (r.recording) {
                        long sent = ByteBuffer.wrap(m.data()).getLong(0);
                        r.latency.recordValue(Math.max(0, now - sent));
                        Timeline t = timeline;
                        if (t != null) {
                            t.arrived(sent, now - sent);
                        }
                    }
                    r.lastArrivalNanos = now;
                    r.received.incrementAndGet();
                };
                (filterExpr == null ? c.subscribe(topic, h) : c.subscribe(topic, Filter.sql(filterExpr), h))
                        .confirmed().get(10, TimeUnit.SECONDS);
            }
            List<MeshClient> publishers = new ArrayList<>();
            for (int i = 0; i < pubs; i++) {
                MeshClient c = connect(pubServers, i, "meshctl-bench-pub-" + i);
                clients.add(c);
                publishers.add(c);
            }
            if (warmup > 0) {
                if (!json) {
                    System.err.printf("warming up with %,d events%s...%n", warmup,
                            filterExpr == null ? "" : " (filter '" + filterExpr + "')");
                }
                run(publishers, warmup, false);
            }
            if (filter == null) {
                return run(publishers, msgs, true);
            }
            LinkReading before = LinkReading.of(publishers, null);
            Result r = run(publishers, msgs, true);
            return r.withLinks(filterExpr, LinkReading.of(publishers, before));
        } finally {
            for (MeshClient c : clients) {
                c.close();
            }
        }
    }

    /** How long the subscribers must stay quiet to end a run whose expected count is unknown. */
    private Duration settle() {
        return idleTimeout.compareTo(Duration.ofSeconds(2)) < 0 ? idleTimeout : Duration.ofSeconds(2);
    }

    /**
     * The link counters of the publishing nodes, or why they could not be read (e.g. the user may not
     * read admin documents).
     */
    record LinkReading(LinkCounters counters, String error) {
        /** Reads now; with {@code before}, the difference since it (and its error, if it had one). */
        static LinkReading of(List<MeshClient> publishers, LinkReading before) {
            if (before != null && before.counters == null) {
                return before;
            }
            try {
                LinkCounters now = LinkCounters.read(publishers);
                return new LinkReading(before == null ? now : now.since(before.counters), null);
            } catch (Exception e) {
                return new LinkReading(null, Cli.message(e));
            }
        }
    }

    private MeshClient connect(List<String> pinned, int index, String name) {
        if (pinned.isEmpty()) {
            return server.connect(name);
        }
        return MeshClient.connect(server.pinned(name, pinned.get(index % pinned.size())).build());
    }

    /** Median and spread of the time from subscribing on one node to the first event from another. */
    private int propagation(List<MeshClient> clients) throws Exception {
        MeshClient pub = connect(pubServers, 0, "meshctl-bench-prop-pub");
        clients.add(pub);
        MeshClient sub = connect(subServers, 0, "meshctl-bench-prop-sub");
        clients.add(sub);
        long[] samples = new long[propagationTrials];
        byte[] data = new byte[Math.max(8, size)];
        URI source = URI.create("/meshctl/bench");
        // the first trials of a fresh client JVM measure its JIT, not the mesh
        int warmTrials = warmup < 0 ? 50 : (int) Math.min(warmup, 10_000);
        for (int t = -warmTrials; t < propagationTrials; t++) {
            String trialTopic = topic + ".prop." + t + "." + Long.toHexString(System.nanoTime());
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            Thread publisher = new Thread(() -> {
                long i = 0;
                while (!stop.get()) {
                    pub.publish(trialTopic, CloudEventBuilder.v1().withId(Long.toString(i)).withSource(source)
                            .withType("io.weft.bench").withExtension(BenchAmounts.EXTENSION, BenchAmounts.of(i))
                            .withData(data).build());
                    i++;
                    LockSupport.parkNanos(20_000);
                }
            }, "bench-prop-pub");
            publisher.start();
            java.util.concurrent.CompletableFuture<Long> first = new java.util.concurrent.CompletableFuture<>();
            long t0 = System.nanoTime();
            io.weft.client.Subscription s = sub.subscribe(trialTopic, m -> first.complete(System.nanoTime()));
            long t1;
            try {
                t1 = first.get(idleTimeout.toMillis(), TimeUnit.MILLISECONDS);
            } finally {
                stop.set(true);
                publisher.join();
                s.unsubscribe();
            }
            if (t >= 0) {
                samples[t] = t1 - t0;
            }
        }
        java.util.Arrays.sort(samples);
        double median = micros(samples[samples.length / 2]);
        if (json) {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("trials", propagationTrials);
            out.put("medianMicros", median);
            out.put("minMicros", micros(samples[0]));
            out.put("p90Micros", micros(samples[(int) Math.min(samples.length - 1, Math.ceil(samples.length * 0.9) - 1)]));
            out.put("maxMicros", micros(samples[samples.length - 1]));
            System.out.println(Cli.JSON.writeValueAsString(out));
        } else {
            System.out.printf("interest propagation over %d trials (%s -> %s): median %.1f us, min %.1f us, max %.1f us%n",
                    propagationTrials, subServers.isEmpty() ? "-s" : subServers.get(0),
                    pubServers.isEmpty() ? "-s" : pubServers.get(0), median, micros(samples[0]),
                    micros(samples[samples.length - 1]));
        }
        return 0;
    }

    /**
     * One measured run.
     *
     * @param expected events the subscribers should have received together, -1 when unknown
     * @param filter   the subscribers' filter, null without one
     * @param links    with --filter: what the publishing nodes sent over links during the run; else null
     */
    private record Result(long published, long received, long expected, long pubNanos, long subNanos, Histogram latency,
            boolean complete, String filter, LinkReading links) {
        Result withLinks(String f, LinkReading l) {
            return new Result(published, received, expected, pubNanos, subNanos, latency, complete, f, l);
        }

        /** Events published per second until the last arrival: the rate to compare with and without a filter. */
        double throughput() {
            return published * 1e9 / Math.max(pubNanos, subNanos);
        }
    }

    private Result run(List<MeshClient> publishers, long count, boolean record) throws Exception {
        for (Receiver r : receivers) {
            r.received.set(0);
            r.latency.reset();
            r.recording = record;
        }
        long perPub = count / publishers.size();
        long total = perPub * publishers.size();
        long start = System.nanoTime();
        timeline = record && timelineMillis > 0 ? new Timeline(start, TimeUnit.MILLISECONDS.toNanos(timelineMillis)) : null;
        List<Thread> threads = new ArrayList<>();
        for (MeshClient c : publishers) {
            Thread t = new Thread(() -> publish(c, perPub, start), "bench-pub");
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join();
        }
        for (MeshClient c : publishers) {
            c.flush(Duration.ofSeconds(60));
        }
        long pubEnd = System.nanoTime();
        long expectedEach = expectedAmong == null ? -1 : expectedAmong.applyAsLong(perPub) * publishers.size();
        boolean complete = awaitReceivers(expectedEach);
        long lastArrival = start;
        long received = 0;
        Histogram merged = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
        for (Receiver r : receivers) {
            lastArrival = Math.max(lastArrival, r.lastArrivalNanos);
            received += r.received.get();
            r.recording = false;
            merged.add(r.latency);
        }
        return new Result(total, received, expectedEach < 0 ? -1 : expectedEach * receivers.size(), pubEnd - start,
                Math.max(1, lastArrival - start), merged, complete, null, null);
    }

    private void publish(MeshClient c, long n, long start) {
        byte[] data = new byte[size];
        ByteBuffer stamp = ByteBuffer.wrap(data);
        URI source = URI.create("/meshctl/bench");
        long interval = rate > 0 ? TimeUnit.SECONDS.toNanos(1) * pubs / rate : 0;
        for (long i = 0; i < n; i++) {
            long due = start + i * interval;
            if (interval > 0) {
                long now;
                while ((now = System.nanoTime()) < due) {
                    LockSupport.parkNanos(due - now); // one wake-up per event; a late one is caught up
                }
            } else {
                due = System.nanoTime();
            }
            if (window > 0 && !receivers.isEmpty() && expectedAmong != null && !awaitWindow(i)) {
                return;
            }
            stamp.putLong(0, due);
            Timeline t = timeline;
            if (t != null) {
                t.published(due, System.nanoTime() - due);
            }
            c.publish(topic, CloudEventBuilder.v1().withId(Long.toString(i)).withSource(source)
                    .withType("io.weft.bench").withExtension(BenchAmounts.EXTENSION, BenchAmounts.of(i)).withData(data).build());
        }
    }

    /**
     * Waits until every subscriber is within {@code window} events of what it should have received of this
     * publisher's {@code sent} (all of them, or those the filter passes).
     *
     * @return false when the slowest subscriber made no progress for the idle timeout (events were
     *     dropped on the way, as core delivery may under overload): the publisher then stops
     */
    private boolean awaitWindow(long sent) {
        long ahead = expectedAmong.applyAsLong(sent) * pubs;
        long lastSlowest = -1;
        long lastProgress = System.nanoTime();
        while (true) {
            long slowest = Long.MAX_VALUE;
            for (Receiver r : receivers) {
                slowest = Math.min(slowest, r.received.get());
            }
            if (ahead - slowest <= window) {
                return true;
            }
            long now = System.nanoTime();
            if (slowest != lastSlowest) {
                lastSlowest = slowest;
                lastProgress = now;
            } else if (now - lastProgress > idleTimeout.toNanos()) {
                return false;
            }
            LockSupport.parkNanos(20_000);
        }
    }

    /**
     * Waits until each subscriber received {@code expected} events, or, when that is unknown (-1), until
     * they were quiet for {@link #settle()}.
     *
     * @return false when they stopped short of {@code expected} for the idle timeout
     */
    private boolean awaitReceivers(long expected) throws InterruptedException {
        long lastTotal = -1;
        long lastProgress = System.nanoTime();
        long quietNanos = expected < 0 ? settle().toNanos() : idleTimeout.toNanos();
        while (true) {
            long totalSeen = 0;
            boolean all = true;
            for (Receiver r : receivers) {
                long got = r.received.get();
                totalSeen += got;
                all &= expected >= 0 && got >= expected;
            }
            if (all) {
                return true;
            }
            long now = System.nanoTime();
            if (totalSeen != lastTotal) {
                lastTotal = totalSeen;
                lastProgress = now;
            } else if (now - lastProgress > quietNanos) {
                return expected < 0;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
        }
    }

    private void print(Result r) throws Exception {
        if (json) {
            System.out.println(Cli.JSON.writeValueAsString(json(r)));
        } else {
            printHuman(r);
        }
    }

    private Map<String, Object> json(Result r) {
        double pubRate = r.published * 1e9 / r.pubNanos;
        double subRate = r.received * 1e9 / r.subNanos;
        double mbs = subRate * size / (1024 * 1024);
        Histogram h = r.latency;
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("msgs", r.published);
        out.put("size", size);
        out.put("pubs", pubs);
        out.put("subs", subs);
        out.put("rate", rate);
        out.put("published", r.published);
        out.put("received", r.received);
        out.put("expected", r.expected < 0 ? null : r.expected);
        out.put("complete", r.complete);
        out.put("pubMsgsPerSec", Math.round(pubRate));
        out.put("subMsgsPerSec", Math.round(subRate));
        out.put("subMBPerSec", Math.round(mbs * 10) / 10.0);
        Map<String, Object> lat = new LinkedHashMap<>();
        lat.put("p50", micros(h.getValueAtPercentile(50)));
        lat.put("p99", micros(h.getValueAtPercentile(99)));
        lat.put("p99.9", micros(h.getValueAtPercentile(99.9)));
        lat.put("max", micros(h.getMaxValue()));
        out.put("latencyMicros", lat);
        if (filter != null) {
            out.put("filter", r.filter);
            out.put("throughputMsgsPerSec", Math.round(r.throughput()));
            if (r.links.counters() != null) {
                out.put("links", r.links.counters().json());
            } else {
                out.put("linksError", r.links.error());
            }
        }
        if (timeline != null) {
            out.put("timelineMillis", timelineMillis);
            out.put("timeline", timeline.buckets());
        }
        return out;
    }

    private void printHuman(Result r) {
        double pubRate = r.published * 1e9 / r.pubNanos;
        double subRate = r.received * 1e9 / r.subNanos;
        double mbs = subRate * size / (1024 * 1024);
        Histogram h = r.latency;
        System.out.printf("%,d events of %d B, %d publisher(s) -> %d subscriber(s)%s%s%n", r.published, size, pubs, subs,
                rate > 0 ? String.format(", paced at %,d/s", rate) : "",
                r.filter == null ? "" : ", filter '" + r.filter + "'");
        System.out.printf("publish:   %,12.0f msgs/s  %8.1f MB/s%n", pubRate, pubRate * size / (1024 * 1024));
        if (subs > 0) {
            System.out.printf("subscribe: %,12.0f msgs/s  %8.1f MB/s (all subscribers, %,d of %s received)%n",
                    subRate, mbs, r.received, r.expected < 0 ? "? (not computed for this filter)"
                            : String.format("%,d", r.expected));
            System.out.printf("latency:   p50 %.1f us  p99 %.1f us  p99.9 %.1f us  max %.1f us%n",
                    micros(h.getValueAtPercentile(50)), micros(h.getValueAtPercentile(99)),
                    micros(h.getValueAtPercentile(99.9)), micros(h.getMaxValue()));
        }
        if (filter != null) {
            System.out.printf("through:   %,12.0f msgs/s  (events published per second until the last arrival: "
                    + "compare with and without the filter)%n", r.throughput());
            printLinks(r.links);
        }
        if (timeline != null && subs > 0) {
            System.out.printf("worst %d ms intervals (at ms: worst latency us / publisher late us):", timelineMillis);
            for (Map<String, Object> b : timeline.worst(5)) {
                System.out.printf("  %s: %s / %s", b.get("atMillis"), b.get("maxLatencyMicros"), b.get("maxLateMicros"));
            }
            System.out.println();
        }
        if (!r.complete) {
            System.out.println("INCOMPLETE: subscribers stopped receiving (events dropped as slow consumer?)");
        }
    }

    private static void printLinks(LinkReading links) {
        if (links.counters() == null) {
            System.out.println("links:     cannot read /v1/links of the publishing node(s): " + links.error());
            return;
        }
        LinkCounters.Sent t = links.counters().total();
        if (t.events() == 0 && t.filtered() == 0) {
            System.out.println("links:     the publishing node(s) sent nothing over links (subscribers on the same node, "
                    + "or a one-node mesh): no link traffic to save");
            return;
        }
        System.out.printf("links:     %,d events, %,d bytes sent; %,d events kept off links by filters%n",
                t.events(), t.bytes(), t.filtered());
        links.counters().bySite().forEach((site, s) -> System.out.printf(
                "  to %-12s %,12d events %,14d bytes %,12d kept off%n", site, s.events(), s.bytes(), s.filtered()));
    }

    /** {@code --compare}: both runs, then the filtered run's throughput and link bytes against the unfiltered. */
    private void printComparison(Result unfiltered, Result filtered) throws Exception {
        Double ratio = unfiltered.throughput() > 0
                ? Math.round(filtered.throughput() / unfiltered.throughput() * 100) / 100.0 : null;
        LinkCounters.Sent a = unfiltered.links.counters() == null ? null : unfiltered.links.counters().total();
        LinkCounters.Sent b = filtered.links.counters() == null ? null : filtered.links.counters().total();
        Double bytesRatio = a != null && b != null && a.bytes() > 0
                ? Math.round(b.bytes() * 100.0 / a.bytes()) / 100.0 : null;
        if (json) {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("mode", "filter-compare");
            out.put("filter", filter);
            out.put("unfiltered", json(unfiltered));
            out.put("filtered", json(filtered));
            out.put("throughputRatio", ratio);
            out.put("linkBytesRatio", bytesRatio);
            out.put("linkBytesSaved", a != null && b != null ? a.bytes() - b.bytes() : null);
            System.out.println(Cli.JSON.writeValueAsString(out));
            return;
        }
        System.out.println("without a filter:");
        printHuman(unfiltered);
        System.out.println();
        System.out.println("with filter '" + filter + "':");
        printHuman(filtered);
        System.out.println();
        System.out.printf("filter / no filter: throughput %sx (goal >= 0.9x)",
                ratio == null ? "?" : String.format("%.2f", ratio));
        if (bytesRatio != null) {
            System.out.printf(", link bytes %.2fx (%,d bytes saved)", bytesRatio, a.bytes() - b.bytes());
        } else {
            System.out.print(", link bytes: nothing crossed a link without the filter");
        }
        System.out.println();
    }

    static double micros(long nanos) {
        return Math.round(nanos / 100.0) / 10.0;
    }
}
