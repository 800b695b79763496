package io.weft.broker.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cloudevents.CloudEvent;
import io.weft.broker.rules.DeliveryPolicy.BackoffPolicy;
import io.weft.broker.rules.FakeHttpSender.Call;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The delivery engine stepped by hand: a fake sender whose calls the test answers, a manual scheduler
 * and clock, a seeded jitter. Every test starts at {@link #T0}.
 */
class SinkDispatcherTest {
    static final Instant T0 = Instant.parse("2026-03-01T12:00:00Z");
    static final URI SINK = URI.create("http://sink.example/hook");
    static final Duration BACKOFF = Duration.ofSeconds(1);
    static final AttemptResult OK = AttemptResult.status(200);
    static final AttemptResult UNAVAILABLE = AttemptResult.status(503);

    private record Published(String topic, CloudEvent event) {
    }

    private final ManualScheduler scheduler = new ManualScheduler(T0);
    private final FakeHttpSender sender = new FakeHttpSender();
    private final List<Published> deadLetters = new ArrayList<>();
    private final SinkDispatcher dispatcher = new SinkDispatcher(sender, scheduler, scheduler, new SplittableRandom(42),
            (topic, event) -> deadLetters.add(new Published(topic, event)));

    // ------------------------------------------------------------ outcomes

    @Test
    void successIsCountedWithItsLatency() {
        dispatcher.open(target("s", policy(3, null), false, 16, 100));
        assertTrue(dispatcher.offer("s", event("e1")));

        Call call = sender.call(0);
        assertEquals(SINK, call.sink);
        assertEquals("e1", call.eventId());
        assertEquals(Duration.ofSeconds(10), call.timeout);
        SinkStatus s = status("s");
        assertEquals(1, s.attempts());
        assertEquals(1, s.inFlight());
        assertEquals(T0, s.lastAttemptAt());

        scheduler.advance(Duration.ofMillis(250));
        call.answer(OK);

        s = status("s");
        assertEquals(1, s.delivered());
        assertEquals(0, s.inFlight());
        assertEquals("200", s.lastStatus());
        assertNull(s.lastError());
        assertEquals(250, s.latencyP50Ms());
        assertEquals(250, s.latencyP99Ms());
        assertEquals(250, s.latencyMaxMs());
        ObjectNode json = s.toJson();
        assertEquals(1, json.get("delivered").asLong());
        assertEquals(250, json.get("latencyMs").get("p90").asLong());
        assertTrue(json.get("pausedSince").isNull());
    }

    @Test
    void unavailableThenOkIsRetriedAndDeliveredOnce() {
        dispatcher.open(target("s", policy(3, null), false, 16, 100));
        dispatcher.offer("s", event("e1"));
        sender.call(0).answer(UNAVAILABLE);

        SinkStatus s = status("s");
        assertEquals(1, s.retried());
        assertEquals(1, s.inFlight(), "a waiting retry keeps its slot");
        assertEquals(1, s.awaitingRetry());
        assertEquals("503", s.lastStatus());
        assertTrue(s.lastError().startsWith("503 on attempt 1; retry in"), s.lastError());
        Instant due = scheduler.pending().get(0);
        assertTrue(!due.isBefore(T0.plus(BACKOFF.dividedBy(2))) && !due.isAfter(T0.plus(BACKOFF)),
                "equal jitter of the first retry: " + due);

        scheduler.advance(BACKOFF);
        assertEquals(List.of("e1", "e1"), sender.sentIds());
        sender.call(1).answer(OK);
        scheduler.advance(Duration.ofHours(1));

        s = status("s");
        assertEquals(2, sender.calls().size(), "nothing after the success");
        assertEquals(2, s.attempts());
        assertEquals(1, s.delivered());
        assertEquals(1, s.retried());
        assertEquals(0, s.failed() + s.deadLettered() + s.dropped());
        assertEquals(BACKOFF.toMillis(), s.latencyP50Ms(), BACKOFF.toMillis() / 100.0,
                "latency from the first attempt to the 2xx (answered at T0 + 1 s), within the histogram's 1%");
    }

    @Test
    void retryAfterOfA503IsHonoured() {
        dispatcher.open(target("s", policy(3, null), false, 16, 100));
        dispatcher.offer("s", event("e1"));
        sender.call(0).answer(AttemptResult.status(503, "120"));

        assertEquals(List.of(T0.plusSeconds(120)), scheduler.pending());
        scheduler.advance(Duration.ofSeconds(120).minusMillis(1));
        assertEquals(1, sender.calls().size());
        scheduler.advance(Duration.ofMillis(1));
        assertEquals(2, sender.calls().size());
        assertEquals(T0.plusSeconds(120), status("s").lastAttemptAt());
    }

    @Test
    void badRequestIsDeadLetteredOnceWithTheWeftExtensions() {
        dispatcher.open(target("s", policy(3, "orders.dead"), false, 16, 100));
        dispatcher.offer("s", event("e1"));
        sender.call(0).answer(AttemptResult.status(400));
        scheduler.advance(Duration.ofHours(1));

        assertEquals(1, sender.calls().size(), "a 400 is not retried");
        assertEquals(1, deadLetters.size());
        Published p = deadLetters.get(0);
        assertEquals("orders.dead", p.topic());
        assertEquals("e1", p.event().getId());
        assertEquals("s", p.event().getExtension(DeadLetters.SUBSCRIPTION));
        assertEquals("400", p.event().getExtension(DeadLetters.STATUS));
        assertEquals(1, p.event().getExtension(DeadLetters.ATTEMPTS));
        assertEquals("not-retriable", p.event().getExtension(DeadLetters.REASON));
        SinkStatus s = status("s");
        assertEquals(1, s.deadLettered());
        assertEquals(0, s.failed());
        assertEquals(0, s.inFlight());
    }

    @Test
    void theLastRetryDeadLettersWithItsAttempts() {
        dispatcher.open(target("s", policy(2, "orders.dead"), false, 16, 100));
        dispatcher.offer("s", event("e1"));
        sender.call(0).answer(UNAVAILABLE);
        scheduler.advance(Duration.ofMinutes(1));
        sender.call(1).answer(AttemptResult.TIMEOUT);
        scheduler.advance(Duration.ofMinutes(1));
        sender.call(2).answer(UNAVAILABLE);

        assertEquals(3, sender.calls().size());
        assertEquals(1, deadLetters.size());
        CloudEvent dead = deadLetters.get(0).event();
        assertEquals(3, dead.getExtension(DeadLetters.ATTEMPTS));
        assertEquals("503", dead.getExtension(DeadLetters.STATUS));
        assertEquals("retries-exhausted", dead.getExtension(DeadLetters.REASON));
        SinkStatus s = status("s");
        assertEquals(2, s.retried());
        assertEquals(1, s.deadLettered());
        assertTrue(scheduler.pending().isEmpty());
    }

    @Test
    void badRequestWithoutADeadLetterTopicFails() {
        dispatcher.open(target("s", policy(3, null), false, 16, 100));
        dispatcher.offer("s", event("e1"));
        sender.call(0).answer(AttemptResult.status(400));

        SinkStatus s = status("s");
        assertEquals(1, s.failed());
        assertEquals(0, s.deadLettered());
        assertTrue(deadLetters.isEmpty());
        assertTrue(s.lastError().contains("no deadLetterTopic"), s.lastError());
        assertEquals(T0, s.lastErrorAt());
    }

    @Test
    void aFailingDeadLetterPublishCountsAsFailed() {
        SinkDispatcher d = new SinkDispatcher(sender, scheduler, scheduler, new SplittableRandom(42), (topic, e) -> {
            throw new IllegalStateException("no route");
        });
        d.open(target("s", policy(3, "orders.dead"), false, 16, 100));
        d.offer("s", event("e1"));
        sender.call(0).answer(AttemptResult.status(422));

        SinkStatus s = d.status("s").orElseThrow();
        assertEquals(1, s.failed());
        assertEquals(0, s.deadLettered());
        assertTrue(s.lastError().contains("no route"), s.lastError());
    }

    // ------------------------------------------------------------ pause

    @Test
    void goneSinkPausesRefusesOffersAndResumes() {
        dispatcher.open(target("s", policy(3, null), false, 1, 100));
        dispatcher.offer("s", event("e1"));
        dispatcher.offer("s", event("e2"));
        scheduler.advance(Duration.ofSeconds(5));
        sender.call(0).answer(AttemptResult.status(410));

        SinkStatus s = status("s");
        assertTrue(s.paused());
        assertEquals(T0.plusSeconds(5), s.pausedSince());
        assertEquals("410", s.lastStatus());
        assertEquals(2, s.queued(), "the 410's event waits at the head, with the queue");
        assertEquals(0, s.inFlight());
        assertEquals("2026-03-01T12:00:05Z", s.toJson().get("pausedSince").asText());
        assertFalse(dispatcher.offer("s", event("e3")));
        assertEquals(1, status("s").dropped());
        scheduler.advance(Duration.ofHours(1));
        assertEquals(1, sender.calls().size(), "nothing is sent while paused");

        assertTrue(dispatcher.resume("s"));
        assertFalse(dispatcher.resume("s"), "not paused any more");
        sender.call(1).answer(OK);
        sender.call(2).answer(OK);
        assertEquals(List.of("e1", "e1", "e2"), sender.sentIds());
        s = status("s");
        assertFalse(s.paused());
        assertNull(s.pausedSince());
        assertEquals(2, s.delivered());
        assertTrue(dispatcher.offer("s", event("e4")));
    }

    @Test
    void aRetryFallingDueWhilePausedWaitsInTheQueue() {
        dispatcher.open(target("s", policy(3, null), false, 2, 100));
        dispatcher.offer("s", event("e1"));
        dispatcher.offer("s", event("e2"));
        sender.call(0).answer(UNAVAILABLE);
        sender.call(1).answer(AttemptResult.status(410));
        scheduler.advance(Duration.ofMinutes(1));

        assertEquals(2, sender.calls().size());
        SinkStatus s = status("s");
        assertEquals(2, s.queued());
        assertEquals(0, s.inFlight());
        assertEquals(0, s.awaitingRetry());
        dispatcher.resume("s");
        assertEquals(4, sender.calls().size());
    }

    // ------------------------------------------------------------ bounds

    @Test
    void concurrencyBoundsAttemptsAndWaitingRetries() {
        dispatcher.open(target("s", policy(3, null), false, 2, 100));
        for (int i = 1; i <= 5; i++) {
            assertTrue(dispatcher.offer("s", event("e" + i)));
        }
        assertEquals(2, sender.calls().size());
        assertEquals(3, status("s").queued());

        sender.call(0).answer(UNAVAILABLE);
        sender.call(1).answer(UNAVAILABLE);
        assertEquals(2, sender.calls().size(), "the waiting retries hold both slots");
        SinkStatus s = status("s");
        assertEquals(2, s.inFlight());
        assertEquals(2, s.awaitingRetry());
        assertEquals(3, s.queued());

        scheduler.advance(BACKOFF);
        assertEquals(4, sender.calls().size());
        assertEquals(List.of("e1", "e2"), sender.sentIds().subList(2, 4).stream().sorted().toList(),
                "the two retries (in the order of their jittered instants), before any queued event");
        int maxInFlight = 0;
        while (!sender.pendingCalls().isEmpty()) {
            sender.pendingCalls().get(0).answer(OK);
            maxInFlight = Math.max(maxInFlight, status("s").inFlight());
        }
        assertEquals(5, status("s").delivered());
        assertEquals(2, sender.maxPending());
        assertTrue(maxInFlight <= 2, "in flight: " + maxInFlight);
    }

    @Test
    void orderedDeliversStrictlyInOrderAcrossARetry() {
        dispatcher.open(target("s", policy(3, null), true, 16, 100));
        dispatcher.offer("s", event("e1"));
        dispatcher.offer("s", event("e2"));
        dispatcher.offer("s", event("e3"));
        assertEquals(1, sender.calls().size(), "one at a time");

        sender.call(0).answer(UNAVAILABLE);
        assertEquals(1, sender.calls().size(), "e2 waits for e1's retry");
        scheduler.advance(BACKOFF);
        sender.call(1).answer(OK);
        sender.call(2).answer(AttemptResult.status(400));
        sender.call(3).answer(OK);

        assertEquals(List.of("e1", "e1", "e2", "e3"), sender.sentIds());
        assertEquals(1, sender.maxPending());
        SinkStatus s = status("s");
        assertEquals(2, s.delivered());
        assertEquals(1, s.failed());
    }

    @Test
    void aFullQueueDropsAndCounts() {
        dispatcher.open(target("s", policy(3, null), false, 1, 3));
        for (int i = 1; i <= 4; i++) {
            assertTrue(dispatcher.offer("s", event("e" + i)), "1 in flight, 3 queued");
        }
        assertFalse(dispatcher.offer("s", event("e5")));
        assertFalse(dispatcher.offer("s", event("e6")));

        SinkStatus s = status("s");
        assertEquals(2, s.dropped());
        assertEquals(3, s.queued());
        assertEquals(1, s.inFlight());
        assertFalse(dispatcher.offer("nobody", event("e7")));
        assertEquals(1, dispatcher.droppedUnknown());
    }

    @Test
    void aDeadSinkDoesNotDelayAnotherSubscription() {
        URI deadSink = URI.create("http://dead.example/");
        dispatcher.open(new SinkTarget("dead", deadSink, HttpBinding.defaults(), List.of(), policy(3, null),
                Transform.original(), false, 16, 1000));
        dispatcher.open(target("live", policy(3, null), false, 16, 1000));
        int accepted = 0;
        for (int i = 0; i < 2000; i++) {
            accepted += dispatcher.offer("dead", event("d" + i)) ? 1 : 0;
        }
        for (int i = 0; i < 100; i++) {
            assertTrue(dispatcher.offer("live", event("l" + i)));
            for (Call c : sender.pendingCalls()) {
                if (c.sink.equals(SINK)) {
                    c.answer(OK);
                }
            }
        }

        SinkStatus live = status("live");
        assertEquals(100, live.delivered());
        assertEquals(0, live.latencyMaxMs());
        assertEquals(0, live.queued() + live.inFlight() + live.dropped());
        SinkStatus dead = status("dead");
        assertEquals(1016, accepted, "16 in flight and 1000 queued");
        assertEquals(984, dead.dropped());
        assertEquals(16, dead.inFlight());
        assertEquals(1000, dead.queued());
        assertEquals(List.of("dead", "live"), List.copyOf(dispatcher.statuses().keySet()));
    }

    // ------------------------------------------------------------ lifecycle

    @Test
    void closeDropsWhatIsQueuedAndInFlight() {
        dispatcher.open(target("s", policy(3, null), false, 2, 100));
        for (int i = 1; i <= 5; i++) {
            dispatcher.offer("s", event("e" + i));
        }
        sender.call(0).answer(UNAVAILABLE);
        assertEquals(1, scheduler.pending().size());

        dispatcher.close();
        SinkStatus s = status("s");
        assertEquals(5, s.dropped(), "3 queued, 1 on the wire, 1 waiting for a retry");
        assertEquals(0, s.queued() + s.inFlight() + s.awaitingRetry());
        assertTrue(scheduler.pending().isEmpty(), "the retry is called off");

        sender.call(1).answer(OK);
        assertEquals(0, status("s").delivered(), "a late answer changes nothing");
        assertFalse(dispatcher.offer("s", event("e6")));
        assertEquals(6, status("s").dropped());
        assertThrows(IllegalStateException.class, () -> dispatcher.open(target("t", policy(3, null), false, 1, 1)));
        assertEquals(2, sender.calls().size());
    }

    @Test
    void closingOneSubscriptionReportsItsFinalStatus() {
        dispatcher.open(target("s", policy(3, null), false, 1, 100));
        dispatcher.open(target("t", policy(3, null), false, 1, 100));
        dispatcher.offer("s", event("e1"));
        dispatcher.offer("s", event("e2"));

        SinkStatus last = dispatcher.close("s").orElseThrow();
        assertEquals(2, last.dropped());
        assertTrue(dispatcher.status("s").isEmpty());
        assertTrue(dispatcher.close("s").isEmpty());
        assertFalse(dispatcher.offer("s", event("e3")));
        assertTrue(dispatcher.offer("t", event("e4")));
        assertThrows(IllegalStateException.class, () -> dispatcher.open(target("t", policy(3, null), false, 1, 1)));
    }

    @Test
    void updateChangesConcurrencyAndTheTarget() {
        dispatcher.open(target("s", policy(3, null), false, 1, 100));
        for (int i = 1; i <= 4; i++) {
            dispatcher.offer("s", event("e" + i));
        }
        assertEquals(1, sender.calls().size());
        URI moved = URI.create("http://moved.example/hook");
        dispatcher.update(new SinkTarget("s", moved, HttpBinding.defaults(),
                List.of(new HttpBinding.Header("Authorization", "Bearer t")), policy(3, null), Transform.original(),
                false, 3, 100));

        assertEquals(3, sender.calls().size(), "two more slots start at once");
        assertEquals(moved, sender.last().sink);
        assertEquals(List.of(new HttpBinding.Header("Authorization", "Bearer t")), sender.last().extraHeaders);
        assertThrows(java.util.NoSuchElementException.class,
                () -> dispatcher.update(target("nobody", policy(3, null), false, 1, 1)));
    }

    @Test
    void aTargetRefusesHeadersTheClientOrTheBindingOwns() {
        for (String name : List.of("Host", "Connection", "Content-Length", "Content-Type", "ce-id")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new SinkTarget("s", SINK,
                    HttpBinding.defaults(), List.of(new HttpBinding.Header(name, "x")), policy(3, null),
                    Transform.original(), false, 1, 1));
            assertTrue(e.getMessage().contains(name), e.getMessage());
        }
        HttpBinding withAuth = new HttpBinding("POST", List.of(new HttpBinding.Header("Authorization", "a")),
                HttpBinding.ContentMode.BINARY);
        assertThrows(IllegalArgumentException.class, () -> new SinkTarget("s", SINK, withAuth,
                List.of(new HttpBinding.Header("authorization", "b")), policy(3, null), Transform.original(), false,
                1, 1));
        assertThrows(IllegalArgumentException.class, () -> SinkTarget.of("s", URI.create("ftp://x/")));
        assertThrows(IllegalArgumentException.class, () -> SinkTarget.of("s", URI.create("/relative")));
    }

    // ------------------------------------------------------------ helpers, shared with SinkDispatcherCompletionTest

    private SinkStatus status(String id) {
        return dispatcher.status(id).orElseThrow();
    }

    static DeliveryPolicy policy(int retry, String deadLetterTopic) {
        return new DeliveryPolicy(retry, BackoffPolicy.EXPONENTIAL, BACKOFF, Duration.ofSeconds(60),
                Duration.ofSeconds(10), deadLetterTopic, Duration.ofMinutes(5));
    }

    static SinkTarget target(String id, DeliveryPolicy policy, boolean ordered, int concurrency,
            int capacity) {
        return new SinkTarget(id, SINK, HttpBinding.defaults(), List.of(), policy, Transform.original(), ordered,
                concurrency, capacity);
    }

    static CloudEvent event(String id) {
        return TestEvents.base().withId(id).withDataContentType("application/json")
                .withData(("{\"n\": \"" + id + "\"}").getBytes(StandardCharsets.UTF_8)).build();
    }
}
