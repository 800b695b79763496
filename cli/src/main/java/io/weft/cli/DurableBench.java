package io.weft.cli;

import io.cloudevents.core.builder.CloudEventBuilder;
import io.weft.client.MeshClient;
import io.weft.client.StreamEvent;
import io.weft.client.StreamPage;
import io.weft.client.PublishAck;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.SynchronizedHistogram;

/**
 * {@code meshctl bench --durable}: durable publishes with a window of acks outstanding (pipelined
 * futures), ack latency from the send time (with {@code --rate}, from the scheduled send time, so a
 * stall is not hidden), a warm-up not counted, and optionally the replay rate of the stream.
 */
final class DurableBench {
    private final BenchCommand o;

    DurableBench(BenchCommand options) {
        this.o = options;
    }

    /** What one run measured. */
    record Result(long published, long acked, long duplicates, long failed, String lastError, String stream,
            long firstSeq, long lastSeq, long nanos, Histogram latency) {
    }

    /** A replay's count and duration. */
    record ReplayResult(long events, long bytes, long nanos) {
    }

    int run() throws Exception {
        if (o.replay && (o.stream == null || o.stream.isBlank())) {
            throw new IllegalArgumentException("--replay needs --stream NAME (the stream that stores --topic)");
        }
        if (o.replayBatch < 1) {
            throw new IllegalArgumentException("--replay-batch must be at least 1");
        }
        long window = o.window < 0 ? 1000 : o.window == 0 ? Integer.MAX_VALUE : Math.min(o.window, Integer.MAX_VALUE);
        String runId = Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
        try (MeshClient client = MeshClient.connect(o.server.builder("meshctl-bench-durable")
                .maxDurableInFlight((int) Math.min(Integer.MAX_VALUE, Math.max(10_000, window)))
                .durablePublishTimeout(o.idleTimeout).publishTimeout(o.idleTimeout).build())) {
            if (o.warmup > 0) {
                if (!o.json) {
                    System.err.printf("warming up with %,d durable events...%n", o.warmup);
                }
                Result w = publish(client, o.warmup, (int) window, runId + "-w", false);
                if (w.acked == 0) {
                    throw new IllegalStateException("no durable publish was acknowledged during the warm-up: " + w.lastError);
                }
            }
            Result r = publish(client, o.msgs, (int) window, runId, true);
            ReplayResult rr = null;
            if (o.replay && r.acked > 0) {
                rr = replay(client, r.firstSeq, r.lastSeq - r.firstSeq + 1);
            }
            print(r, (int) window, rr);
            return r.failed == 0 && r.acked == r.published ? 0 : 1;
        }
    }

    private Result publish(MeshClient client, long n, int window, String idPrefix, boolean record) throws InterruptedException {
        Semaphore slots = new Semaphore(window);
        Histogram h = new SynchronizedHistogram(TimeUnit.SECONDS.toNanos(60), 3);
        AtomicLong acked = new AtomicLong();
        AtomicLong dups = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        AtomicLong firstSeq = new AtomicLong(Long.MAX_VALUE);
        AtomicLong lastSeq = new AtomicLong(-1);
        AtomicLong lastAck = new AtomicLong();
        AtomicReference<String> lastError = new AtomicReference<>("");
        AtomicReference<String> stream = new AtomicReference<>("");
        byte[] data = new byte[o.size];
        ThreadLocalRandom.current().nextBytes(data);
        URI source = URI.create("/meshctl/bench/" + idPrefix);
        long interval = o.rate > 0 ? TimeUnit.SECONDS.toNanos(1) / o.rate : 0;
        long start = System.nanoTime();
        lastAck.set(start);
        long published = 0;
        for (long i = 0; i < n; i++) {
            long due = start + i * interval;
            if (interval > 0) {
                long now;
                while ((now = System.nanoTime()) < due) {
                    LockSupport.parkNanos(due - now); // one wake-up per event; a late one is caught up
                }
            }
            if (!slots.tryAcquire(o.idleTimeout.toNanos(), TimeUnit.NANOSECONDS)) {
                lastError.set("no ack for " + o.idleTimeout.toMillis() + " ms with " + window + " in flight");
                break;
            }
            long sent = interval > 0 ? due : System.nanoTime();
            try {
                client.publishDurable(o.topic, CloudEventBuilder.v1().withId(idPrefix + "-" + i).withSource(source)
                        .withType("io.weft.bench").withExtension(BenchAmounts.EXTENSION, BenchAmounts.of(i))
                        .withData("application/octet-stream", data).build()).whenComplete((PublishAck ack, Throwable err) -> {
                            long now = System.nanoTime();
                            if (err != null) {
                                failed.incrementAndGet();
                                lastError.set(Cli.message(err));
                            } else {
                                if (record) {
                                    h.recordValue(Math.min(Math.max(0, now - sent), h.getHighestTrackableValue()));
                                }
                                if (ack.duplicate()) {
                                    dups.incrementAndGet();
                                }
                                stream.set(ack.stream());
                                firstSeq.accumulateAndGet(ack.seq(), Math::min);
                                lastSeq.accumulateAndGet(ack.seq(), Math::max);
                                lastAck.accumulateAndGet(now, Math::max);
                                acked.incrementAndGet();
                            }
                            slots.release();
                        });
                published++;
            } catch (RuntimeException e) {
                slots.release();
                failed.incrementAndGet();
                lastError.set(Cli.message(e));
                break;
            }
        }
        // every slot back: everything published was acked or failed (the client gives up by itself)
        slots.tryAcquire(window, o.idleTimeout.toNanos() + TimeUnit.SECONDS.toNanos(5), TimeUnit.NANOSECONDS);
        return new Result(published, acked.get(), dups.get(), failed.get(), lastError.get(), stream.get(),
                firstSeq.get() == Long.MAX_VALUE ? -1 : firstSeq.get(), lastSeq.get(),
                Math.max(1, lastAck.get() - start), h);
    }

    /** Reads {@code count} events from {@code fromSeq} back with the client's binary stream reads, timed. */
    private ReplayResult replay(MeshClient client, long fromSeq, long count) throws Exception {
        if (!o.json) {
            System.err.printf("replaying %,d events of stream %s...%n", count, o.stream);
        }
        long start = System.nanoTime();
        long read = 0;
        long bytes = 0;
        long seq = fromSeq;
        Duration timeout = o.idleTimeout;
        while (read < count) {
            int n = (int) Math.min(o.replayBatch, count - read);
            StreamPage page = client.read(o.stream, seq, n).get(timeout.toMillis() + 5000, TimeUnit.MILLISECONDS);
            if (page.events().isEmpty()) {
                break;
            }
            for (StreamEvent e : page.events()) {
                bytes += e.encodedSize();
            }
            read += page.events().size();
            seq = page.next();
        }
        return new ReplayResult(read, bytes, Math.max(1, System.nanoTime() - start));
    }

    private void print(Result r, int window, ReplayResult rr) throws Exception {
        double rate = r.acked * 1e9 / r.nanos;
        double mbs = rate * o.size / (1024 * 1024);
        Histogram h = r.latency;
        String windowText = window == Integer.MAX_VALUE ? "unlimited" : String.format("%,d", window);
        if (o.json) {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("mode", "durable");
            out.put("topic", o.topic);
            out.put("stream", r.stream);
            out.put("msgs", o.msgs);
            out.put("size", o.size);
            out.put("window", window == Integer.MAX_VALUE ? 0 : window);
            out.put("rate", o.rate);
            out.put("warmup", o.warmup);
            out.put("published", r.published);
            out.put("acked", r.acked);
            out.put("duplicates", r.duplicates);
            out.put("failed", r.failed);
            out.put("complete", r.failed == 0 && r.acked == r.published && r.published == o.msgs);
            if (!r.lastError.isEmpty()) {
                out.put("lastError", r.lastError);
            }
            out.put("firstSeq", r.firstSeq);
            out.put("lastSeq", r.lastSeq);
            out.put("ackedMsgsPerSec", Math.round(rate));
            out.put("ackedMBPerSec", Math.round(mbs * 10) / 10.0);
            Map<String, Object> lat = new LinkedHashMap<>();
            lat.put("p50", BenchCommand.micros(h.getValueAtPercentile(50)));
            lat.put("p99", BenchCommand.micros(h.getValueAtPercentile(99)));
            lat.put("p99.9", BenchCommand.micros(h.getValueAtPercentile(99.9)));
            lat.put("max", BenchCommand.micros(h.getMaxValue()));
            out.put("ackLatencyMicros", lat);
            if (rr != null) {
                Map<String, Object> rep = new LinkedHashMap<>();
                rep.put("stream", o.stream);
                rep.put("events", rr.events);
                rep.put("msgsPerSec", Math.round(rr.events * 1e9 / rr.nanos));
                rep.put("MBPerSec", Math.round(rr.bytes * 1e9 / rr.nanos / (1024 * 1024) * 10) / 10.0);
                out.put("replay", rep);
            }
            System.out.println(Cli.JSON.writeValueAsString(out));
            return;
        }
        System.out.printf("%,d durable events of %d B to %s (stream %s), window %s%s%n", r.published, o.size, o.topic,
                r.stream.isEmpty() ? "?" : r.stream, windowText,
                o.rate > 0 ? String.format(", paced at %,d/s", o.rate) : "");
        System.out.printf("acked:     %,12.0f msgs/s  %8.1f MB/s (%,d acked, %,d duplicates, %,d failed)%n",
                rate, mbs, r.acked, r.duplicates, r.failed);
        System.out.printf("ack latency: p50 %.1f us  p99 %.1f us  p99.9 %.1f us  max %.1f us%n",
                BenchCommand.micros(h.getValueAtPercentile(50)), BenchCommand.micros(h.getValueAtPercentile(99)),
                BenchCommand.micros(h.getValueAtPercentile(99.9)), BenchCommand.micros(h.getMaxValue()));
        if (rr != null) {
            System.out.printf("replay:    %,12.0f msgs/s  %8.1f MB/s of events (%,d from stream %s)%n",
                    rr.events * 1e9 / rr.nanos, rr.bytes * 1e9 / rr.nanos / (1024 * 1024), rr.events, o.stream);
        }
        if (r.failed > 0 || r.acked < o.msgs) {
            System.out.println("INCOMPLETE: " + (o.msgs - r.acked) + " events not acknowledged"
                    + (r.lastError.isEmpty() ? "" : " (last error: " + r.lastError + ")"));
        }
    }
}
