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
import java.util.function.Consumer;
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
 *
 * <h2>Completion, for durable delivery</h2>
 * {@link #offer(String, CloudEvent, Consumer)} reports what became of each event it accepted to a
 * callback, exactly once ({@link Finished}): delivered, dead-lettered or given up, which a durable caller
 * acknowledges at its stream consumer, or abandoned (closed before it finished), which it leaves
 * unacknowledged so the stream delivers it again. A 410 finishes nothing: the event waits in the queue
 * until {@link #resume} (it goes on) or a close (abandoned). {@link #freeCapacity} tells a pulling caller
 * how many events to pull so that none is refused.
 */
public final class SinkDispatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SinkDispatcher.class);
    private static final Consumer<Finished> IGNORED = how -> {
    };

    /**
     * What became of an event that {@link #offer(String, CloudEvent, Consumer) offer} accepted, told once
     * to its {@code done}. Each end is counted in one counter of {@link SinkStatus}. The first three
     * finish the event: a durable caller acknowledges it ({@link #settled}). {@link #ABANDONED} does not:
     * the caller leaves it unacknowledged and the stream delivers it again, so an event is sent at least
     * once (an abandoned one may already have reached the sink, or its dead letter been published, when
     * the close raced with its attempt).
     */
    public enum Finished {
        /** A 2xx accepted it ({@link SinkStatus#delivered}). */
        DELIVERED,
        /** Given up and published on the policy's deadLetterTopic ({@link SinkStatus#deadLettered}). */
        DEAD_LETTERED,
        /**
         * Given up and not kept anywhere ({@link SinkStatus#failed}): not retriable or out of retries with no
         * deadLetterTopic, the dead letter's publish threw, or the transform or encoding threw. Retrying it
         * would fail the same way, so a durable caller acknowledges it too.
         */
        GIVEN_UP,
        /**
         * Not finished ({@link SinkStatus#dropped}): the subscription or the dispatcher was closed while it
         * was queued (a 410's event included), on the wire or waiting for a retry, or the scheduler refused
         * its next task (shutting down).
         */
        ABANDONED;

        /** True when the event is finished and a durable caller acknowledges it: every end but ABANDONED. */
        public boolean settled() {
            return this != ABANDONED;
        }
    }

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
     * Stops delivering for {@code id}: queued and in-flight events are dropped and counted (and reported
     * {@link Finished#ABANDONED} on this thread), pending retries called off. Returns the final status, or
     * empty if it was not open.
     */
    public Optional<SinkStatus> close(String id) {
        SinkLane lane = lanes.remove(id);
        if (lane == null) {
            return Optional.empty();
        }
        closeLane(lane);
        return Optional.of(lane.status());
    }

    /**
     * Queues {@code event} for subscription {@code id}. Never blocks. False when the event is dropped:
     * the queue is full, the subscription is paused or closed (counted in its status), or {@code id} is
     * not open here (counted in {@link #droppedUnknown}).
     */
    public boolean offer(String id, CloudEvent event) {
        return offer(id, event, IGNORED);
    }

    /**
     * Queues {@code event} as {@link #offer(String, CloudEvent)} does, and tells {@code done} what became
     * of it: exactly once if this returns true, never if it returns false.
     *
     * <p>{@code done} runs with no lock of the dispatcher held: on a scheduler thread, or on the thread
     * closing the subscription or the dispatcher for {@link Finished#ABANDONED ABANDONED} at the close. It
     * may run before this returns (a scheduler that runs tasks inline, or one that refuses them while
     * shutting down). It should be quick (it holds one of the scheduler's few threads); an exception it
     * throws is logged and ignored. An end is told before the slot it frees is used, so in an ordered
     * subscription an event's end is told before the next event is sent.
     */
    public boolean offer(String id, CloudEvent event, Consumer<Finished> done) {
        Objects.requireNonNull(event, "event");
        Objects.requireNonNull(done, "done");
        SinkLane lane = lanes.get(id);
        if (lane == null) {
            droppedUnknown.increment();
            return false;
        }
        List<Delivery> start = lane.offer(event, done);
        if (start == null) {
            return false;
        }
        start(lane, start);
        return true;
    }

    /**
     * How many events {@link #offer} would accept now, one after the other, before refusing one: the free
     * places of the queue plus the free slots; 0 when {@code id} is paused, closed or not open here. Slots
     * only free up meanwhile, so while the caller is the only one offering to {@code id} this is a lower
     * bound: a pulling caller that takes at most this many events has none refused.
     */
    public int freeCapacity(String id) {
        SinkLane lane = lanes.get(id);
        return lane == null ? 0 : lane.freeCapacity();
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
     * counted (and reported {@link Finished#ABANDONED} on this thread), pending retries are called off, and
     * later offers are refused. The statuses stay readable. The sender and the scheduler belong to the
     * caller, who shuts them down after this.
     */
    @Override
    public void close() {
        closed = true;
        for (SinkLane lane : lanes.values()) {
            closeLane(lane);
        }
    }

    private void closeLane(SinkLane lane) {
        SinkLane.Closed c = lane.close();
        c.timers().forEach(Scheduler.Cancellable::cancel);
        for (Delivery d : c.abandoned()) {
            report(lane, d, Finished.ABANDONED);
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
            proceed(lane, d, lane.encodingFailed(d, e, clock.instant()));
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
        SinkLane.Step step = lane.finish(d, result, outcome, now, publishError);
        if (outcome instanceof DeliveryOutcome.RetryAt retry) {
            scheduleRetry(lane, d, retry);
        }
        proceed(lane, d, step);
    }

    /** Tells {@code d}'s end, if {@code step} has one, then starts the deliveries it frees slots for. */
    private void proceed(SinkLane lane, Delivery d, SinkLane.Step step) {
        if (step.ended() != null) {
            report(lane, d, step.ended());
        }
        start(lane, step.start());
    }

    /** Calls {@code d}'s done; no lock is held here. Its exception is the caller's bug: logged, never ours. */
    private static void report(SinkLane lane, Delivery d, Finished how) {
        try {
            d.done.accept(how);
        } catch (RuntimeException e) {
            LOG.warn("subscription {}: the done callback of event {} ({}) threw; ignored", lane.id(), d.event.getId(),
                    how, e);
        }
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
            if (lane.abandon(d, clock.instant(), "the scheduler refused a retry (shutting down): dropped")) {
                report(lane, d, Finished.ABANDONED);
            }
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
            if (lane.abandon(d, clock.instant(), "the scheduler refused a task (shutting down): dropped")) {
                report(lane, d, Finished.ABANDONED);
            }
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
