package io.weft.broker.rules;

import io.cloudevents.CloudEvent;
import io.weft.broker.rules.SinkLane.Delivery;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.LongAdder;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP delivery engine of one node: runs the deliveries of many subscriptions, each to its sink,
 * best-effort. The routing thread {@link #offer}s each matched event; the dispatcher queues it, sends it
 * ({@link HttpBinding#encode}, {@link HttpSender}), judges the result ({@link RetryDecision}) and
 * retries, dead-letters ({@link DeadLetterSink}), drops or pauses, counting everything per subscription
 * ({@link SinkStatus}).
 *
 * <h2>Per subscription</h2>
 * A FIFO queue of at most {@code queueCapacity} events and {@code slots} slots ({@code concurrency}, or 1
 * when ordered). An event takes a slot for its whole life: its attempts, the waits between them, the
 * handling of its result. So concurrency bounds retries too, and in ordered mode the next event waits
 * until the previous one is delivered, dead-lettered or dropped. An offer to a full queue, a paused or a
 * closed subscription returns false and counts the event as dropped.
 *
 * <h2>Threads</h2>
 * {@link #offer} only queues: it takes the subscription's lock for a few field updates and hands
 * starting an attempt to the {@link Scheduler}; it never encodes, sends or waits, so a slow or dead sink
 * cannot slow the routing thread. Attempts (encode, send), the handling of results (decide, dead letter,
 * bookkeeping) and due retries run on the scheduler; the sender completes on its own threads, and the
 * dispatcher moves the handling back onto the scheduler. No lock is held while encoding, sending,
 * publishing a dead letter or scheduling; each subscription has its own lock, so one sink's trouble
 * only fills that subscription's queue and slots. The one other lock guards the random generator while a
 * retry's jitter is drawn; it is never taken with a subscription's.
 *
 * <h2>Pause</h2>
 * A 410 pauses the subscription: its event goes back to the head of the queue, offers are refused
 * (dropped), and nothing new is sent; attempts already on the wire finish, and retries that fall due
 * go back to the queue. {@link #resume} sends again, starting with the event that got the 410.
 *
 * <h2>Best effort</h2>
 * {@link #close(String)} and {@link #close()} count what was queued or in flight as dropped and forget it
 * (a request on the wire may still arrive: it is counted as dropped anyway). Nothing is persisted:
 * a durable subscription keeps its events at a stream consumer's cursor instead.
 */
public final class SinkDispatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SinkDispatcher.class);

    private final HttpSender sender;
    private final Scheduler scheduler;
    private final InstantSource clock;
    private final RandomGenerator random;
    private final DeadLetterSink deadLetters;
    private final Object randomLock = new Object();
    private final ConcurrentHashMap<String, SinkLane> lanes = new ConcurrentHashMap<>();
    private final LongAdder droppedUnknown = new LongAdder();
    private volatile boolean closed;

    /**
     * @param sender      sends the attempts
     * @param scheduler   runs attempts and result handling, and schedules retries (see the class comment)
     * @param clock       the time of attempts, retries and latencies
     * @param random      the retries' jitter; used under a lock, so it need not be thread-safe
     * @param deadLetters where given-up events go when the policy names a deadLetterTopic
     */
    public SinkDispatcher(HttpSender sender, Scheduler scheduler, InstantSource clock, RandomGenerator random,
            DeadLetterSink deadLetters) {
        this.sender = Objects.requireNonNull(sender, "sender");
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.random = Objects.requireNonNull(random, "random");
        this.deadLetters = Objects.requireNonNull(deadLetters, "deadLetters");
    }

    /**
     * Starts delivering for {@code target.subscriptionId()}.
     *
     * @throws IllegalStateException if it is already open here, or the dispatcher is closed
     */
    public void open(SinkTarget target) {
        if (closed) {
            throw new IllegalStateException("the dispatcher is closed");
        }
        if (lanes.putIfAbsent(target.subscriptionId(), new SinkLane(target)) != null) {
            throw new IllegalStateException("subscription " + target.subscriptionId() + " is already open");
        }
    }

    /**
     * Replaces a subscription's target. Attempts that start from now on use it (an event waiting for a
     * retry is re-encoded); attempts on the wire finish as they were sent and are judged by the new
     * policy. More concurrency starts queued events at once; less lets the excess finish. A smaller
     * capacity keeps what is queued and refuses offers until the queue is below it. Counters, the queue
     * and a pause are kept.
     *
     * @throws NoSuchElementException if the subscription is not open here
     */
    public void update(SinkTarget target) {
        SinkLane lane = lane(target.subscriptionId());
        start(lane, lane.update(target));
    }

    /**
     * Stops delivering for {@code id}: queued and in-flight events are dropped and counted, pending
     * retries called off. Returns the final status, or empty if it was not open.
     */
    public Optional<SinkStatus> close(String id) {
        SinkLane lane = lanes.remove(id);
        if (lane == null) {
            return Optional.empty();
        }
        lane.close().forEach(Scheduler.Cancellable::cancel);
        return Optional.of(lane.status());
    }

    /**
     * Queues {@code event} for subscription {@code id}. Never blocks. False when the event is dropped:
     * the queue is full, the subscription is paused or closed (counted in its status), or {@code id} is
     * not open here (counted in {@link #droppedUnknown}).
     */
    public boolean offer(String id, CloudEvent event) {
        Objects.requireNonNull(event, "event");
        SinkLane lane = lanes.get(id);
        if (lane == null) {
            droppedUnknown.increment();
            return false;
        }
        List<Delivery> start = lane.offer(event);
        if (start == null) {
            return false;
        }
        start(lane, start);
        return true;
    }

    /** Ends the pause of {@code id} (a 410). False if it is not open here or not paused. */
    public boolean resume(String id) {
        SinkLane lane = lanes.get(id);
        List<Delivery> start = lane == null ? null : lane.resume();
        if (start == null) {
            return false;
        }
        LOG.info("subscription {}: resumed", id);
        start(lane, start);
        return true;
    }

    /** The status of {@code id}, or empty if it is not open here. After {@link #close()}, the final one. */
    public Optional<SinkStatus> status(String id) {
        SinkLane lane = lanes.get(id);
        return lane == null ? Optional.empty() : Optional.of(lane.status());
    }

    /** Every open subscription's status, by id: for {@code /metrics}. */
    public Map<String, SinkStatus> statuses() {
        Map<String, SinkStatus> out = new TreeMap<>();
        lanes.forEach((id, lane) -> out.put(id, lane.status()));
        return out;
    }

    /** Events offered for a subscription not open here. */
    public long droppedUnknown() {
        return droppedUnknown.sum();
    }

    /**
     * Stops the dispatcher (best effort): every subscription's queued and in-flight events are dropped and
     * counted, pending retries are called off, and later offers are refused. The statuses stay readable.
     * The sender and the scheduler belong to the caller, who shuts them down after this.
     */
    @Override
    public void close() {
        closed = true;
        for (SinkLane lane : lanes.values()) {
            lane.close().forEach(Scheduler.Cancellable::cancel);
        }
    }

    // ------------------------------------------------------------------ one delivery

    private void start(SinkLane lane, List<Delivery> deliveries) {
        for (Delivery d : deliveries) {
            submit(lane, d, () -> attempt(lane, d));
        }
    }

    /** Runs one attempt of {@code d}: encode (once per target), send, and hand the result to {@link #finish}. */
    private void attempt(SinkLane lane, Delivery d) {
        SinkTarget t = lane.begin(d, clock.instant());
        if (t == null) {
            return;
        }
        HttpBinding.Request request;
        try {
            request = d.request(t);
        } catch (RuntimeException e) {
            LOG.warn("subscription {}: cannot encode event {}: {}", t.subscriptionId(), d.event.getId(), e.toString());
            start(lane, lane.encodingFailed(d, e, clock.instant()));
            return;
        }
        CompletableFuture<AttemptResult> sent;
        try {
            sent = sender.send(t.sink(), request, t.extraHeaders(), t.policy().timeout());
        } catch (RuntimeException e) {
            LOG.warn("subscription {}: the sender failed (counted as no connection): {}", t.subscriptionId(),
                    e.toString());
            sent = CompletableFuture.completedFuture(AttemptResult.CONNECT_FAILED);
        }
        sent.whenComplete((result, error) -> {
            AttemptResult r = result != null ? result : AttemptResult.CONNECT_FAILED;
            submit(lane, d, () -> finish(lane, d, r));
        });
    }

    /** Judges attempt {@code d.attempts}'s result and does what follows. */
    private void finish(SinkLane lane, Delivery d, AttemptResult result) {
        Instant now = clock.instant();
        SinkTarget t = lane.target();
        DeliveryOutcome outcome;
        synchronized (randomLock) {
            outcome = RetryDecision.decide(t.policy(), d.attempts, result, random, now);
        }
        String publishError = null;
        if (outcome instanceof DeliveryOutcome.DeadLetter dl && !lane.isClosed()) {
            publishError = publishDeadLetter(t.subscriptionId(), d, dl);
        }
        if (outcome instanceof DeliveryOutcome.Pause) {
            LOG.warn("subscription {}: {} answered 410 Gone; paused until resumed", t.subscriptionId(), t.sink());
        }
        List<Delivery> next = lane.finish(d, result, outcome, now, publishError);
        if (outcome instanceof DeliveryOutcome.RetryAt retry) {
            scheduleRetry(lane, d, retry);
        }
        start(lane, next);
    }

    private String publishDeadLetter(String id, Delivery d, DeliveryOutcome.DeadLetter dl) {
        try {
            deadLetters.publish(dl.topic(), DeadLetters.event(d.event, id, dl));
            return null;
        } catch (RuntimeException e) {
            LOG.warn("subscription {}: dead letter of event {} to {} failed: {}", id, d.event.getId(), dl.topic(),
                    e.toString());
            return e.toString();
        }
    }

    private void scheduleRetry(SinkLane lane, Delivery d, DeliveryOutcome.RetryAt retry) {
        Scheduler.Cancellable timer;
        try {
            timer = scheduler.schedule(() -> {
                if (lane.retryDue(d)) {
                    attempt(lane, d);
                }
            }, retry.delay());
        } catch (RejectedExecutionException e) {
            lane.abandon(d, clock.instant(), "the scheduler refused a retry (shutting down): dropped");
            return;
        }
        if (!lane.awaitRetry(d, timer)) {
            timer.cancel();
        }
    }

    private void submit(SinkLane lane, Delivery d, Runnable task) {
        try {
            scheduler.execute(task);
        } catch (RejectedExecutionException e) {
            lane.abandon(d, clock.instant(), "the scheduler refused a task (shutting down): dropped");
        }
    }

    private SinkLane lane(String id) {
        SinkLane lane = lanes.get(id);
        if (lane == null) {
            throw new NoSuchElementException("subscription " + id + " is not open on this dispatcher");
        }
        return lane;
    }
}
