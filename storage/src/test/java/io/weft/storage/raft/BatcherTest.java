package io.weft.storage.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.storage.Publish;
import io.weft.storage.PublishAck;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The batcher without Ratis: entries are submitted in offer order, acks and refusals reach each callback once. */
class BatcherTest {
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void stop() {
        timer.shutdownNow();
    }

    private static Publish event(int i) {
        return new Publish("/test", "id-" + i, "orders.created", ("e" + i).getBytes(StandardCharsets.UTF_8));
    }

    private static List<String> ids(byte[] entry) {
        Codec.In in = new Codec.In(entry, 1);
        Codec.entryTime(in);
        List<String> ids = new ArrayList<>();
        for (Publish p : Codec.publishes(in)) {
            ids.add(p.id());
        }
        return ids;
    }

    /** Collects acks and failures by event index. */
    private static final class Results {
        final List<String> outcomes = new CopyOnWriteArrayList<>();
        final CountDownLatch done;

        Results(int n) {
            done = new CountDownLatch(n);
        }

        Batcher.Callback of(int i) {
            return new Batcher.Callback() {
                @Override
                public void acked(PublishAck ack) {
                    outcomes.add(i + "=" + ack.seq());
                    done.countDown();
                }

                @Override
                public void failed(String error) {
                    outcomes.add(i + "!" + error);
                    done.countDown();
                }

                @Override
                public void unknown(String error) {
                    outcomes.add(i + "?" + error);
                    done.countDown();
                }
            };
        }
    }

    /**
     * A publisher's thread submits entry 1 and is still inside the submit when a second thread takes
     * entry 2: entry 2 must not overtake entry 1 (it once did, and one producer's events were stored
     * out of order).
     */
    @Test
    void aBatchTakenWhileAnotherIsBeingSubmittedWaitsItsTurn() throws Exception {
        List<List<String>> submitted = new CopyOnWriteArrayList<>();
        CountDownLatch firstInside = new CountDownLatch(1);
        CountDownLatch releaseFirst = new CountDownLatch(1);
        List<CompletableFuture<byte[]>> replies = new CopyOnWriteArrayList<>();
        Batcher b = new Batcher("orders", (stream, entry) -> {
            submitted.add(ids(entry));
            if (submitted.size() == 1) {
                firstInside.countDown();
                try {
                    assertTrue(releaseFirst.await(30, TimeUnit.SECONDS));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }
            CompletableFuture<byte[]> f = new CompletableFuture<>();
            replies.add(f);
            return f;
        }, timer, new StreamHost.Settings(100, 1 << 20, 8, 1000, 1000, 1000), (n, w, c) -> { });
        Results r = new Results(2);

        Thread publisher = new Thread(() -> b.offer(event(0), r.of(0)));
        publisher.start();
        assertTrue(firstInside.await(30, TimeUnit.SECONDS));
        b.offer(event(1), r.of(1)); // one entry in flight: this one goes at once, but must wait its turn
        assertEquals(1, submitted.size(), "entry 2 overtook entry 1");
        releaseFirst.countDown();
        publisher.join(30_000);
        assertEquals(List.of(List.of("id-0"), List.of("id-1")), submitted);

        replies.get(1).complete(Codec.publishReply(List.of(new PublishAck(2, false))));
        replies.get(0).complete(Codec.publishReply(List.of(new PublishAck(1, false))));
        assertTrue(r.done.await(30, TimeUnit.SECONDS));
        assertEquals(List.of("1=2", "0=1"), r.outcomes);
    }

    @Test
    void eventsGatherWhileTwoEntriesAreInFlightAndGoInOrder() throws Exception {
        AtomicInteger entries = new AtomicInteger();
        List<Integer> sizes = new CopyOnWriteArrayList<>();
        List<List<String>> submitted = new CopyOnWriteArrayList<>();
        List<CompletableFuture<byte[]>> replies = new CopyOnWriteArrayList<>();
        Batcher b = new Batcher("orders", (stream, entry) -> {
            submitted.add(ids(entry));
            CompletableFuture<byte[]> f = new CompletableFuture<>();
            replies.add(f);
            return f;
        }, timer, new StreamHost.Settings(3, 1 << 20, 2, 60_000_000L, 1000, 1000), (n, wait, commit) -> {
            entries.incrementAndGet();
            sizes.add(n);
            assertTrue(wait >= 0 && commit >= 0, "times are measured, not negative");
        });
        Results r = new Results(7);
        for (int i = 0; i < 7; i++) {
            b.offer(event(i), r.of(i));
        }
        // two single-event entries go at once; the rest wait for a slot (window of 2)
        assertEquals(List.of(List.of("id-0"), List.of("id-1")), submitted);
        replies.get(0).complete(Codec.publishReply(List.of(new PublishAck(1, false))));
        assertEquals(List.of("id-2", "id-3", "id-4"), submitted.get(2));
        replies.get(1).complete(Codec.publishReply(List.of(new PublishAck(2, false))));
        assertEquals(List.of("id-5", "id-6"), submitted.get(3));
        replies.get(2).complete(Codec.publishReply(List.of(
                new PublishAck(3, false), new PublishAck(4, false), new PublishAck(5, false))));
        replies.get(3).complete(Codec.errorReply("the stream's leader moved: retry"));
        assertTrue(r.done.await(30, TimeUnit.SECONDS));
        assertEquals(List.of("0=1", "1=2", "2=3", "3=4", "4=5",
                "5!the stream's leader moved: retry", "6!the stream's leader moved: retry"), r.outcomes);
        assertEquals(3, entries.get(), "one afterEntry per acked entry, none for the failed one");
        assertEquals(List.of(1, 1, 3), sizes, "each entry reports its event count");
    }

    @Test
    void refusesPastTheQueueBoundAndAfterLeadershipIsLost() throws Exception {
        List<CompletableFuture<byte[]>> replies = new CopyOnWriteArrayList<>();
        Batcher b = new Batcher("orders", (stream, entry) -> {
            CompletableFuture<byte[]> f = new CompletableFuture<>();
            replies.add(f);
            return f;
        }, timer, new StreamHost.Settings(10, 1 << 20, 1, 60_000_000L, 2, 1000), (n, w, c) -> { });
        Results r = new Results(4); // event 0 stays in flight
        b.offer(event(0), r.of(0));
        b.offer(event(1), r.of(1)); // queued
        b.offer(event(2), r.of(2)); // queued: the bound is 2
        b.offer(event(3), r.of(3)); // refused
        assertEquals(List.of("3!stream orders is busy: 2 events wait for replication; retry later"), r.outcomes);
        b.failAll("this node no longer leads stream orders: retry");
        b.offer(event(4), r.of(4));
        assertTrue(r.done.await(30, TimeUnit.SECONDS));
        assertEquals(List.of("3!stream orders is busy: 2 events wait for replication; retry later",
                "1!this node no longer leads stream orders: retry",
                "2!this node no longer leads stream orders: retry",
                "4!this node no longer leads stream orders: retry"), r.outcomes);
        assertEquals(1, replies.size());
    }

    @Test
    void anEntryThatRaftFailsIsUnknownNotFailed() throws Exception {
        // Ratis failed the submit (leadership lost, timeout): the entry may still commit under the next leader
        List<CompletableFuture<byte[]>> replies = new CopyOnWriteArrayList<>();
        Batcher b = new Batcher("orders", (stream, entry) -> {
            CompletableFuture<byte[]> f = new CompletableFuture<>();
            replies.add(f);
            return f;
        }, timer, new StreamHost.Settings(10, 1 << 20, 1, 60_000_000L, 10, 1000), (n, w, c) -> { });
        Results r = new Results(1);
        b.offer(event(0), r.of(0));
        replies.get(0).completeExceptionally(new java.io.IOException("leader changed"));
        assertTrue(r.done.await(30, TimeUnit.SECONDS));
        assertEquals(1, r.outcomes.size());
        assertTrue(r.outcomes.get(0).startsWith("0?"), r.outcomes.toString());
    }
}
