package io.weft.broker.rules;

import io.cloudevents.CloudEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.HdrHistogram.Histogram;

/**
 * One subscription's delivery state in {@link SinkDispatcher}: its bounded queue, its slots, its counters
 * and its pause. Every method takes the lane's monitor briefly and does no I/O: it records what happened
 * and returns the deliveries that may start now, which the dispatcher starts after the lock is released.
 *
 * <p>Invariants, after every method: {@code active.size() <= target.slots()} unless the target was
 * lowered meanwhile; the queue is non-empty only while every slot is taken, or paused, or closed;
 * {@code queue.size() <= queueCapacity + slots} (offers stop at the capacity; a pause may put events in
 * flight back at its head). Memory per subscription: those events, and a latency histogram of 17 KB.
 */
final class SinkLane {
    /** Latencies above this are recorded as this. */
    static final long MAX_LATENCY_MS = Duration.ofHours(1).toMillis();
    /** Two significant digits: percentiles within 1%. */
    private static final int LATENCY_DIGITS = 2;

    /** One event from leaving the queue until it is delivered, dead-lettered or dropped. */
    static final class Delivery {
        final CloudEvent event;
        /** Attempts started; the number of the one in flight, or of the last one. */
        int attempts;
        Instant firstAttemptAt;
        boolean awaitingRetry;
        Scheduler.Cancellable timer;
        /** The request for {@link #encodedFor}; touched only by the one thread running this delivery's attempt. */
        private HttpBinding.Request request;
        private SinkTarget encodedFor;

        Delivery(CloudEvent event) {
            this.event = event;
        }

        /** The request for {@code target}, encoded once per target (retries reuse it, an update re-encodes). */
        HttpBinding.Request request(SinkTarget target) {
            if (encodedFor != target) {
                request = target.binding().encode(event, target.transform());
                encodedFor = target;
            }
            return request;
        }
    }

    private final String id;
    private volatile SinkTarget target;
    private final ArrayDeque<Delivery> queue = new ArrayDeque<>();
    /** Deliveries holding a slot: on the wire, being handled, or waiting for a retry. */
    private final Set<Delivery> active = new HashSet<>();
    private final Histogram latencyMs = new Histogram(MAX_LATENCY_MS, LATENCY_DIGITS);
    private int awaitingRetry;
    private boolean paused;
    private Instant pausedSince;
    private boolean closed;
    private long attempts;
    private long delivered;
    private long retried;
    private long failed;
    private long deadLettered;
    private long dropped;
    private String lastStatus;
    private String lastError;
    private Instant lastErrorAt;
    private Instant lastAttemptAt;

    SinkLane(SinkTarget target) {
        this.id = target.subscriptionId();
        this.target = target;
    }

    /** The current target (the policy a finished attempt is judged by). */
    SinkTarget target() {
        return target;
    }

    /** Queues {@code event}; null if refused (closed, paused, queue full: counted as dropped). */
    synchronized List<Delivery> offer(CloudEvent event) {
        if (closed || paused || queue.size() >= target.queueCapacity()) {
            dropped++;
            return null;
        }
        queue.addLast(new Delivery(event));
        return fill();
    }

    /**
     * Starts attempt {@code d.attempts + 1}: the target to send to, or null if the attempt must not run
     * (the lane closed; or paused, and the delivery went back to the head of the queue).
     */
    synchronized SinkTarget begin(Delivery d, Instant now) {
        if (closed || !active.contains(d)) {
            return null;
        }
        if (paused) {
            active.remove(d);
            queue.addFirst(d);
            return null;
        }
        d.attempts++;
        attempts++;
        lastAttemptAt = now;
        if (d.firstAttemptAt == null) {
            d.firstAttemptAt = now;
        }
        return target;
    }

    /**
     * Records what attempt {@code d.attempts} got and what follows ({@code publishError}: why the dead
     * letter could not be published, or null). A retry keeps its slot; {@link #awaitRetry} then holds its timer.
     */
    synchronized List<Delivery> finish(Delivery d, AttemptResult result, DeliveryOutcome outcome, Instant now,
            String publishError) {
        if (closed || !active.contains(d)) {
            return List.of();
        }
        lastStatus = result.label();
        if (outcome instanceof DeliveryOutcome.Success) {
            delivered++;
            active.remove(d);
            long ms = Duration.between(d.firstAttemptAt, now).toMillis();
            latencyMs.recordValue(Math.max(0, Math.min(ms, MAX_LATENCY_MS)));
        } else if (outcome instanceof DeliveryOutcome.RetryAt r) {
            retried++;
            d.awaitingRetry = true;
            awaitingRetry++;
            error(now, lastStatus + " on attempt " + d.attempts + "; retry in " + r.delay().toMillis() + " ms");
        } else if (outcome instanceof DeliveryOutcome.DeadLetter dl) {
            active.remove(d);
            if (publishError == null) {
                deadLettered++;
                error(now, lastStatus + " on attempt " + d.attempts + " (" + dl.reason().token()
                        + "): dead-lettered to " + dl.topic());
            } else {
                failed++;
                error(now, lastStatus + " on attempt " + d.attempts + " (" + dl.reason().token()
                        + "): the dead letter to " + dl.topic() + " failed: " + publishError);
            }
        } else if (outcome instanceof DeliveryOutcome.Drop drop) {
            failed++;
            active.remove(d);
            error(now, lastStatus + " on attempt " + d.attempts + " (" + drop.reason().token()
                    + "), no deadLetterTopic: given up");
        } else if (outcome instanceof DeliveryOutcome.Pause) {
            active.remove(d);
            queue.addFirst(d);
            if (!paused) {
                paused = true;
                pausedSince = now;
            }
            error(now, lastStatus + " Gone: the sink is retired; paused until resumed");
        }
        return fill();
    }

    /** Holds the timer of {@code d}'s retry; false if the retry is no longer awaited (closed, or already due). */
    synchronized boolean awaitRetry(Delivery d, Scheduler.Cancellable timer) {
        if (closed || !d.awaitingRetry) {
            return false;
        }
        d.timer = timer;
        return true;
    }

    /** {@code d}'s retry is due; false if the lane closed meanwhile. */
    synchronized boolean retryDue(Delivery d) {
        if (closed || !d.awaitingRetry) {
            return false;
        }
        d.awaitingRetry = false;
        d.timer = null;
        awaitingRetry--;
        return true;
    }

    /** The transform or encoding of {@code d} failed: given up, counted as failed. */
    synchronized List<Delivery> encodingFailed(Delivery d, RuntimeException e, Instant now) {
        if (closed || !active.remove(d)) {
            return List.of();
        }
        failed++;
        error(now, "the transform or encoding failed: " + e);
        return fill();
    }

    /**
     * {@code d} cannot go on because the dispatcher's executor refused a task (it is shutting down):
     * dropped. Starts nothing, so a refusing executor does not drain the queue recursively.
     */
    synchronized void abandon(Delivery d, Instant now, String why) {
        if (closed || !active.remove(d)) {
            return;
        }
        if (d.awaitingRetry) {
            d.awaitingRetry = false;
            awaitingRetry--;
        }
        dropped++;
        error(now, why);
    }

    /** Takes a new target: later attempts use it; slots and capacity change at once. */
    synchronized List<Delivery> update(SinkTarget t) {
        target = t;
        return fill();
    }

    /** Ends a pause; null if the lane was not paused. */
    synchronized List<Delivery> resume() {
        if (!paused || closed) {
            return null;
        }
        paused = false;
        pausedSince = null;
        return fill();
    }

    /** Closes the lane: queued and in-flight events are dropped (counted); returns the retry timers to cancel. */
    synchronized List<Scheduler.Cancellable> close() {
        if (closed) {
            return List.of();
        }
        closed = true;
        dropped += queue.size() + active.size();
        queue.clear();
        List<Scheduler.Cancellable> timers = new ArrayList<>();
        for (Delivery d : active) {
            if (d.timer != null) {
                timers.add(d.timer);
            }
        }
        active.clear();
        awaitingRetry = 0;
        return timers;
    }

    synchronized boolean isClosed() {
        return closed;
    }

    synchronized SinkStatus status() {
        boolean any = latencyMs.getTotalCount() > 0;
        return new SinkStatus(id, target.sink(), attempts, delivered, retried, failed, deadLettered, dropped,
                queue.size(), active.size(), awaitingRetry, paused, pausedSince, lastStatus, lastError, lastErrorAt,
                lastAttemptAt, any ? latencyMs.getValueAtPercentile(50) : 0,
                any ? latencyMs.getValueAtPercentile(90) : 0, any ? latencyMs.getValueAtPercentile(99) : 0,
                any ? latencyMs.getMaxValue() : 0);
    }

    /** Moves queued events into free slots; empty unless a slot is free and the lane is running. */
    private List<Delivery> fill() {
        int slots = target.slots();
        if (paused || closed || queue.isEmpty() || active.size() >= slots) {
            return List.of();
        }
        List<Delivery> start = new ArrayList<>(Math.min(queue.size(), slots - active.size()));
        while (!queue.isEmpty() && active.size() < slots) {
            Delivery d = queue.pollFirst();
            active.add(d);
            start.add(d);
        }
        return start;
    }

    private void error(Instant now, String message) {
        lastError = message;
        lastErrorAt = now;
    }
}
