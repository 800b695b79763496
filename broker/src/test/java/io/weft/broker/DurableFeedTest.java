package io.weft.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class DurableFeedTest {
    /** The calls the feed made, each with its answer to complete by hand. */
    private final List<JsonNode> requests = new ArrayList<>();
    private final List<CompletableFuture<Streams.Response>> answers = new ArrayList<>();
    /** Tasks the feed scheduled (retries), run by hand. */
    private final List<Runnable> scheduled = new ArrayList<>();
    /** Their delays, in milliseconds. */
    private final List<Long> delays = new ArrayList<>();
    private final DurableFeed feed = new DurableFeed("r1", "_weft_rule_r1", "rule", (stream, req) -> {
        assertEquals("_weft_rule_r1", stream);
        assertEquals("rule", req.path("consumer").asText());
        requests.add(req);
        CompletableFuture<Streams.Response> f = new CompletableFuture<>();
        answers.add(f);
        return f;
    }, retriesInto(scheduled, delays));

    private static Streams.Response ok() {
        return new Streams.Response(200, "{}".getBytes(StandardCharsets.UTF_8));
    }

    private String op(int i) {
        return requests.get(i).path("op").asText();
    }

    private Set<Long> seqs(int i) {
        Set<Long> out = new TreeSet<>();
        requests.get(i).path("seqs").forEach(n -> out.add(n.asLong()));
        return out;
    }

    @Test
    void acksFinishedWhileOneIsOutGoInTheNextCall() {
        for (long seq = 1; seq <= 4; seq++) {
            assertTrue(feed.take(seq));
        }
        feed.finished(1);
        assertEquals(1, requests.size());
        assertEquals("consumer.ack", op(0));
        assertEquals(Set.of(1L), seqs(0));

        feed.finished(3);
        feed.finished(2);
        assertEquals(1, requests.size(), "one ack call out at a time");
        answers.get(0).complete(ok());
        assertEquals(2, requests.size());
        assertEquals(Set.of(2L, 3L), seqs(1));

        answers.get(1).completeExceptionally(new IllegalStateException("leader lost"));
        feed.finished(4);
        assertEquals(2, requests.size(), "the failed batch goes first: 4 waits");
        scheduled.remove(0).run();
        assertEquals(Set.of(2L, 3L), seqs(2), "a call the stream did not take is tried again");
        answers.get(2).complete(ok());
        assertEquals(Set.of(4L), seqs(3));
        answers.get(3).complete(ok());
        assertEquals(4, requests.size(), "nothing left: no call");
        assertEquals(0, feed.held());
    }

    @Test
    void aPushOfAnEventAlreadyHeldIsIgnored() {
        assertTrue(feed.take(7));
        assertFalse(feed.take(7), "pushed again after the ack wait while still queued here");
        feed.finished(7);
        assertTrue(feed.take(7), "finished, so a later push is a real redelivery");
    }

    @Test
    void takingOverNaksEveryPendingEventUntilTheStreamTakesIt() {
        CompletableFuture<Void> done = feed.takeOver();
        assertEquals("consumer.nak", op(0));
        assertEquals(Set.of(), seqs(0), "no sequences: all of them");
        // the stream has no leader (it died with the runner): not taken, asked again later
        answers.get(0).complete(new Streams.Response(404, "{}".getBytes(StandardCharsets.UTF_8)));
        assertFalse(done.isDone());
        assertEquals(1, scheduled.size());
        scheduled.remove(0).run();
        assertEquals("consumer.nak", op(1));
        answers.get(1).completeExceptionally(new IllegalStateException("timed out"));
        assertFalse(done.isDone());
        scheduled.remove(0).run();
        answers.get(2).complete(ok());
        assertTrue(done.isDone() && !done.isCompletedExceptionally());
        assertTrue(scheduled.isEmpty(), "taken: no more tries");
    }

    @Test
    void aTakeoverEndsWhenTheRuleStops() {
        CompletableFuture<Void> done = feed.takeOver();
        answers.get(0).complete(new Streams.Response(404, "{}".getBytes(StandardCharsets.UTF_8)));
        feed.stopping();
        scheduled.remove(0).run();
        assertTrue(done.isDone());
        assertEquals(1, requests.size(), "no nak after the stop began");
    }

    @Test
    void anAckThatIsNeverTakenIsLeftToTheAckWaitAfterItsTries() {
        feed.take(5);
        feed.finished(5);
        for (int i = 0; i < DurableFeed.ACK_TRIES - 1; i++) {
            answers.get(i).complete(new Streams.Response(503, "{}".getBytes(StandardCharsets.UTF_8)));
            scheduled.remove(0).run();
        }
        answers.get(DurableFeed.ACK_TRIES - 1).complete(new Streams.Response(503, "{}".getBytes(StandardCharsets.UTF_8)));
        assertTrue(scheduled.isEmpty(), "given up");
        feed.take(6);
        feed.finished(6);
        assertEquals(Set.of(6L), seqs(DurableFeed.ACK_TRIES), "later acks still go");
    }

    /** A scheduler whose tasks are collected, to be run by the test. */
    private static java.util.concurrent.ScheduledExecutorService retriesInto(List<Runnable> tasks, List<Long> delays) {
        return new java.util.concurrent.ScheduledThreadPoolExecutor(1) {
            @Override
            public java.util.concurrent.ScheduledFuture<?> schedule(Runnable command, long delay,
                                                                    java.util.concurrent.TimeUnit unit) {
                tasks.add(command);
                delays.add(unit.toMillis(delay));
                return null;
            }
        };
    }

    @Test
    void anEventAbandonedWhileTheRuleRunsIsGivenBackAtOnce() {
        feed.take(3);
        feed.abandoned(3);
        assertEquals("consumer.nak", op(0));
        assertEquals(Set.of(3L), seqs(0));
        assertEquals(0, feed.held());
        feed.take(4);
        feed.refused(4);
        assertEquals(1, requests.size(), "a refused event is only forgotten");
        assertEquals(0, feed.held());
    }

    @Test
    void stoppingGivesBackWhatIsHeldInOneCall() {
        for (long seq = 10; seq <= 13; seq++) {
            feed.take(seq);
        }
        feed.finished(10);
        feed.stopping();
        feed.abandoned(11); // the dispatcher's close abandons what it had queued
        assertFalse(feed.take(14), "nothing is taken once stopping");
        feed.stop();
        assertEquals(List.of("consumer.ack", "consumer.nak"), List.of(op(0), op(1)));
        assertEquals(Set.of(11L, 12L, 13L), seqs(1));
        assertEquals(0, feed.held());
    }

    private static Streams.Response out(String json) {
        return new Streams.Response(200, json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aSweepTakesBackWhatWasOutLongAndNeverArrived() {
        feed.take(1);
        feed.take(2);
        feed.finished(2); // its ack is out, not confirmed
        assertEquals("consumer.ack", op(0));
        feed.startSweeping();
        assertEquals(List.of(DurableFeed.SWEEP_GRACE_MILLIS), delays);

        scheduled.remove(0).run();
        assertEquals("consumer.out", op(1));
        assertEquals(DurableFeed.SWEEP_GRACE_MILLIS, requests.get(1).path("minAgeMillis").asLong());
        feed.take(5); // pushed while the sweep asked: held by the time the answer is read
        answers.get(1).complete(out("{\"seqs\":[1,2,3,4,5],\"ackPending\":5}"));
        assertEquals("consumer.nak", op(2));
        assertEquals(Set.of(3L, 4L), seqs(2), "neither held (1, 5) nor finished (2): lost on the way");
        assertEquals(2, feed.swept());
        assertEquals(1, feed.sweeps());
        assertEquals(DurableFeed.SWEEP_BUSY_MILLIS, delays.get(1), "events are out: the next sweep soon");

        answers.get(0).complete(ok()); // 2's ack lands
        scheduled.remove(0).run();
        answers.get(3).complete(out("{\"seqs\":[2],\"ackPending\":3}"));
        assertEquals("consumer.nak", op(4), "an ack that landed after the answer was made: the nak is a no-op");
        assertEquals(Set.of(2L), seqs(4));

        feed.finished(1);
        feed.finished(5);
        scheduled.remove(0).run();
        answers.get(answers.size() - 1).complete(out("{\"seqs\":[],\"ackPending\":0}"));
        assertEquals(DurableFeed.SWEEP_IDLE_MILLIS, delays.get(delays.size() - 1), "nothing out: a sweep per half minute");
    }

    @Test
    void aFailedSweepIsTriedAgainAndNoneRunsOnceStopping() {
        feed.startSweeping();
        scheduled.remove(0).run();
        answers.get(0).complete(new Streams.Response(504, "{}".getBytes(StandardCharsets.UTF_8)));
        assertEquals(1, requests.size(), "nothing naked on a failed sweep");
        assertEquals(0, feed.sweeps());
        assertEquals(DurableFeed.SWEEP_BUSY_MILLIS, delays.get(1));
        feed.stopping();
        scheduled.remove(0).run();
        assertEquals(1, requests.size(), "stopped: no sweep");
        assertTrue(scheduled.isEmpty());
    }

    /** An event that never arrives however often it is taken back (unreadable here) is not cycled forever. */
    @Test
    void anEventThatNeverArrivesIsTakenBackABoundedNumberOfTimes() {
        feed.startSweeping();
        int naks = 0;
        for (int i = 0; i < DurableFeed.MAX_SWEEPS_PER_EVENT + 3; i++) {
            scheduled.remove(0).run();
            int before = requests.size();
            answers.get(answers.size() - 1).complete(out("{\"seqs\":[9],\"ackPending\":1}"));
            if (requests.size() > before) {
                assertEquals("consumer.nak", op(requests.size() - 1));
                assertEquals(Set.of(9L), seqs(requests.size() - 1));
                naks++;
            }
        }
        assertEquals(DurableFeed.MAX_SWEEPS_PER_EVENT, naks, "then left to the ack wait");
        assertEquals(DurableFeed.SWEEP_BUSY_MILLIS, delays.get(delays.size() - 1), "sweeps go on for other events");

        scheduled.remove(0).run(); // 9 was acked or redelivered meanwhile: forgotten, and counts afresh later
        answers.get(answers.size() - 1).complete(out("{\"seqs\":[],\"ackPending\":1}"));
        scheduled.remove(0).run();
        int before = requests.size();
        answers.get(answers.size() - 1).complete(out("{\"seqs\":[9],\"ackPending\":1}"));
        assertEquals(before + 1, requests.size(), "taken back again");
    }
}
