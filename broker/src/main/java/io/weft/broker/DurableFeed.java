package io.weft.broker;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.weft.storage.ConsumerOp;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The stream side of one durable rule on the node that runs it: which pushed events the runner holds,
 * and their acks and naks on the rule's consumer.
 *
 * <ul>
 *   <li><b>Acks are batched by round trip.</b> At most one ack call is out at a time; what finishes
 *       while it commits goes into the next one. A sink that takes events one by one then costs one Raft
 *       entry per round trip instead of one per event, with no timer and no added delay when idle.</li>
 *   <li><b>Taking over gives everything back first.</b> Before the runner subscribes to the rule's push
 *       topic it naks every pending event of the consumer: whoever held them (a runner that died, or
 *       this node before a restart of the rule) will not finish them, and without the nak they would
 *       wait out the ack wait, minutes with the default policy, before anything else is pushed (the
 *       held events fill the consumer's {@code maxAckPending}).</li>
 *   <li><b>Stopping gives back what is held</b> and not finished, for the same reason.</li>
 *   <li><b>What never arrived is taken back.</b> A push can be lost on the way: the stream pushes while a
 *       runner that died still looks subscribed to it (until its node is known gone), or a link drops it. The
 *       stream counts such an event as out until its ack wait ends, minutes away. So the runner sweeps: it asks
 *       the stream which events have been out for at least {@link #SWEEP_GRACE_MILLIS}, and naks those it
 *       neither holds nor has finished. Every {@link #SWEEP_BUSY_MILLIS} while the stream has events out,
 *       every {@link #SWEEP_IDLE_MILLIS} otherwise: an idle rule costs one small call per half minute.</li>
 *   <li><b>A push of an event already held is ignored.</b> An event can wait in the rule's queue longer
 *       than the ack wait (a paused or very slow sink): the stream pushes it again, but it is still
 *       coming, so a second copy would only be a duplicate.</li>
 * </ul>
 *
 * Thread-safe: pushes arrive on the routing thread, ends on the sink threads.
 */
final class DurableFeed {
    private static final Logger LOG = LoggerFactory.getLogger(DurableFeed.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A call on the rule's stream ({@link Streams#call}). */
    interface Calls {
        CompletableFuture<Streams.Response> call(String stream, ObjectNode req);
    }

    private final String id;
    private final String stream;
    private final String consumer;
    private final Calls calls;
    /** Where a failed ack call is tried again. */
    private final java.util.concurrent.ScheduledExecutorService retries;
    private final Set<Long> held = ConcurrentHashMap.newKeySet();
    /** Finished events whose ack the stream has not confirmed yet (queued or out). */
    private final Set<Long> finishing = ConcurrentHashMap.newKeySet();
    /** Finished events whose ack is not sent yet. Guarded by this. */
    private final ArrayDeque<Long> toAck = new ArrayDeque<>();
    /** True while an ack call is out. Guarded by this. */
    private boolean acking;
    private volatile boolean stopping;
    private final java.util.concurrent.atomic.AtomicLong swept = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong sweeps = new java.util.concurrent.atomic.AtomicLong();
    /** How often each event still out was taken back by a sweep (sweeps run one at a time). */
    private final java.util.Map<Long, Integer> sweptTimes = new java.util.HashMap<>();
    /** The next sweep, cancelled when the rule stops here. */
    private volatile java.util.concurrent.Future<?> nextSweep;

    /** How often a failed ack call is tried again before its events are left to the ack wait. */
    static final int ACK_TRIES = 60;
    /** The wait between two tries of an ack call, and between two takeover naks. */
    static final long RETRY_MILLIS = 500;
    /** How long an event must have been out before a sweep may take it back: far longer than a push takes. */
    static final long SWEEP_GRACE_MILLIS = 5_000;
    /** The sweep's period while the stream has events out, and while nothing is out. */
    static final long SWEEP_BUSY_MILLIS = 5_000;
    static final long SWEEP_IDLE_MILLIS = 30_000;
    /** How often a sweep takes one event back before leaving it to the ack wait. */
    static final int MAX_SWEEPS_PER_EVENT = 3;

    DurableFeed(String id, String stream, String consumer, Calls calls,
                java.util.concurrent.ScheduledExecutorService retries) {
        this.retries = retries;
        this.id = id;
        this.stream = stream;
        this.consumer = consumer;
        this.calls = calls;
    }

    /**
     * Naks every pending event of the consumer, again and again until the stream takes it: at a failover the
     * rule's stream often lost its leader with the runner (they may be the same node), and until a new one
     * is elected nobody answers. Completes (never exceptionally) once the nak is taken, or when the rule
     * stops here meanwhile; tries are {@link #RETRY_MILLIS} apart.
     */
    CompletableFuture<Void> takeOver() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        takeOver(done, 1);
        return done;
    }

    private void takeOver(CompletableFuture<Void> done, int attempt) {
        if (stopping) {
            done.complete(null);
            return;
        }
        nak(List.of()).whenComplete((r, e) -> {
            if (e == null && r.status() == 200) {
                LOG.debug("subscription {}: took over after {} attempt(s), {}", id, attempt,
                        new String(r.json(), java.nio.charset.StandardCharsets.UTF_8));
                done.complete(null);
                return;
            }
            if (attempt == 1 || attempt % 20 == 0) {
                LOG.info("subscription {}: its stream does not take back the events a previous runner held yet ({});"
                        + " retrying", id, e != null ? e.toString() : r.status());
            }
            try {
                retries.schedule(() -> takeOver(done, attempt + 1), RETRY_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException closing) { // the node is stopping
                done.complete(null);
            }
        });
    }

    /** A push of {@code seq}: true when the runner should deliver it, false when it already holds it. */
    boolean take(long seq) {
        return !stopping && held.add(seq);
    }

    /** {@code seq} is finished (delivered, dead-lettered or given up): acks it. */
    void finished(long seq) {
        finishing.add(seq); // before it leaves held: a sweep never sees it in neither
        held.remove(seq);
        synchronized (this) {
            toAck.add(seq);
            if (acking) {
                return;
            }
            acking = true;
        }
        flush();
    }

    /** {@code seq} was not finished and the rule goes on: gives it back so it comes again now. */
    void abandoned(long seq) {
        if (!stopping && held.remove(seq)) {
            nak(List.of(seq));
        }
    }

    /** {@code seq} was not taken by the dispatcher: forgotten here, it comes again after the ack wait. */
    void refused(long seq) {
        held.remove(seq);
    }

    /** Call before the dispatcher closes the rule: what it abandons stays held, for {@link #stop}. */
    void stopping() {
        stopping = true;
        cancelSweep();
    }

    /** Gives back every event still held; the acks already queued still go out. */
    void stop() {
        stopping = true;
        cancelSweep();
        List<Long> rest = new ArrayList<>(held);
        held.clear();
        for (int i = 0; i < rest.size(); i += ConsumerOp.MAX_SEQS) {
            nak(rest.subList(i, Math.min(i + ConsumerOp.MAX_SEQS, rest.size())));
        }
    }

    /**
     * Starts the sweeps (call once the runner is subscribed): the first after {@link #SWEEP_GRACE_MILLIS},
     * then as the class says, until the rule stops here.
     */
    void startSweeping() {
        scheduleSweep(SWEEP_GRACE_MILLIS);
    }

    private void scheduleSweep(long delayMillis) {
        if (stopping) {
            return;
        }
        try {
            nextSweep = retries.schedule(this::sweep, delayMillis, java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException closing) {
            // the node is stopping
        }
        if (stopping) { // stopped meanwhile: stopping() may have looked before the assignment
            cancelSweep();
        }
    }

    private void cancelSweep() {
        java.util.concurrent.Future<?> f = nextSweep;
        if (f != null) {
            f.cancel(false);
        }
    }

    /** One sweep: asks what has been out a while, naks what is neither held nor finished here. */
    private void sweep() {
        if (stopping) {
            return;
        }
        ObjectNode req = JSON.createObjectNode().put("op", "consumer.out").put("consumer", consumer)
                .put("minAgeMillis", SWEEP_GRACE_MILLIS);
        CompletableFuture<Streams.Response> answer;
        try {
            answer = calls.call(stream, req);
        } catch (RuntimeException x) {
            LOG.debug("subscription {}: sweep not sent: {}", id, x.toString());
            scheduleSweep(SWEEP_BUSY_MILLIS);
            return;
        }
        answer.whenComplete((r, e) -> {
            long next = SWEEP_BUSY_MILLIS;
            try {
                if (e == null && r.status() == 200) {
                    sweeps.incrementAndGet();
                    next = sweptBack(JSON.readTree(r.json()));
                }
            } catch (java.io.IOException | RuntimeException x) {
                LOG.debug("subscription {}: sweep failed: {}", id, x.toString());
            } finally {
                scheduleSweep(next);
            }
        });
    }

    /**
     * Naks what the answer names that is neither held nor finished here (read after the answer came: anything
     * taken meanwhile shows, and an ack that landed meanwhile makes the nak a no-op on the stream). An event
     * taken back {@link #MAX_SWEEPS_PER_EVENT} times that still never arrives (it cannot be read here, say) is
     * left to the ack wait rather than cycled every few seconds. Returns the delay of the next sweep.
     */
    private long sweptBack(com.fasterxml.jackson.databind.JsonNode doc) {
        List<Long> lost = new ArrayList<>();
        Set<Long> named = new java.util.HashSet<>();
        for (com.fasterxml.jackson.databind.JsonNode n : doc.path("seqs")) {
            long seq = n.asLong();
            named.add(seq);
            if (held.contains(seq) || finishing.contains(seq)) {
                continue;
            }
            int times = sweptTimes.merge(seq, 1, Integer::sum);
            if (times <= MAX_SWEEPS_PER_EVENT) {
                lost.add(seq);
            } else if (times == MAX_SWEEPS_PER_EVENT + 1) {
                LOG.warn("subscription {}: event {} was taken back {} times and never reached this runner; it is left "
                        + "to the ack wait", id, seq, MAX_SWEEPS_PER_EVENT);
            }
        }
        sweptTimes.keySet().retainAll(named); // bounded by what the stream has out
        if (!lost.isEmpty() && !stopping) {
            LOG.info("subscription {}: {} events out for over {} s never reached this runner; taking them "
                    + "back (first {})", id, lost.size(), SWEEP_GRACE_MILLIS / 1000, lost.get(0));
            swept.addAndGet(lost.size());
            nak(lost);
            return SWEEP_BUSY_MILLIS;
        }
        return doc.path("ackPending").asLong() == 0 ? SWEEP_IDLE_MILLIS : SWEEP_BUSY_MILLIS;
    }

    /** How many sweeps the stream answered since this feed started. */
    long sweeps() {
        return sweeps.get();
    }

    /** How many events sweeps took back since this feed started. */
    long swept() {
        return swept.get();
    }

    /** How many pushed events the runner holds now. */
    int held() {
        return held.size();
    }

    private void flush() {
        List<Long> batch = new ArrayList<>();
        synchronized (this) {
            while (!toAck.isEmpty() && batch.size() < ConsumerOp.MAX_SEQS) {
                batch.add(toAck.poll());
            }
            if (batch.isEmpty()) {
                acking = false;
                return;
            }
        }
        send(batch, 1);
    }

    /**
     * Sends one ack call; a call the stream did not take (its leader changed, as at a failover) is tried again,
     * acks being idempotent: an ack lost here would leave a delivered event to come again after the ack wait.
     * The next batch waits for this one, so acks leave in order and one call is out at a time.
     */
    private void send(List<Long> batch, int attempt) {
        calls.call(stream, request("consumer.ack", batch)).whenComplete((r, e) -> {
            if (e == null && r.status() == 200) {
                finishing.removeAll(batch);
                flush();
                return;
            }
            String why = e != null ? e.toString() : Integer.toString(r.status());
            if (attempt < ACK_TRIES) {
                try {
                    retries.schedule(() -> send(batch, attempt + 1), RETRY_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS);
                    return;
                } catch (java.util.concurrent.RejectedExecutionException closing) { // the node is stopping
                    why += ", and the node is stopping";
                }
            }
            LOG.info("subscription {}: ack of {} events not taken ({}) after {} tries; the stream pushes them again "
                    + "after the ack wait", id, batch.size(), why, attempt);
            finishing.removeAll(batch);
            flush();
        });
    }

    private CompletableFuture<Streams.Response> nak(List<Long> seqs) {
        CompletableFuture<Streams.Response> f = calls.call(stream, request("consumer.nak", seqs));
        f.whenComplete((r, e) -> {
            if (e != null || r.status() != 200) {
                LOG.debug("subscription {}: nak of {} not taken ({})", id, seqs.isEmpty() ? "all" : seqs.size() + " events",
                        e != null ? e.toString() : r.status());
            }
        });
        return f;
    }

    private ObjectNode request(String op, List<Long> seqs) {
        ObjectNode req = JSON.createObjectNode().put("op", op).put("consumer", consumer);
        ArrayNode a = req.putArray("seqs");
        seqs.forEach(a::add);
        return req;
    }
}
