package io.weft.client;

import io.cloudevents.CloudEvent;
import io.weft.protocol.Frames;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

/**
 * The bookkeeping of durable publishes in flight: which ref belongs to which publish, when an attempt
 * timed out, when to resend, when to give up. It never touches the network itself: the first attempt
 * is sent by the caller of {@link #publish}, retries by the {@link Sender} from {@link #tick} (called
 * periodically by a timer), and after a reconnect by the caller of {@link #reconnected}, which writes
 * the returned frames. The clock and the executor that completes futures are injected, so the logic
 * is testable without a broker or a real clock.
 *
 * <p>Every attempt of one publish resends the same event (same source and id: the stream dedupes it)
 * under a fresh ref. Any attempt's STORED/DUPLICATE ack completes the publish; a FAILED ack counts
 * only for the current attempt. A publish that gives up is reported as failed only when every
 * attempt was refused for sure; when any attempt went out and got no answer, or the broker said
 * the stream may have stored it, it is reported as {@link OutcomeUnknownException}. States: SENT (an attempt is out, waiting for its ack or the attempt
 * timeout), BACKOFF (waiting to resend), DISCONNECTED (waiting for the next connection). Over all of
 * them runs the overall deadline.
 *
 * <p>Thread-safety: state is guarded by {@code this}; the sender and the future completions always
 * run outside the lock (the sender may block on the outbound buffer, whose draining must never wait
 * for this lock).
 */
final class DurableTracker {
    /** Queues a retry's PUB_DURABLE without blocking; false when it could not be queued now. */
    interface Sender {
        boolean send(long ref, String topic, CloudEvent event);
    }

    /** A PUB_DURABLE to write. */
    record Send(long ref, String topic, CloudEvent event) {
    }

    enum State { SENT, BACKOFF, DISCONNECTED }

    private static final class Pending {
        final String topic;
        final CloudEvent event;
        final CompletableFuture<PublishAck> future = new CompletableFuture<>();
        final long startNanos;
        final long deadlineNanos;
        final List<Long> refs = new ArrayList<>(2);
        long currentRef;
        int attempts;
        State state;
        /** SENT: when the attempt times out; BACKOFF: when to resend. */
        long dueNanos;
        String lastReason = "no acknowledgement";
        /** Some attempt may have been stored: it went out and no definite answer came back. */
        boolean uncertain;

        Pending(String topic, CloudEvent event, long now, long overallNanos) {
            this.topic = topic;
            this.event = event;
            this.startNanos = now;
            this.deadlineNanos = now + overallNanos;
        }
    }

    private final int maxInFlight;
    private final Semaphore permits;
    private final long attemptTimeoutNanos;
    private final long overallNanos;
    private final long backoffMinNanos;
    private final long backoffMaxNanos;
    private final LongSupplier clock;
    private final Executor completions;
    private final Sender sender;
    private final Map<Long, Pending> byRef = new HashMap<>();
    private final Set<Pending> pending = new LinkedHashSet<>();
    private long nextRef;
    private boolean connected;
    private MeshException closedWith;

    DurableTracker(int maxInFlight, long attemptTimeoutNanos, long overallNanos, long backoffMinNanos,
            long backoffMaxNanos, LongSupplier clock, Executor completions, Sender sender) {
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("maxInFlight must be at least 1");
        }
        this.maxInFlight = maxInFlight;
        this.permits = new Semaphore(maxInFlight);
        this.attemptTimeoutNanos = attemptTimeoutNanos;
        this.overallNanos = overallNanos;
        this.backoffMinNanos = backoffMinNanos;
        this.backoffMaxNanos = Math.max(backoffMinNanos, backoffMaxNanos);
        this.clock = clock;
        this.completions = completions;
        this.sender = sender;
    }

    /**
     * Registers a durable publish and sends its first attempt with {@code firstSend} (given the ref),
     * outside the lock. Blocks while {@code maxInFlight} publishes are pending, up to
     * {@code acquireTimeoutNanos}.
     *
     * @throws MeshException when no slot freed up in time, or the tracker is closed
     * @throws RuntimeException whatever {@code firstSend} throws; the publish is forgotten then
     */
    CompletableFuture<PublishAck> publish(String topic, CloudEvent event, long acquireTimeoutNanos,
            LongConsumer firstSend) throws InterruptedException {
        if (!permits.tryAcquire(acquireTimeoutNanos, TimeUnit.NANOSECONDS)) {
            throw new MeshException(maxInFlight + " durable publishes in flight for "
                    + TimeUnit.NANOSECONDS.toMillis(acquireTimeoutNanos) + " ms: the broker is not acknowledging");
        }
        Pending p;
        long ref;
        synchronized (this) {
            if (closedWith != null) {
                permits.release();
                throw new MeshException("client is closed");
            }
            long now = clock.getAsLong();
            p = new Pending(topic, event, now, overallNanos);
            pending.add(p);
            ref = newAttemptLocked(p, now);
        }
        try {
            firstSend.accept(ref);
        } catch (RuntimeException e) {
            synchronized (this) {
                if (removeLocked(p)) {
                    permits.release();
                }
            }
            throw e;
        }
        return p.future;
    }

    /** A PUB_ACK arrived. */
    void onAck(Frames.PubAck ack) {
        Pending p;
        PublishAck result = null;
        MeshException failure = null;
        synchronized (this) {
            p = byRef.get(ack.ref());
            if (p == null) {
                return; // already completed by another attempt's ack, or unknown
            }
            if (ack.status() == Frames.ACK_STORED || ack.status() == Frames.ACK_DUPLICATE) {
                removeLocked(p);
                result = new PublishAck(ack.detail(), ack.seq(), ack.status() == Frames.ACK_DUPLICATE);
            } else {
                String why = ack.detail() == null || ack.detail().isEmpty() ? "the broker failed to store it" : ack.detail();
                if (ack.status() != Frames.ACK_FAILED) {
                    p.uncertain = true; // ACK_UNKNOWN, or a status newer than this client: maybe stored
                    if (ack.status() != Frames.ACK_UNKNOWN) {
                        why = "unknown ack status " + ack.status() + ": " + why;
                    }
                }
                if (p.state != State.SENT || p.currentRef != ack.ref()) {
                    return; // an earlier attempt's failure: the current attempt is still out
                }
                p.lastReason = why;
                if (ack.status() == Frames.ACK_FAILED && why.startsWith(io.weft.protocol.ErrorCode.PERMISSION_DENIED.name())) {
                    removeLocked(p); // the user may not publish there: no retry can change that
                    failure = new MeshException(io.weft.protocol.ErrorCode.PERMISSION_DENIED, "durable publish of event "
                            + p.event.getId() + " to " + p.topic + ": " + why, null);
                } else {
                    failure = backoffLocked(p, clock.getAsLong());
                }
            }
        }
        if (result != null) {
            complete(p, result);
        } else if (failure != null) {
            fail(p, failure);
        }
    }

    /**
     * Resends what is due, turns timed-out attempts into back-offs, fails publishes past their
     * deadline. Called periodically.
     */
    void tick() {
        List<Pending> failed = new ArrayList<>();
        List<MeshException> failures = new ArrayList<>();
        List<Send> sends = new ArrayList<>();
        synchronized (this) {
            long now = clock.getAsLong();
            for (Pending p : List.copyOf(pending)) {
                if (now - p.deadlineNanos >= 0) {
                    failed.add(p);
                    failures.add(giveUpLocked(p, now));
                    continue;
                }
                if (p.state == State.SENT && now - p.dueNanos >= 0) {
                    p.lastReason = "no acknowledgement within " + TimeUnit.NANOSECONDS.toMillis(attemptTimeoutNanos) + " ms";
                    p.uncertain = true;
                    MeshException e = backoffLocked(p, now);
                    if (e != null) {
                        failed.add(p);
                        failures.add(e);
                        continue;
                    }
                }
                if (p.state == State.BACKOFF && now - p.dueNanos >= 0) {
                    if (connected) {
                        sends.add(new Send(newAttemptLocked(p, now), p.topic, p.event));
                    } else {
                        p.state = State.DISCONNECTED;
                    }
                }
            }
        }
        for (int i = 0; i < failed.size(); i++) {
            fail(failed.get(i), failures.get(i));
        }
        for (Send s : sends) {
            boolean queued;
            try {
                queued = sender.send(s.ref(), s.topic(), s.event());
            } catch (RuntimeException e) {
                queued = false;
            }
            if (!queued) {
                MeshException e;
                Pending p;
                synchronized (this) {
                    p = byRef.get(s.ref());
                    if (p == null || p.currentRef != s.ref() || p.state != State.SENT) {
                        continue;
                    }
                    p.lastReason = "could not queue the retry (outbound buffer full or client closing)";
                    e = backoffLocked(p, clock.getAsLong());
                }
                if (e != null) {
                    fail(p, e);
                }
            }
        }
    }

    /** The connection is gone: attempts out are lost; everything waits for the next connection. */
    synchronized void connectionLost(String reason) {
        connected = false;
        for (Pending p : pending) {
            if (p.state == State.SENT) {
                p.uncertain = true; // the attempt may have reached the broker before the connection went
            }
            if (p.state != State.DISCONNECTED) {
                p.state = State.DISCONNECTED;
                p.lastReason = reason;
            }
        }
    }

    /**
     * A connection is up (the first, or after a loss): returns the PUB_DURABLEs to write on it before
     * anything else, each a new attempt with a fresh ref.
     */
    synchronized List<Send> reconnected() {
        connected = true;
        long now = clock.getAsLong();
        List<Send> out = new ArrayList<>();
        for (Pending p : pending) {
            if (p.state == State.DISCONNECTED) {
                out.add(new Send(newAttemptLocked(p, now), p.topic, p.event));
            }
        }
        return out;
    }

    /** Waits until nothing is in flight, up to {@code timeoutNanos}; true if nothing is. */
    synchronized boolean awaitIdle(long timeoutNanos) throws InterruptedException {
        long end = System.nanoTime() + timeoutNanos;
        while (!pending.isEmpty()) {
            long left = end - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return true;
    }

    /** Fails everything in flight with {@code e}; further publishes are refused. */
    void close(MeshException e) {
        List<Pending> all;
        synchronized (this) {
            closedWith = e;
            all = List.copyOf(pending);
            for (Pending p : all) {
                removeLocked(p);
            }
        }
        for (Pending p : all) {
            fail(p, e);
        }
    }

    /** Publishes waiting for their ack. */
    synchronized int inFlight() {
        return pending.size();
    }

    /** The state of the publish that sent {@code ref} (tests), or null when it is not pending. */
    synchronized State stateOf(long ref) {
        Pending p = byRef.get(ref);
        return p == null ? null : p.state;
    }

    /** The ref of the current attempt of the publish that sent {@code ref} (tests), or -1. */
    synchronized long currentRefOf(long ref) {
        Pending p = byRef.get(ref);
        return p == null ? -1 : p.currentRef;
    }

    private long newAttemptLocked(Pending p, long now) {
        long ref = ++nextRef;
        p.refs.add(ref);
        byRef.put(ref, p);
        p.currentRef = ref;
        p.attempts++;
        p.state = State.SENT;
        p.dueNanos = now + attemptTimeoutNanos;
        return ref;
    }

    /** Schedules the next attempt; returns the failure instead when it would come after the deadline. */
    private MeshException backoffLocked(Pending p, long now) {
        long wait = backoffMinNanos << Math.min(Math.max(0, p.attempts - 1), 20);
        wait = Math.min(backoffMaxNanos, wait < 0 ? backoffMaxNanos : wait);
        long at = now + wait;
        if (at - p.deadlineNanos >= 0) {
            return giveUpLocked(p, now);
        }
        p.state = State.BACKOFF;
        p.dueNanos = at;
        return null;
    }

    private MeshException giveUpLocked(Pending p, long now) {
        removeLocked(p);
        String what = "durable publish of event " + p.event.getId() + " (source " + p.event.getSource() + ") to "
                + p.topic;
        String tries = p.attempts + (p.attempts == 1 ? " attempt" : " attempts") + " in "
                + String.format(java.util.Locale.ROOT, "%.1f s", (now - p.startNanos) / 1e9) + " (this client waits "
                + String.format(java.util.Locale.ROOT, "%.0f s", overallNanos / 1e9) + " for an ack: durablePublishTimeout)";
        if (p.uncertain) {
            return new OutcomeUnknownException(what + ": outcome unknown after " + tries
                    + ": the stream may have stored it; retrying is safe (the stream dedupes by source and id); last: "
                    + p.lastReason);
        }
        return new MeshException(what + " failed: not stored after " + tries + ": " + p.lastReason);
    }

    /** Forgets {@code p}; true if it was pending. The caller releases its permit (complete/fail do). */
    private boolean removeLocked(Pending p) {
        if (!pending.remove(p)) {
            return false;
        }
        for (Long r : p.refs) {
            byRef.remove(r);
        }
        if (pending.isEmpty()) {
            notifyAll();
        }
        return true;
    }

    private void complete(Pending p, PublishAck ack) {
        permits.release();
        completions.execute(() -> p.future.complete(ack));
    }

    private void fail(Pending p, MeshException e) {
        permits.release();
        completions.execute(() -> p.future.completeExceptionally(e));
    }
}
