package io.weft.chaos;

import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.weft.client.MeshClient;
import io.weft.client.PublishAck;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The traffic of a scenario: durable producers that record every acknowledgement, core publishers
 * that number their events, and subscribers that record every delivery. Event ids are
 * {@code PREFIX-N} with N counting from 0 per producer, so the checker knows what was sent.
 */
final class Workload {
    private Workload() {
    }

    static CloudEvent event(String source, String id, int dataBytes) {
        byte[] data = new byte[dataBytes];
        Arrays.fill(data, (byte) 'x');
        byte[] head = ("{\"id\":\"" + id + "\",\"pad\":\"").getBytes(StandardCharsets.UTF_8);
        if (dataBytes >= head.length + 2) {
            System.arraycopy(head, 0, data, 0, head.length);
            data[dataBytes - 2] = '"';
            data[dataBytes - 1] = '}';
        } else {
            data = ("{\"id\":\"" + id + "\"}").getBytes(StandardCharsets.UTF_8);
        }
        return CloudEventBuilder.v1().withId(id).withSource(URI.create(source))
                .withType("io.weft.chaos").withDataContentType("application/json").withData(data).build();
    }

    /** A growable list of nanoTime stamps, each with the stamp of what caused it (a send). */
    static final class Times {
        private long[] t = new long[1024];
        private long[] cause = new long[1024];
        private int n;

        void add(long nanos) {
            add(nanos, nanos);
        }

        synchronized void add(long causeNanos, long nanos) {
            if (n == t.length) {
                t = Arrays.copyOf(t, n * 2);
                cause = Arrays.copyOf(cause, n * 2);
            }
            cause[n] = causeNanos;
            t[n++] = nanos;
        }

        /**
         * The first stamp whose cause came after {@code from} (an ack of a publish sent after a kill),
         * or -1: acks of publishes already in flight do not count as recovery.
         */
        synchronized long firstCausedAfter(long from) {
            long best = -1;
            for (int i = n - 1; i >= 0; i--) {
                if (cause[i] > from && (best < 0 || t[i] < best)) {
                    best = t[i];
                }
            }
            return best;
        }

        /** The first stamp after {@code from}, or -1. */
        synchronized long firstAfter(long from) {
            long best = -1;
            for (int i = n - 1; i >= 0; i--) {
                if (t[i] > from && (best < 0 || t[i] < best)) {
                    best = t[i];
                }
            }
            return best;
        }

        /**
         * The longest time between two consecutive stamps from the last one before {@code from} on (stamps
         * are added in time order): the loss window of a fault at {@code from} under a steady rate.
         */
        synchronized long largestGapAfter(long from) {
            long gap = 0;
            for (int i = 1; i < n; i++) {
                if (t[i] > from) {
                    gap = Math.max(gap, t[i] - t[i - 1]);
                }
            }
            return gap;
        }

        /** Stamps before {@code until} whose cause came after {@code causeFrom}. */
        synchronized long countCausedAfter(long causeFrom, long until) {
            long c = 0;
            for (int i = 0; i < n; i++) {
                if (cause[i] > causeFrom && t[i] < until) {
                    c++;
                }
            }
            return c;
        }

    }

    /**
     * Publishes durable events as fast as a window of {@code window} outstanding allows (optionally
     * capped at {@code ratePerSecond}); every ack's sequence is recorded. A publish that fails after
     * the client's own retries is counted with its reason: the producer was told, nothing is silent.
     */
    static final class DurableProducer implements AutoCloseable {
        final String prefix;
        private final MeshClient client;
        private final String topic;
        private final int window;
        private final int ratePerSecond;
        private final int dataBytes;
        private final Map<Long, String> acked = new ConcurrentHashMap<>();
        private final Map<String, Long> seqOf = new ConcurrentHashMap<>();
        private final AtomicLong failures = new AtomicLong();
        private final AtomicLong conflicts = new AtomicLong();
        private final List<String> reasons = new ArrayList<>();
        private final Times ackTimes = new Times();
        private final AtomicBoolean stop = new AtomicBoolean();
        private final AtomicLong sent = new AtomicLong();
        private final List<CompletableFuture<PublishAck>> outstanding = new ArrayList<>();
        private Thread thread;

        DurableProducer(MeshClient client, String topic, String prefix, int window, int ratePerSecond, int dataBytes) {
            this.client = client;
            this.topic = topic;
            this.prefix = prefix;
            this.window = window;
            this.ratePerSecond = ratePerSecond;
            this.dataBytes = dataBytes;
        }

        DurableProducer start() {
            thread = new Thread(this::run, "durable-" + prefix);
            thread.start();
            return this;
        }

        private void run() {
            Semaphore slots = new Semaphore(window);
            long started = System.nanoTime();
            while (!stop.get()) {
                if (ratePerSecond > 0) {
                    long due = started + sent.get() * 1_000_000_000L / ratePerSecond;
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        LockSupport.parkNanos(Math.min(wait, TimeUnit.MILLISECONDS.toNanos(50)));
                        continue;
                    }
                }
                try {
                    if (!slots.tryAcquire(50, TimeUnit.MILLISECONDS)) {
                        continue;
                    }
                } catch (InterruptedException e) {
                    return;
                }
                String id = prefix + "-" + sent.getAndIncrement();
                long sentAt = System.nanoTime();
                CompletableFuture<PublishAck> f = client.publishDurable(topic, event("/chaos/" + prefix, id, dataBytes));
                f.whenComplete((ack, err) -> {
                    slots.release();
                    if (err != null) {
                        failures.incrementAndGet();
                        synchronized (reasons) {
                            if (reasons.size() < 10) {
                                reasons.add(id + ": " + err);
                            }
                        }
                        return;
                    }
                    ackTimes.add(sentAt, System.nanoTime());
                    Long before = seqOf.putIfAbsent(id, ack.seq());
                    String prev = acked.putIfAbsent(ack.seq(), id);
                    if ((prev != null && !prev.equals(id)) || (before != null && before != ack.seq())) {
                        conflicts.incrementAndGet(); // two events acked at one sequence, or one at two
                    }
                });
                synchronized (outstanding) {
                    outstanding.add(f);
                    if (outstanding.size() > 4 * window) {
                        outstanding.removeIf(CompletableFuture::isDone);
                    }
                }
            }
        }

        /** Stops publishing and waits for every outstanding publish to be acked or to fail. */
        @Override
        public void close() throws InterruptedException {
            stop.set(true);
            if (thread != null) {
                thread.join(60_000);
            }
            List<CompletableFuture<PublishAck>> left;
            synchronized (outstanding) {
                left = new ArrayList<>(outstanding);
            }
            for (CompletableFuture<PublishAck> f : left) {
                try {
                    f.get(90, TimeUnit.SECONDS);
                } catch (Exception e) {
                    // counted in failures
                }
            }
        }

        Map<Long, String> acked() {
            return acked;
        }

        long acks() {
            return acked.size();
        }

        long sent() {
            return sent.get();
        }

        long failures() {
            return failures.get();
        }

        long conflicts() {
            return conflicts.get();
        }

        List<String> reasons() {
            synchronized (reasons) {
                return List.copyOf(reasons);
            }
        }

        Times ackTimes() {
            return ackTimes;
        }
    }

    /** Publishes core (at-most-once) events at a fixed rate, numbered from 0. */
    static final class CorePublisher implements AutoCloseable {
        final String prefix;
        private final MeshClient client;
        private final String topic;
        private final int ratePerSecond;
        private final int dataBytes;
        private final AtomicLong published = new AtomicLong();
        private final AtomicBoolean stop = new AtomicBoolean();
        private Thread thread;

        CorePublisher(MeshClient client, String topic, String prefix, int ratePerSecond) {
            this(client, topic, prefix, ratePerSecond, 64);
        }

        CorePublisher(MeshClient client, String topic, String prefix, int ratePerSecond, int dataBytes) {
            this.dataBytes = dataBytes;
            this.client = client;
            this.topic = topic;
            this.prefix = prefix;
            this.ratePerSecond = ratePerSecond;
        }

        CorePublisher start() {
            thread = new Thread(this::run, "core-" + prefix);
            thread.start();
            return this;
        }

        private void run() {
            long started = System.nanoTime();
            while (!stop.get()) {
                long due = started + published.get() * 1_000_000_000L / ratePerSecond;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(Math.min(wait, TimeUnit.MILLISECONDS.toNanos(50)));
                    continue;
                }
                long n = published.get();
                try {
                    client.publish(topic, event("/chaos/" + prefix, prefix + "-" + n, dataBytes));
                    published.incrementAndGet();
                } catch (RuntimeException e) {
                    // disconnected: the publisher was told; not counted as published
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
                }
            }
        }

        @Override
        public void close() throws InterruptedException {
            stop.set(true);
            if (thread != null) {
                thread.join(30_000);
            }
        }

        long published() {
            return published.get();
        }

    }

    /** Records every delivery of a subscription: per producer prefix, the numbers in arrival order. */
    static final class Recorder {
        final String name;
        private final Map<String, long[]> arrivals = new HashMap<>();
        private final Map<String, Integer> counts = new HashMap<>();
        private final Times times = new Times();

        Recorder(String name) {
            this.name = name;
        }

        Recorder subscribe(MeshClient client, String pattern) {
            client.subscribe(pattern, m -> record(m.event().getId()));
            return this;
        }

        synchronized void record(String id) {
            int dash = id.lastIndexOf('-');
            String prefix = id.substring(0, dash);
            long n = Long.parseLong(id.substring(dash + 1));
            long[] a = arrivals.computeIfAbsent(prefix, k -> new long[1024]);
            int c = counts.getOrDefault(prefix, 0);
            if (c == a.length) {
                a = Arrays.copyOf(a, c * 2);
                arrivals.put(prefix, a);
            }
            a[c] = n;
            counts.put(prefix, c + 1);
            times.add(System.nanoTime());
        }

        /** The numbers received from {@code prefix}, in arrival order. */
        synchronized long[] arrivals(String prefix) {
            long[] a = arrivals.get(prefix);
            return a == null ? new long[0] : Arrays.copyOf(a, counts.get(prefix));
        }

        /** Whether number {@code n} of {@code prefix} has arrived. */
        synchronized boolean has(String prefix, long n) {
            long[] a = arrivals.get(prefix);
            for (int i = a == null ? -1 : counts.get(prefix) - 1; i >= 0; i--) {
                if (a[i] == n) {
                    return true;
                }
            }
            return false;
        }

        synchronized long total() {
            return counts.values().stream().mapToLong(Integer::longValue).sum();
        }

        Times times() {
            return times;
        }
    }
}
