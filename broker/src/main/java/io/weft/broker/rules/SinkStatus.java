package io.weft.broker.rules;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.time.Instant;

/**
 * One subscription's delivery on this node, as {@link SinkDispatcher#status} reports it: counters since
 * the subscription was opened on this node, what is in the pipeline now, and the latest trouble. Every
 * event offered and accepted ends in exactly one of delivered, deadLettered, failed and dropped, or is
 * still queued or in flight: the ends {@link SinkDispatcher.Finished} tells an offer's {@code done}
 * (DELIVERED, DEAD_LETTERED, GIVEN_UP, ABANDONED).
 *
 * @param subscriptionId the subscription
 * @param sink           where it delivers
 * @param attempts       HTTP attempts started (first attempts and retries)
 * @param delivered      events a 2xx accepted
 * @param retried        retries scheduled (one per failed attempt that is tried again)
 * @param failed         events given up without a dead letter: no deadLetterTopic (after the last retry or
 *                       a status that is not retried), the dead letter's publish failed, or the transform
 *                       or encoding failed
 * @param deadLettered   events published on the deadLetterTopic
 * @param dropped        events refused by offer (queue full, paused, closed) and, best-effort, events queued
 *                       or in flight when the subscription or the dispatcher was closed
 * @param queued         events waiting for a slot now
 * @param inFlight       slots taken now: attempts on the wire and retries waiting for their instant
 * @param awaitingRetry  of inFlight, retries waiting
 * @param paused         a 410 paused the subscription; {@link SinkDispatcher#resume} restarts it
 * @param pausedSince    when, or null
 * @param lastStatus     the last attempt's result: the HTTP status ({@code "503"}), {@code timeout} or
 *                       {@code connect}; null before the first
 * @param lastError      what went wrong last, in words; null if nothing has
 * @param lastErrorAt    when, or null
 * @param lastAttemptAt  when the last attempt started, or null
 * @param latencyP50Ms   median of the delivered events' latency, from an event's first attempt to its 2xx
 *                       (retries, their waits and any pause included), in ms; 0 before the first delivery
 * @param latencyP90Ms   90th percentile, ms
 * @param latencyP99Ms   99th percentile, ms
 * @param latencyMaxMs   the largest, ms (latencies over an hour count as an hour)
 */
public record SinkStatus(String subscriptionId, URI sink, long attempts, long delivered, long retried, long failed,
                         long deadLettered, long dropped, int queued, int inFlight, int awaitingRetry, boolean paused,
                         Instant pausedSince, String lastStatus, String lastError, Instant lastErrorAt,
                         Instant lastAttemptAt, long latencyP50Ms, long latencyP90Ms, long latencyP99Ms,
                         long latencyMaxMs) {

    /** The status as JSON, for {@code GET /v1/subscriptions/{id}/status}; absent instants and texts are null. */
    public ObjectNode toJson() {
        ObjectNode o = RuleJson.MAPPER.createObjectNode();
        o.put("subscription", subscriptionId);
        o.put("sink", sink.toString());
        o.put("attempts", attempts);
        o.put("delivered", delivered);
        o.put("retried", retried);
        o.put("failed", failed);
        o.put("deadLettered", deadLettered);
        o.put("dropped", dropped);
        o.put("queued", queued);
        o.put("inFlight", inFlight);
        o.put("awaitingRetry", awaitingRetry);
        o.put("paused", paused);
        o.put("pausedSince", text(pausedSince));
        o.put("lastStatus", lastStatus);
        o.put("lastError", lastError);
        o.put("lastErrorAt", text(lastErrorAt));
        o.put("lastAttemptAt", text(lastAttemptAt));
        ObjectNode latency = o.putObject("latencyMs");
        latency.put("p50", latencyP50Ms);
        latency.put("p90", latencyP90Ms);
        latency.put("p99", latencyP99Ms);
        latency.put("max", latencyMaxMs);
        return o;
    }

    private static String text(Instant t) {
        return t == null ? null : t.toString();
    }
}
