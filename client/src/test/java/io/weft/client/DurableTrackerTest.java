package io.weft.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.weft.protocol.Frames;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The retry and ack bookkeeping of durable publishes, on a fake clock, without a broker. */
class DurableTrackerTest {
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    private long now = 1_000_000 * MS;
    /** Every PUB_DURABLE that left: the first attempts (via publish) and the retries (via the sender). */
    private final List<DurableTracker.Send> sent = new ArrayList<>();
    private boolean senderAccepts = true;

    private DurableTracker tracker(int maxInFlight) {
        // attempt timeout 5 s, overall 30 s, back-off 100 ms doubling to 2 s
        DurableTracker t = new DurableTracker(maxInFlight, 5000 * MS, 30_000 * MS, 100 * MS, 2000 * MS,
                () -> now, Runnable::run, (ref, topic, event) -> {
                    if (senderAccepts) {
                        sent.add(new DurableTracker.Send(ref, topic, event));
                    }
                    return senderAccepts;
                });
        assertTrue(t.reconnected().isEmpty());
        return t;
    }

    private static CloudEvent event(String id) {
        return CloudEventBuilder.v1().withId(id).withSource(URI.create("/test")).withType("t").build();
    }

    private CompletableFuture<PublishAck> publish(DurableTracker t, String id) throws InterruptedException {
        CloudEvent e = event(id);
        return t.publish("orders.eu", e, 0, ref -> sent.add(new DurableTracker.Send(ref, "orders.eu", e)));
    }

    private long lastRef() {
        return sent.get(sent.size() - 1).ref();
    }

    private void advance(long ms) {
        now += ms * MS;
    }

    @Test
    void storedAckCompletesTheFutureAndFreesTheSlot() throws Exception {
        DurableTracker t = tracker(1);
        CompletableFuture<PublishAck> f = publish(t, "a");
        assertEquals(1, t.inFlight());
        assertThrows(MeshException.class, () -> publish(t, "b"), "the in-flight bound holds");
        t.onAck(new Frames.PubAck(lastRef(), Frames.ACK_STORED, 42, "orders"));
        assertEquals(new PublishAck("orders", 42, false), f.getNow(null));
        assertEquals(0, t.inFlight());
        CompletableFuture<PublishAck> g = publish(t, "c");
        t.onAck(new Frames.PubAck(lastRef(), Frames.ACK_DUPLICATE, 7, "orders"));
        assertEquals(new PublishAck("orders", 7, true), g.getNow(null));
    }

    @Test
    void failedAckResendsTheSameEventUnderAFreshRefAfterABackoff() throws Exception {
        DurableTracker t = tracker(10);
        CompletableFuture<PublishAck> f = publish(t, "a");
        long first = lastRef();
        t.onAck(new Frames.PubAck(first, Frames.ACK_FAILED, 0, "no leader"));
        assertEquals(DurableTracker.State.BACKOFF, t.stateOf(first));
        advance(50);
        t.tick();
        assertEquals(1, sent.size(), "not before the back-off is over");
        advance(60);
        t.tick();
        assertEquals(2, sent.size());
        DurableTracker.Send retry = sent.get(1);
        assertTrue(retry.ref() != first);
        assertEquals("a", retry.event().getId());
        assertEquals("orders.eu", retry.topic());
        assertFalse(f.isDone());
        // a late failure of the first attempt does not disturb the second
        t.onAck(new Frames.PubAck(first, Frames.ACK_FAILED, 0, "late"));
        assertEquals(DurableTracker.State.SENT, t.stateOf(retry.ref()));
        t.onAck(new Frames.PubAck(retry.ref(), Frames.ACK_STORED, 3, "orders"));
        assertEquals(3, f.getNow(null).seq());
        assertEquals(0, t.inFlight());
    }

    @Test
    void backoffDoublesUpToTheMaximum() throws Exception {
        DurableTracker t = tracker(10);
        publish(t, "a");
        long[] expectedWaits = {100, 200, 400, 800, 1600, 2000, 2000};
        for (long wait : expectedWaits) {
            int before = sent.size();
            t.onAck(new Frames.PubAck(lastRef(), Frames.ACK_FAILED, 0, "busy"));
            advance(wait - 1);
            t.tick();
            assertEquals(before, sent.size(), "resent before " + wait + " ms");
            advance(1);
            t.tick();
            assertEquals(before + 1, sent.size(), "not resent after " + wait + " ms");
        }
    }

    @Test
    void attemptTimeoutResendsAndALateAckOfTheFirstAttemptStillCounts() throws Exception {
        DurableTracker t = tracker(10);
        CompletableFuture<PublishAck> f = publish(t, "a");
        long first = lastRef();
        advance(4999);
        t.tick();
        assertEquals(DurableTracker.State.SENT, t.stateOf(first));
        advance(1);
        t.tick();
        assertEquals(DurableTracker.State.BACKOFF, t.stateOf(first));
        advance(100);
        t.tick();
        assertEquals(2, sent.size());
        t.onAck(new Frames.PubAck(first, Frames.ACK_STORED, 9, "orders"));
        assertEquals(new PublishAck("orders", 9, false), f.getNow(null));
        // the retry's ack, arriving later, is ignored
        t.onAck(new Frames.PubAck(sent.get(1).ref(), Frames.ACK_DUPLICATE, 9, "orders"));
        assertEquals(0, t.inFlight());
    }

    @Test
    void lostConnectionWaitsAndResendsEverythingOnReconnect() throws Exception {
        DurableTracker t = tracker(10);
        CompletableFuture<PublishAck> a = publish(t, "a");
        CompletableFuture<PublishAck> b = publish(t, "b");
        t.onAck(new Frames.PubAck(sent.get(1).ref(), Frames.ACK_FAILED, 0, "busy")); // b in back-off
        t.connectionLost("connection to x lost");
        advance(10_000);
        t.tick();
        assertEquals(2, sent.size(), "nothing is sent while disconnected, attempt timeouts do not count");
        List<DurableTracker.Send> resend = t.reconnected();
        assertEquals(List.of("a", "b"), resend.stream().map(s -> s.event().getId()).toList());
        assertTrue(resend.get(0).ref() > sent.get(1).ref(), "fresh refs");
        t.onAck(new Frames.PubAck(resend.get(0).ref(), Frames.ACK_STORED, 1, "s"));
        t.onAck(new Frames.PubAck(resend.get(1).ref(), Frames.ACK_DUPLICATE, 2, "s"));
        assertEquals(1, a.getNow(null).seq());
        assertTrue(b.getNow(null).duplicate());
        assertTrue(t.reconnected().isEmpty());
    }

    @Test
    void backoffEndingWhileDisconnectedWaitsForTheConnection() throws Exception {
        DurableTracker t = tracker(10);
        publish(t, "a");
        long first = lastRef();
        t.onAck(new Frames.PubAck(first, Frames.ACK_FAILED, 0, "busy"));
        t.connectionLost("gone");
        advance(500);
        t.tick();
        assertEquals(DurableTracker.State.DISCONNECTED, t.stateOf(first));
        assertEquals(1, t.reconnected().size());
    }

    @Test
    void givesUpAtTheDeadlineWithTheLastReason() throws Exception {
        DurableTracker t = tracker(10);
        CompletableFuture<PublishAck> f = publish(t, "a");
        int attempts = 1;
        while (!f.isDone()) {
            t.onAck(new Frames.PubAck(lastRef(), Frames.ACK_FAILED, 0, "no stream matches orders.eu"));
            advance(2000);
            int before = sent.size();
            t.tick();
            attempts += sent.size() - before;
            assertTrue(attempts < 100);
        }
        ExecutionException e = assertThrows(ExecutionException.class, f::get);
        assertTrue(e.getCause() instanceof MeshException);
        assertFalse(e.getCause() instanceof OutcomeUnknownException, "every attempt was refused for sure");
        String m = e.getCause().getMessage();
        assertTrue(m.contains("failed: not stored"), m);
        assertTrue(m.contains("no stream matches orders.eu"), m);
        assertTrue(m.contains(attempts + " attempts"), m);
        assertTrue(m.contains("this client waits 30 s for an ack"), "the wait is stated: " + m);
        assertEquals(0, t.inFlight());
        publish(t, "b"); // the slot is free again
    }

    @Test
    void anAttemptThatGotNoAnswerMakesTheOutcomeUnknownNotFailed() throws Exception {
        // issue 12: an event stored as seq 1 was reported "not acknowledged after 11 attempts"
        DurableTracker t = tracker(10);
        CompletableFuture<PublishAck> f = publish(t, "a");
        advance(5000);
        t.tick(); // the first attempt timed out: it may have been stored
        while (!f.isDone()) {
            t.onAck(new Frames.PubAck(lastRef(), Frames.ACK_FAILED, 0, "no stream took the event"));
            advance(2000);
            t.tick();
        }
        ExecutionException e = assertThrows(ExecutionException.class, f::get);
        assertTrue(e.getCause() instanceof OutcomeUnknownException, e.getCause().toString());
        String m = e.getCause().getMessage();
        assertTrue(m.contains("outcome unknown"), m);
        assertTrue(m.contains("the stream may have stored it; retrying is safe"), m);
        assertTrue(m.contains("this client waits 30 s for an ack"), m);
    }

    @Test
    void aBrokerThatSaysMaybeStoredMakesTheOutcomeUnknown() throws Exception {
        DurableTracker t = tracker(10);
        CompletableFuture<PublishAck> f = publish(t, "a");
        t.onAck(new Frames.PubAck(lastRef(), Frames.ACK_UNKNOWN, 0, "the link to the stream's leader broke"));
        advance(30_000);
        t.tick();
        ExecutionException e = assertThrows(ExecutionException.class, f::get);
        assertTrue(e.getCause() instanceof OutcomeUnknownException, e.getCause().toString());
        assertTrue(e.getCause().getMessage().contains("the link to the stream's leader broke"), e.getCause().getMessage());
    }

    @Test
    void aConnectionLostWithAnAttemptOutMakesTheOutcomeUnknown() throws Exception {
        DurableTracker t = tracker(10);
        CompletableFuture<PublishAck> f = publish(t, "a");
        t.connectionLost("connection to 127.0.0.1:1 lost");
        advance(30_000);
        t.tick();
        ExecutionException e = assertThrows(ExecutionException.class, f::get);
        assertTrue(e.getCause() instanceof OutcomeUnknownException, e.getCause().toString());
    }

    @Test
    void givesUpAtTheDeadlineWhileDisconnected() throws Exception {
        DurableTracker t = tracker(10);
        CompletableFuture<PublishAck> f = publish(t, "a");
        t.connectionLost("connection to 127.0.0.1:1 lost");
        advance(29_999);
        t.tick();
        assertFalse(f.isDone());
        advance(1);
        t.tick();
        ExecutionException e = assertThrows(ExecutionException.class, f::get);
        assertTrue(e.getCause().getMessage().contains("connection to 127.0.0.1:1 lost"), e.getCause().getMessage());
    }

    @Test
    void aRetryThatCannotBeQueuedBacksOffAgain() throws Exception {
        DurableTracker t = tracker(10);
        publish(t, "a");
        long first = lastRef();
        t.onAck(new Frames.PubAck(first, Frames.ACK_FAILED, 0, "busy"));
        senderAccepts = false;
        advance(100);
        t.tick();
        assertEquals(DurableTracker.State.BACKOFF, t.stateOf(first));
        senderAccepts = true;
        advance(200);
        t.tick();
        assertEquals(2, sent.size());
        assertEquals(DurableTracker.State.SENT, t.stateOf(first));
    }

    @Test
    void aFailingFirstSendForgetsThePublish() throws Exception {
        DurableTracker t = tracker(1);
        assertThrows(IllegalStateException.class, () -> t.publish("x", event("a"), 0, ref -> {
            throw new IllegalStateException("boom");
        }));
        assertEquals(0, t.inFlight());
        publish(t, "b");
    }

    @Test
    void closeFailsEverythingAndRefusesMore() throws Exception {
        DurableTracker t = tracker(10);
        CompletableFuture<PublishAck> f = publish(t, "a");
        t.close(new MeshException("client closed"));
        assertTrue(f.isCompletedExceptionally());
        assertEquals(0, t.inFlight());
        assertTrue(t.awaitIdle(0));
        assertThrows(MeshException.class, () -> publish(t, "b"));
        assertNull(t.stateOf(1));
    }
}
