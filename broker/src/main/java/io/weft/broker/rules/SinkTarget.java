package io.weft.broker.rules;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What {@link SinkDispatcher} needs of one subscription to deliver its events: where, how encoded, how
 * retried, and how many at once. Built from the validated subscription; the checks here restate its
 * invariants and fail with {@link IllegalArgumentException} (a caller's bug, not user input).
 *
 * @param subscriptionId the subscription's id: the key of the dispatcher, {@code weftsubscription} of
 *                       its dead letters
 * @param sink           an absolute {@code http} or {@code https} URI with a host
 * @param binding        method, the user's headers and the content mode
 * @param extraHeaders   headers added after the binding's, e.g. credentials resolved from a secret. The
 *                       same rules as the binding's headers ({@link HttpBinding}: no {@code ce-*},
 *                       {@code Content-Type}, framing or connection headers such as {@code Host}, which
 *                       the HTTP client refuses), and no name the binding already sets
 * @param policy         retries, backoff, per-attempt timeout, dead-letter topic
 * @param transform      what is sent of each event
 * @param ordered        deliver strictly in order: one attempt at a time, and the next event waits until
 *                       the previous one is delivered, dead-lettered or dropped (its retries included).
 *                       {@code concurrency} is then ignored
 * @param concurrency    attempts in flight at most, retries waiting for their instant included;
 *                       1..{@value #MAX_CONCURRENCY}, default {@value #DEFAULT_CONCURRENCY} (issue 15)
 * @param queueCapacity  events waiting for a slot at most; more are dropped and counted.
 *                       1..{@value #MAX_QUEUE_CAPACITY}, default {@value #DEFAULT_QUEUE_CAPACITY}: 1000
 *                       events absorb a burst of about a second at 1k/s while the sink is slower, and cost
 *                       at most 1000 references to events the node holds anyway
 */
public record SinkTarget(String subscriptionId, URI sink, HttpBinding binding, List<HttpBinding.Header> extraHeaders,
                         DeliveryPolicy policy, Transform transform, boolean ordered, int concurrency,
                         int queueCapacity) {
    public static final int DEFAULT_CONCURRENCY = 16;
    public static final int MAX_CONCURRENCY = 256;
    public static final int DEFAULT_QUEUE_CAPACITY = 1000;
    public static final int MAX_QUEUE_CAPACITY = 100_000;

    public SinkTarget {
        if (subscriptionId == null || subscriptionId.isEmpty()) {
            throw new IllegalArgumentException("subscriptionId is required");
        }
        checkSink(sink);
        if (binding == null || policy == null || transform == null) {
            throw new IllegalArgumentException(subscriptionId + ": binding, policy and transform are required");
        }
        extraHeaders = List.copyOf(extraHeaders);
        checkExtraHeaders(subscriptionId, binding, extraHeaders);
        if (concurrency < 1 || concurrency > MAX_CONCURRENCY) {
            throw new IllegalArgumentException(subscriptionId + ": concurrency must be in [1, " + MAX_CONCURRENCY
                    + "], not " + concurrency);
        }
        if (queueCapacity < 1 || queueCapacity > MAX_QUEUE_CAPACITY) {
            throw new IllegalArgumentException(subscriptionId + ": queueCapacity must be in [1, "
                    + MAX_QUEUE_CAPACITY + "], not " + queueCapacity);
        }
    }

    /** A target with the default binding, policy, transform, concurrency and queue, unordered. */
    public static SinkTarget of(String subscriptionId, URI sink) {
        return new SinkTarget(subscriptionId, sink, HttpBinding.defaults(), List.of(), DeliveryPolicy.defaults(),
                Transform.original(), false, DEFAULT_CONCURRENCY, DEFAULT_QUEUE_CAPACITY);
    }

    /** Attempts in flight at most: 1 when ordered, else {@code concurrency}. */
    public int slots() {
        return ordered ? 1 : concurrency;
    }

    private static void checkSink(URI sink) {
        if (sink == null || !sink.isAbsolute() || sink.getHost() == null) {
            throw new IllegalArgumentException("sink must be an absolute http or https URI with a host, not " + sink);
        }
        String scheme = sink.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new IllegalArgumentException("sink must be an http or https URI, not " + sink);
        }
    }

    /** The binding's header rules, applied by building a binding with both lists (which also refuses repeats). */
    private static void checkExtraHeaders(String id, HttpBinding binding, List<HttpBinding.Header> extra) {
        if (extra.isEmpty()) {
            return;
        }
        List<HttpBinding.Header> all = new ArrayList<>(binding.headers());
        all.addAll(extra);
        try {
            new HttpBinding(binding.method(), all, binding.contentMode());
        } catch (InvalidRuleException e) {
            String prefix = "protocolsettings.headers.";
            String name = e.field().startsWith(prefix) ? e.field().substring(prefix.length()) : "all";
            throw new IllegalArgumentException(id + ": extra header " + name + " refused: " + e.detail(), e);
        }
    }
}
