package io.weft.storage.raft;

import io.weft.storage.Publish;
import io.weft.storage.PublishAck;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;

/**
 * Packs the publishes of one stream into Raft entries on its leader (group commit).
 *
 * <p>An entry is sent at once while fewer than two are in flight (so a lone event does not wait);
 * otherwise events gather until {@code maxBatchEvents}/{@code maxBatchBytes} or for at most
 * {@code lingerMicros}, and at most {@code maxInFlight} entries are in flight: a few large entries
 * cost Ratis far less CPU than many small ones, and a modest window keeps latency low. Past
 * {@code maxQueuedEvents} waiting events a publish is refused ("busy") rather than queued, so
 * memory stays bounded and the producer is told.
 *
 * <p>Entries reach Ratis in the order their events were offered: batches are taken under the
 * monitor but submitted outside it (a submit may complete at once, on this thread), so taken
 * batches wait in {@code ready} and one thread at a time drains it. Without that, a publisher's
 * thread and a Ratis completion thread could each take a batch and submit them the other way round,
 * and one producer's events would be stored out of order.
 */
public final class Batcher {
    /** Told once per publish. Runs on a Ratis or timer thread: return quickly. */
    public interface Callback {
        void acked(PublishAck ack);

        /** Not stored: refused before it reached Raft. */
        void failed(String error);

        /**
         * Outcome unknown: its entry went to Raft and failed there (leadership lost, timeout); the
         * entry may still commit under the next leader. By default reported as a failure.
         */
        default void unknown(String error) {
            failed(error);
        }
    }

    /** Told once per committed entry, after its callbacks, on the same thread. */
    public interface EntryListener {
        /**
         * @param events      publishes in the entry
         * @param waitNanos   how long its oldest publish waited in the batcher before the entry was submitted
         * @param commitNanos from submitting the entry to Raft until it was committed and applied here
         */
        void committed(int events, long waitNanos, long commitNanos);
    }

    private record Pending(Publish publish, Callback callback, long offeredNanos) {
    }

    private final String stream;
    private final BiFunction<String, byte[], CompletableFuture<byte[]>> submit;
    private final ScheduledExecutorService timer;
    private final StreamHost.Settings settings;
    private final EntryListener afterEntry;
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    private final ArrayDeque<List<Pending>> ready = new ArrayDeque<>();
    private boolean draining;
    private long queuedBytes;
    private int inFlight;
    private boolean timerArmed;
    private boolean closed;

    /**
     * @param afterEntry told after the callbacks of one committed entry were all told, on the same
     *                   thread, so a caller can send the acks of one entry together (and time it)
     */
    Batcher(String stream, BiFunction<String, byte[], CompletableFuture<byte[]>> submit,
            ScheduledExecutorService timer, StreamHost.Settings settings, EntryListener afterEntry) {
        this.stream = stream;
        this.submit = submit;
        this.timer = timer;
        this.settings = settings;
        this.afterEntry = afterEntry;
    }

    /** Queues {@code p}; {@code cb} is told when its entry commits or fails. */
    public void offer(Publish p, Callback cb) {
        String refused = null;
        synchronized (this) {
            if (closed) {
                refused = "this node no longer leads stream " + stream + ": retry";
            } else if (queue.size() >= settings.maxQueuedEvents()) {
                refused = "stream " + stream + " is busy: " + queue.size() + " events wait for replication; retry later";
            } else {
                queue.add(new Pending(p, cb, System.nanoTime()));
                queuedBytes += p.event().length;
                takeIfReady(false);
            }
        }
        if (refused != null) {
            cb.failed(refused);
            return;
        }
        drain();
    }

    /** Moves the next batch to {@code ready} if it should go now; arms the linger timer otherwise. Holds the monitor. */
    private void takeIfReady(boolean lingerExpired) {
        if (queue.isEmpty() || inFlight >= settings.maxInFlight()) {
            return;
        }
        boolean full = queue.size() >= settings.maxBatchEvents() || queuedBytes >= settings.maxBatchBytes();
        if (!full && !lingerExpired && inFlight >= 2) {
            if (!timerArmed) {
                timerArmed = true;
                timer.schedule(this::lingerExpired, settings.lingerMicros(), TimeUnit.MICROSECONDS);
            }
            return;
        }
        List<Pending> batch = new ArrayList<>(Math.min(queue.size(), settings.maxBatchEvents()));
        long bytes = 0;
        while (!queue.isEmpty() && batch.size() < settings.maxBatchEvents()
                && (batch.isEmpty() || bytes + queue.peek().publish().event().length <= settings.maxBatchBytes())) {
            Pending next = queue.poll();
            bytes += next.publish().event().length;
            batch.add(next);
        }
        queuedBytes -= bytes;
        inFlight++;
        ready.add(batch);
    }

    private void lingerExpired() {
        synchronized (this) {
            timerArmed = false;
            takeIfReady(true);
        }
        drain();
    }

    /** Submits the taken batches in the order they were taken, unless another thread already is. */
    private void drain() {
        while (true) {
            List<Pending> batch;
            synchronized (this) {
                if (draining || ready.isEmpty()) {
                    return;
                }
                draining = true;
                batch = ready.poll();
            }
            try {
                send(batch);
            } finally {
                synchronized (this) {
                    draining = false;
                }
            }
        }
    }

    private void send(List<Pending> batch) {
        List<Publish> publishes = new ArrayList<>(batch.size());
        for (Pending p : batch) {
            publishes.add(p.publish());
        }
        long submitted = System.nanoTime();
        long waited = submitted - batch.get(0).offeredNanos();
        CompletableFuture<byte[]> f;
        try {
            f = submit.apply(stream, Codec.publish(System.currentTimeMillis(), publishes));
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        f.whenComplete((reply, err) -> {
            if (err != null) {
                for (Pending p : batch) {
                    p.callback().unknown(StreamHost.messageOf(err));
                }
            } else {
                String e = Codec.error(reply);
                if (e != null) {
                    fail(batch, e);
                } else {
                    List<PublishAck> acks = Codec.publishAcks(reply);
                    for (int i = 0; i < batch.size(); i++) {
                        batch.get(i).callback().acked(acks.get(i));
                    }
                    afterEntry.committed(batch.size(), waited, System.nanoTime() - submitted);
                }
            }
            synchronized (this) {
                inFlight--;
                takeIfReady(false);
            }
            drain();
        });
    }

    private static void fail(List<Pending> batch, String error) {
        for (Pending p : batch) {
            p.callback().failed(error);
        }
    }

    /** Fails everything queued and refuses further publishes (leadership lost, deleted, shutdown). */
    void failAll(String error) {
        List<Pending> dropped;
        synchronized (this) {
            closed = true;
            dropped = new ArrayList<>(queue);
            queue.clear();
            queuedBytes = 0;
        }
        fail(dropped, error);
    }
}
