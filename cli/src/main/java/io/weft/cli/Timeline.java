package io.weft.cli;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The worst latency and the worst publisher lateness in each interval of a bench run, by the
 * event's scheduled send time: a tail that comes from one stall shows as a few bad intervals, one
 * that comes from steady queueing as many. Lateness (how long after its scheduled time an event was
 * handed to the client) tells a stalled publisher from a stalled path. Thread-safe; bounded to
 * {@link #MAX_BUCKETS} intervals (later events are not recorded).
 */
final class Timeline {
    static final int MAX_BUCKETS = 10_000;

    private final long start;
    private final long bucketNanos;
    private final AtomicLongArray latency = new AtomicLongArray(MAX_BUCKETS);
    private final AtomicLongArray late = new AtomicLongArray(MAX_BUCKETS);
    private final AtomicLongArray events = new AtomicLongArray(MAX_BUCKETS);

    Timeline(long startNanos, long bucketNanos) {
        if (bucketNanos <= 0) {
            throw new IllegalArgumentException("bucket must be positive");
        }
        this.start = startNanos;
        this.bucketNanos = bucketNanos;
    }

    /** An event scheduled at {@code dueNanos} arrived {@code latencyNanos} later. */
    void arrived(long dueNanos, long latencyNanos) {
        int b = bucket(dueNanos);
        if (b >= 0) {
            latency.accumulateAndGet(b, latencyNanos, Math::max);
            events.incrementAndGet(b);
        }
    }

    /** An event scheduled at {@code dueNanos} was handed to the client {@code lateNanos} later. */
    void published(long dueNanos, long lateNanos) {
        int b = bucket(dueNanos);
        if (b >= 0) {
            late.accumulateAndGet(b, lateNanos, Math::max);
        }
    }

    private int bucket(long dueNanos) {
        if (dueNanos < start) {
            return -1; // (division truncates toward zero: just before the start would count as bucket 0)
        }
        long b = (dueNanos - start) / bucketNanos;
        return b >= MAX_BUCKETS ? -1 : (int) b;
    }

    /** The intervals that received events, in time order, for JSON. */
    List<Map<String, Object>> buckets() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (int i = 0; i < MAX_BUCKETS; i++) {
            if (events.get(i) == 0) {
                continue;
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("atMillis", i * bucketNanos / 1_000_000.0);
            m.put("events", events.get(i));
            m.put("maxLatencyMicros", BenchCommand.micros(latency.get(i)));
            m.put("maxLateMicros", BenchCommand.micros(late.get(i)));
            out.add(m);
        }
        return out;
    }

    /** The {@code n} intervals with the worst latency, worst first. */
    List<Map<String, Object>> worst(int n) {
        List<Map<String, Object>> all = buckets();
        all.sort(Comparator.comparingDouble((Map<String, Object> m) -> (Double) m.get("maxLatencyMicros")).reversed());
        return all.subList(0, Math.min(n, all.size()));
    }
}
