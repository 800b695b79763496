package io.weft.broker.rules;

import static io.weft.broker.rules.SinkDispatcherTest.BACKOFF;
import static io.weft.broker.rules.SinkDispatcherTest.OK;
import static io.weft.broker.rules.SinkDispatcherTest.T0;
import static io.weft.broker.rules.SinkDispatcherTest.UNAVAILABLE;
import static io.weft.broker.rules.SinkDispatcherTest.event;
import static io.weft.broker.rules.SinkDispatcherTest.policy;
import static io.weft.broker.rules.SinkDispatcherTest.target;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cloudevents.CloudEvent;
import io.weft.broker.rules.SinkDispatcher.Finished;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.ToLongFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What {@link SinkDispatcher#offer(String, CloudEvent, Consumer)} tells its {@code done}, stepped by hand
 * as in {@link SinkDispatcherTest}: exactly one end per accepted event whatever happens to it, none for a
 * refused one; and {@link SinkDispatcher#freeCapacity}.
 */
class SinkDispatcherCompletionTest {
    private static final Finished DELIVERED = Finished.DELIVERED;
    private static final Finished DEAD_LETTERED = Finished.DEAD_LETTERED;
    private static final Finished GIVEN_UP = Finished.GIVEN_UP;
    private static final Finished ABANDONED = Finished.ABANDONED;

    private final ManualScheduler scheduler = new ManualScheduler(T0);
    private final FakeHttpSender sender = new FakeHttpSender();
    private final List<CloudEvent> deadLetters = new ArrayList<>();
    private final SinkDispatcher dispatcher = new SinkDispatcher(sender, scheduler, scheduler, new SplittableRandom(42),
            (topic, e) -> deadLetters.add(e));
    private final Ends ends = new Ends();

    @AfterEach
    void noEventWasToldTwice() {
        assertEquals(List.of(), ends.twice);
    }

    // ------------------------------------------------------------ the ends

    @Test
    void aDeliveryIsToldOnceWhenA2xxAcceptsIt() {
        dispatcher.open(target("s", policy(3, null), false, 16, 100));
        assertTrue(offer("s", "e1"));
        sender.call(0).answer(UNAVAILABLE);
        assertEquals(Map.of(), ends.byId, "a retry finishes nothing");

        scheduler.advance(BACKOFF);
        sender.call(1).answer(OK);
        scheduler.advance(Duration.ofHours(1));

        assertEquals(Map.of("e1", DELIVERED), ends.byId);
        assertEquals(1, dispatcher.status("s").orElseThrow().delivered());
    }

    @Test
    void deadLettersAreToldForAStatusNotRetriedAndForTheLastRetry() {
        dispatcher.open(target("s", policy(1, "orders.dead"), false, 16, 100));
        offer("s", "e1");
        offer("s", "e2");
        sender.call(0).answer(AttemptResult.status(400));
        sender.call(1).answer(UNAVAILABLE);
        assertEquals(Map.of("e1", DEAD_LETTERED), ends.byId);

        scheduler.advance(BACKOFF);
        sender.call(2).answer(AttemptResult.TIMEOUT);

        assertEquals(Map.of("e1", DEAD_LETTERED, "e2", DEAD_LETTERED), ends.byId);
        assertEquals(2, deadLetters.size());
    }

    @Test
    void givenUpIsToldWithoutADeadLetterTopic() {
        dispatcher.open(target("s", policy(1, null), false, 16, 100));
        offer("s", "e1");
        offer("s", "e2");
        sender.call(0).answer(AttemptResult.status(400));
        sender.call(1).answer(UNAVAILABLE);
        scheduler.advance(BACKOFF);
        sender.call(2).answer(AttemptResult.CONNECT_FAILED);

        assertEquals(Map.of("e1", GIVEN_UP, "e2", GIVEN_UP), ends.byId);
        assertEquals(2, dispatcher.status("s").orElseThrow().failed());
    }

    @Test
    void givenUpIsToldWhenTheDeadLetterCannotBePublished() {
        SinkDispatcher d = new SinkDispatcher(sender, scheduler, scheduler, new SplittableRandom(42), (topic, e) -> {
            throw new IllegalStateException("no route");
        });
        d.open(target("s", policy(3, "orders.dead"), false, 16, 100));
        d.offer("s", event("e1"), ends.to("e1"));
        sender.call(0).answer(AttemptResult.status(422));

        assertEquals(Map.of("e1", GIVEN_UP), ends.byId);
    }

    @Test
    void givenUpIsToldWhenTheEventCannotBeEncoded() {
        dispatcher.open(target("s", policy(3, "orders.dead"), true, 1, 100));
        CloudEvent unencodable = TestEvents.base().withId("bad").withExtension("big", 5L).build();
        assertTrue(dispatcher.offer("s", unencodable, ends.to("bad")));
        offer("s", "e2");

        assertEquals(Map.of("bad", GIVEN_UP), ends.byId, "a Long extension is not in the CloudEvents type system");
        assertEquals(List.of("e2"), sender.sentIds(), "the next event goes on");
        assertTrue(deadLetters.isEmpty());
    }

    // ------------------------------------------------------------ refused offers

    @Test
    void refusedOffersAreNeverTold() {
        dispatcher.open(target("s", policy(3, null), false, 1, 1));
        assertTrue(offer("s", "e1"));
        assertTrue(offer("s", "e2"));
        assertFalse(offer("s", "full"));
        assertFalse(offer("nobody", "unknown"));
        sender.call(0).answer(AttemptResult.status(410));
        assertFalse(offer("s", "paused"));
        dispatcher.close("s");
        assertFalse(offer("s", "closed"));
        dispatcher.open(target("t", policy(3, null), false, 1, 1));
        dispatcher.close();
        assertFalse(offer("t", "dispatcherClosed"));
        scheduler.advance(Duration.ofHours(1));

        assertEquals(Map.of("e1", ABANDONED, "e2", ABANDONED), ends.byId);
    }

    // ------------------------------------------------------------ close

    @Test
    void closingASubscriptionAbandonsWhatIsInFlightWaitingForARetryAndQueued() {
        dispatcher.open(target("s", policy(3, null), false, 2, 100));
        dispatcher.open(target("t", policy(3, null), false, 2, 100));
        for (int i = 1; i <= 4; i++) {
            offer("s", "e" + i);
        }
        offer("t", "other");
        sender.call(0).answer(UNAVAILABLE);
        assertEquals(1, dispatcher.status("s").orElseThrow().awaitingRetry());

        dispatcher.close("s");
        assertEquals(List.of("e1", "e2", "e3", "e4"), List.copyOf(ends.byId.keySet()),
                "in flight oldest first (e1 waiting for its retry, e2 on the wire), then the queue");
        assertEquals(Set.of(ABANDONED), Set.copyOf(ends.byId.values()));

        sender.call(1).answer(OK);
        scheduler.advance(Duration.ofHours(1));
        assertEquals(4, ends.byId.size(), "a late answer and a called-off retry tell nothing");
        assertEquals(3, sender.calls().size());
        sender.call(2).answer(OK);
        assertEquals(DELIVERED, ends.byId.get("other"), "the other subscription goes on");
    }

    @Test
    void closingTheDispatcherAbandonsEverySubscriptionsEvents() {
        dispatcher.open(target("s", policy(3, null), true, 1, 100));
        dispatcher.open(target("t", policy(3, null), false, 2, 100));
        offer("s", "s1");
        offer("s", "s2");
        offer("t", "t1");
        offer("t", "t2");
        offer("t", "t3");
        sender.call(0).answer(UNAVAILABLE);
        sender.call(1).answer(OK);
        assertEquals(Map.of("t1", DELIVERED), ends.byId);

        dispatcher.close();
        assertEquals(Map.of("t1", DELIVERED, "s1", ABANDONED, "s2", ABANDONED, "t2", ABANDONED, "t3", ABANDONED),
                ends.byId);
        while (!sender.pendingCalls().isEmpty()) {
            sender.pendingCalls().get(0).answer(OK);
        }
        scheduler.advance(Duration.ofHours(1));
        assertEquals(5, ends.byId.size());
        assertEquals(2, dispatcher.status("s").orElseThrow().dropped());
        assertEquals(2, dispatcher.status("t").orElseThrow().dropped());
    }

    @Test
    void aSchedulerThatRefusesWorkAbandonsTheEvent() {
        Refusing refusing = new Refusing(scheduler);
        SinkDispatcher d = new SinkDispatcher(sender, refusing, scheduler, new SplittableRandom(42), (t, e) -> {
        });
        d.open(target("s", policy(3, null), false, 2, 100));
        d.offer("s", event("e1"), ends.to("e1"));
        refusing.schedule = false;
        sender.call(0).answer(UNAVAILABLE);
        assertEquals(Map.of("e1", ABANDONED), ends.byId, "its retry was refused");

        refusing.execute = false;
        assertTrue(d.offer("s", event("e2"), ends.to("e2")), "accepted, then its attempt refused");
        assertEquals(ABANDONED, ends.byId.get("e2"));
        d.close();
        assertEquals(2, ends.byId.size());
    }

    // ------------------------------------------------------------ pause

    @Test
    void aPausedEventIsNotFinishedAndGoesOnWhenResumed() {
        dispatcher.open(target("s", policy(3, null), true, 1, 100));
        offer("s", "e1");
        offer("s", "e2");
        sender.call(0).answer(AttemptResult.status(410));
        scheduler.advance(Duration.ofHours(1));
        assertEquals(Map.of(), ends.byId, "a 410 finishes nothing");

        dispatcher.resume("s");
        sender.call(1).answer(OK);
        sender.call(2).answer(OK);
        assertEquals(List.of("e1", "e1", "e2"), sender.sentIds());
        assertEquals(Map.of("e1", DELIVERED, "e2", DELIVERED), ends.byId);
    }

    @Test
    void aPausedEventIsAbandonedWhenClosed() {
        dispatcher.open(target("s", policy(3, null), false, 2, 100));
        offer("s", "e1");
        offer("s", "e2");
        sender.call(0).answer(UNAVAILABLE);
        sender.call(1).answer(AttemptResult.status(410));
        scheduler.advance(Duration.ofMinutes(1));
        assertEquals(2, dispatcher.status("s").orElseThrow().queued(), "e1's retry fell due and waits too");
        assertEquals(Map.of(), ends.byId);

        dispatcher.close("s");
        assertEquals(Map.of("e1", ABANDONED, "e2", ABANDONED), ends.byId);
    }

    // ------------------------------------------------------------ the callback

    @Test
    void aThrowingDoneBreaksNothing() {
        List<String> told = new ArrayList<>();
        dispatcher.open(target("s", policy(3, null), true, 1, 100));
        for (String id : List.of("e1", "e2", "e3", "e4")) {
            dispatcher.offer("s", event(id), how -> {
                told.add(id + " " + how);
                throw new IllegalStateException("the caller's bug");
            });
        }
        sender.call(0).answer(OK);
        sender.call(1).answer(AttemptResult.status(400));

        assertEquals(List.of("e1", "e2", "e3"), sender.sentIds(), "ordered: each end is told before the next send");
        dispatcher.close();
        assertEquals(List.of("e1 DELIVERED", "e2 GIVEN_UP", "e3 ABANDONED", "e4 ABANDONED"), told,
                "a throw at close does not stop the other events being told");
        SinkStatus s = dispatcher.status("s").orElseThrow();
        assertEquals(1, s.delivered());
        assertEquals(1, s.failed());
        assertEquals(2, s.dropped());
    }

    @Test
    void doneRunsWithNoLockHeld() throws InterruptedException {
        dispatcher.open(target("s", policy(3, null), false, 1, 100));
        List<String> seen = new ArrayList<>();
        Consumer<Finished> fromAnotherThread = how -> {
            Thread reader = new Thread(() -> seen.add(how + " " + dispatcher.status("s").map(SinkStatus::delivered)
                    .orElse(-1L) + " " + dispatcher.freeCapacity("s")));
            reader.start();
            try {
                reader.join(TimeUnit.SECONDS.toMillis(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            assertFalse(reader.isAlive(), "the reader is blocked on a lock done was called under");
        };
        dispatcher.offer("s", event("e1"), fromAnotherThread);
        dispatcher.offer("s", event("e2"), fromAnotherThread);
        sender.call(0).answer(OK);
        dispatcher.close("s");

        assertEquals(List.of("DELIVERED 1 100", "ABANDONED -1 0"), seen,
                "e1's end is told with e2 already in its slot; at close the subscription is gone");
    }

    // ------------------------------------------------------------ freeCapacity

    @Test
    void freeCapacityIsWhatTheNextOffersAccept() {
        assertEquals(0, dispatcher.freeCapacity("s"), "not open");
        dispatcher.open(target("s", policy(3, null), false, 2, 3));
        for (int i = 1; i <= 5; i++) {
            assertEquals(6 - i, dispatcher.freeCapacity("s"), "2 slots, then 3 queue places");
            assertTrue(offer("s", "e" + i));
        }
        assertEquals(0, dispatcher.freeCapacity("s"));
        assertFalse(offer("s", "refused"));

        sender.call(0).answer(OK);
        assertEquals(1, dispatcher.freeCapacity("s"), "e3 took the slot: one queue place is free");
        sender.call(1).answer(UNAVAILABLE);
        assertEquals(1, dispatcher.freeCapacity("s"), "a waiting retry keeps its slot");
        sender.call(2).answer(AttemptResult.status(410));
        assertEquals(0, dispatcher.freeCapacity("s"), "paused");

        dispatcher.resume("s");
        assertEquals(List.of("e1", "e2", "e3", "e3"), sender.sentIds());
        assertEquals(1, dispatcher.freeCapacity("s"), "e4, e5 queued, e2 and e3 in the slots");
        dispatcher.update(target("s", policy(3, null), false, 2, 1));
        assertEquals(0, dispatcher.freeCapacity("s"), "a capacity lowered below the queue: 0, not negative");
        dispatcher.update(target("s", policy(3, null), false, 4, 10));
        assertEquals(10, dispatcher.freeCapacity("s"), "e4 and e5 started: 4 slots taken, 10 queue places");
        int accepted = 0;
        while (offer("s", "more" + accepted)) {
            accepted++;
        }
        assertEquals(10, accepted);

        dispatcher.close();
        assertEquals(0, dispatcher.freeCapacity("s"), "closed");
    }

    // ------------------------------------------------------------ randomized

    /**
     * Random runs over two subscriptions (ordered with a dead-letter topic; unordered without), mixing
     * offers (a few unencodable), answers of every kind, time, resumes, updates and closes with
     * re-opens: every accepted event is told exactly once, by the dispatcher's close at the latest, no
     * refused one is, an offer within {@link SinkDispatcher#freeCapacity} is accepted, and the ends
     * match the counters.
     */
    @Test
    void everyAcceptedEventIsToldExactlyOnce() {
        for (long seed = 0; seed < 200; seed++) {
            try {
                new RandomRun(seed).run();
            } catch (AssertionError e) {
                throw new AssertionError("seed " + seed + " (replay: new RandomRun(" + seed + ").run())", e);
            }
        }
    }

    private static final class RandomRun {
        private static final List<AttemptResult> RESULTS = List.of(OK, OK, OK, UNAVAILABLE, AttemptResult.TIMEOUT,
                AttemptResult.CONNECT_FAILED, AttemptResult.status(429), AttemptResult.status(400),
                AttemptResult.status(410));
        private static final List<String> IDS = List.of("ordered", "unordered");

        private final SplittableRandom random;
        private final ManualScheduler scheduler = new ManualScheduler(T0);
        private final FakeHttpSender sender = new FakeHttpSender();
        private final SinkDispatcher dispatcher;
        private final Ends ends = new Ends();
        private final Set<String> accepted = new HashSet<>();
        private final Set<String> open = new HashSet<>();
        private final List<SinkStatus> finalStatuses = new ArrayList<>();
        private long refusedByLanes;
        private int next;

        RandomRun(long seed) {
            random = new SplittableRandom(seed);
            dispatcher = new SinkDispatcher(sender, scheduler, scheduler, new SplittableRandom(seed), (t, e) -> {
            });
        }

        void run() {
            IDS.forEach(this::open);
            for (int step = 0; step < 300; step++) {
                int dice = random.nextInt(100);
                if (dice < 45) {
                    offer();
                } else if (dice < 80) {
                    answer();
                } else if (dice < 88) {
                    scheduler.advance(Duration.ofMillis(random.nextInt(3000)));
                } else if (dice < 93) {
                    dispatcher.resume(pick());
                } else if (dice < 96) {
                    String id = pick();
                    if (open.contains(id)) {
                        dispatcher.update(target(id, 1 + random.nextInt(4), 1 + random.nextInt(6)));
                    }
                } else {
                    String id = pick();
                    dispatcher.close(id).ifPresent(finalStatuses::add);
                    open.remove(id);
                    if (random.nextBoolean()) {
                        open(id);
                    }
                }
                assertEquals(List.of(), ends.twice);
            }
            dispatcher.close();
            finalStatuses.addAll(dispatcher.statuses().values());
            while (!sender.pendingCalls().isEmpty()) {
                sender.pendingCalls().get(0).answer(OK);
            }
            scheduler.advance(Duration.ofHours(2));

            assertEquals(List.of(), ends.twice);
            assertEquals(accepted, ends.byId.keySet(), "every accepted event told, no refused one");
            Map<Finished, Long> counts = new EnumMap<>(Finished.class);
            ends.byId.values().forEach(f -> counts.merge(f, 1L, Long::sum));
            assertEquals(counts.getOrDefault(DELIVERED, 0L), sum(SinkStatus::delivered));
            assertEquals(counts.getOrDefault(DEAD_LETTERED, 0L), sum(SinkStatus::deadLettered));
            assertEquals(counts.getOrDefault(GIVEN_UP, 0L), sum(SinkStatus::failed));
            assertEquals(counts.getOrDefault(ABANDONED, 0L) + refusedByLanes, sum(SinkStatus::dropped));
        }

        private void open(String id) {
            dispatcher.open(target(id, 1 + random.nextInt(4), 1 + random.nextInt(6)));
            open.add(id);
        }

        private SinkTarget target(String id, int concurrency, int capacity) {
            boolean ordered = id.equals("ordered");
            return SinkDispatcherTest.target(id, policy(random.nextInt(3), ordered ? "dead" : null), ordered,
                    concurrency, capacity);
        }

        private void offer() {
            String id = pick();
            String eventId = "e" + next++;
            CloudEvent e = random.nextInt(20) == 0
                    ? TestEvents.base().withId(eventId).withExtension("big", 5L).build()
                    : event(eventId);
            int free = dispatcher.freeCapacity(id);
            if (dispatcher.offer(id, e, ends.to(eventId))) {
                accepted.add(eventId);
            } else {
                assertEquals(0, free, "refused within freeCapacity");
                assertFalse(ends.byId.containsKey(eventId), "a refused event was told");
                refusedByLanes += open.contains(id) ? 1 : 0;
            }
        }

        private void answer() {
            List<FakeHttpSender.Call> pending = sender.pendingCalls();
            if (!pending.isEmpty()) {
                pending.get(random.nextInt(pending.size())).answer(RESULTS.get(random.nextInt(RESULTS.size())));
            }
        }

        private String pick() {
            return IDS.get(random.nextInt(IDS.size()));
        }

        private long sum(ToLongFunction<SinkStatus> counter) {
            return finalStatuses.stream().mapToLong(counter).sum();
        }
    }

    // ------------------------------------------------------------ helpers

    private boolean offer(String subscription, String eventId) {
        return dispatcher.offer(subscription, event(eventId), ends.to(eventId));
    }

    /** The ends told, by event id in the order told; a second end for one event is kept in {@link #twice}. */
    private static final class Ends {
        final Map<String, Finished> byId = new LinkedHashMap<>();
        final List<String> twice = new ArrayList<>();

        Consumer<Finished> to(String eventId) {
            return how -> {
                Finished before = byId.putIfAbsent(eventId, how);
                if (before != null) {
                    twice.add(eventId + ": " + before + ", then " + how);
                }
            };
        }
    }

    /** A scheduler that refuses new tasks or retries, as a pool does once shut down. */
    private static final class Refusing implements Scheduler {
        private final Scheduler inner;
        boolean execute = true;
        boolean schedule = true;

        Refusing(Scheduler inner) {
            this.inner = inner;
        }

        @Override
        public void execute(Runnable task) {
            if (!execute) {
                throw new RejectedExecutionException("shut down");
            }
            inner.execute(task);
        }

        @Override
        public Cancellable schedule(Runnable task, Duration delay) {
            if (!schedule) {
                throw new RejectedExecutionException("shut down");
            }
            return inner.schedule(task, delay);
        }
    }
}
