package io.weft.broker.rules;

import io.cloudevents.CloudEvent;
import io.weft.broker.rules.SinkDispatcher.Finished;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import org.HdrHistogram.Histogram;

/**
 * One subscription's delivery state in {@link SinkDispatcher}: its bounded queue, its slots, its counters
 * and its pause. Every method takes the lane's monitor briefly and does no I/O: it records what happened
 * and returns what the dispatcher does after the lock is released: report how a delivery ended (to its
 * {@code done}), start the deliveries that may start now, cancel retry timers.
 *
 * <p>A delivery accepted by {@link #offer} leaves the lane once: it ends in {@link #finish} (delivered,
 * dead-lettered, given up), {@link #encodingFailed} (given up), {@link #abandon} or {@link #close}
 * (abandoned). Each of these checks, under the lock, that the delivery is still queued or active and
 * removes it, and only the one that removed it returns its end: so its {@code done} is reported exactly
 * once ({@link Delivery#end} states it). A pause moves a delivery back to the queue, which ends nothing.
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

    /** One event from its offer until it is delivered, dead-lettered, given up or abandoned. */
    static final class Delivery {
        final CloudEvent event;
        /** Told how the delivery ended, once, by the dispatcher with no lock held. */
        final Consumer<Finished> done;
        /** How it ended, set once under the lane's lock; null while queued or active. */
        private Finished end;
        /** Attempts started; the number of the one in flight, or of the last one. */
        int attempts;
        Instant firstAttemptAt;
        boolean awaitingRetry;
        Scheduler.Cancellable timer;
        /** The request for {@link #encodedFor}; touched only by the one thread running this delivery's attempt. */
        private HttpBinding.Request request;
        private SinkTarget encodedFor;

        Delivery(CloudEvent event, Consumer<Finished> done) {
            this.event = event;
            this.done = done;
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

    /**
     * What the dispatcher does once a method has released the lock: report {@code ended} (if not null) to
     * the delivery the method was given, then start {@code start}.
     */
    record Step(Finished ended, List<Delivery> start) {
        static final Step NONE = new Step(null, List.of());
    }

    /** What closing leaves to do: cancel the retries' timers, report ABANDONED to each delivery. */
    record Closed(List<Scheduler.Cancellable> timers, List<Delivery> abandoned) {
        static final Closed NONE = new Closed(List.of(), List.of());
    }

    private final String id;
    private volatile SinkTarget target;
    private final ArrayDeque<Delivery> queue = new ArrayDeque<>();
    /** Deliveries holding a slot: on the wire, being handled, or waiting for a retry; oldest first. */
    private final Set<Delivery> active = new LinkedHashSet<>();
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

    String id() {
        return id;
    }

    /** The current target (the policy a finished attempt is judged by). */
    SinkTarget target() {
        return target;
    }

    /**
     * Queues {@code event}, whose end goes to {@code done}; null if refused (closed, paused, queue full:
     * counted as dropped, and {@code done} is never told).
     */
    synchronized List<Delivery> offer(CloudEvent event, Consumer<Finished> done) {
        if (closed || paused || queue.size() >= target.queueCapacity()) {
            dropped++;
            return null;
        }
        queue.addLast(new Delivery(event, done));
        return fill();
    }

    /**
     * Offers {@link #offer} would accept now, one after the other: the free places of the queue plus the
     * free slots (an accepted event moves into a free slot at once); 0 when paused or closed.
     */
    synchronized int freeCapacity() {
        if (closed || paused) {
            return 0;
        }
        SinkTarget t = target;
        return Math.max(0, t.queueCapacity() - queue.size()) + Math.max(0, t.slots() - active.size());
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
     * The step's end is null for a retry, a pause, or a delivery that is no longer active (closed, abandoned).
     */
    synchronized Step finish(Delivery d, AttemptResult result, DeliveryOutcome outcome, Instant now,
            String publishError) {
        if (closed || !active.contains(d)) {
            return Step.NONE;
        }
        lastStatus = result.label();
        Finished ended = null;
        if (outcome instanceof DeliveryOutcome.Success) {
            delivered++;
            active.remove(d);
            ended = end(d, Finished.DELIVERED);
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
                ended = end(d, Finished.DEAD_LETTERED);
                error(now, lastStatus + " on attempt " + d.attempts + " (" + dl.reason().token()
                        + "): dead-lettered to " + dl.topic());
            } else {
                failed++;
                ended = end(d, Finished.GIVEN_UP);
                error(now, lastStatus + " on attempt " + d.attempts + " (" + dl.reason().token()
                        + "): the dead letter to " + dl.topic() + " failed: " + publishError);
            }
        } else if (outcome instanceof DeliveryOutcome.Drop drop) {
            failed++;
            active.remove(d);
            ended = end(d, Finished.GIVEN_UP);
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
        return new Step(ended, fill());
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
    synchronized Step encodingFailed(Delivery d, RuntimeException e, Instant now) {
        if (closed || !active.remove(d)) {
            return Step.NONE;
        }
        failed++;
        error(now, "the transform or encoding failed: " + e);
        return new Step(end(d, Finished.GIVEN_UP), fill());
    }

    /**
     * {@code d} cannot go on because the dispatcher's executor refused a task (it is shutting down):
     * dropped, and true if the caller reports it ABANDONED (false: it had already left the lane). Starts
     * nothing, so a refusing executor does not drain the queue recursively.
     */
    synchronized boolean abandon(Delivery d, Instant now, String why) {
        if (closed || !active.remove(d)) {
            return false;
        }
        if (d.awaitingRetry) {
            d.awaitingRetry = false;
            awaitingRetry--;
        }
        dropped++;
        end(d, Finished.ABANDONED);
        error(now, why);
        return true;
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

    /**
     * Closes the lane: in-flight and queued events are dropped (counted); returns the retry timers to cancel
     * and those events, in-flight first (oldest first), then the queue in order, to report ABANDONED.
     */
    synchronized Closed close() {
        if (closed) {
            return Closed.NONE;
        }
        closed = true;
        List<Scheduler.Cancellable> timers = new ArrayList<>();
        List<Delivery> abandoned = new ArrayList<>(active.size() + queue.size());
        for (Delivery d : active) {
            if (d.timer != null) {
                timers.add(d.timer);
            }
            abandoned.add(d);
        }
        abandoned.addAll(queue);
        for (Delivery d : abandoned) {
            end(d, Finished.ABANDONED);
        }
        dropped += abandoned.size();
        queue.clear();
        active.clear();
        awaitingRetry = 0;
        return new Closed(timers, abandoned);
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

    /** Records that {@code d} left the lane as {@code how}; a second end would report its done twice. */
    private static Finished end(Delivery d, Finished how) {
        if (d.end != null) {
            throw new IllegalStateException("event " + d.event.getId() + " ended twice: " + d.end + ", then " + how);
        }
        d.end = how;
        return how;
    }

    private void error(Instant now, String message) {
        lastError = message;
        lastErrorAt = now;
    }
}
