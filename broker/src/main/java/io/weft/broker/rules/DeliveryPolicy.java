package io.weft.broker.rules;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.weft.protocol.InvalidTopicException;
import io.weft.protocol.Topics;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How a subscription's HTTP deliveries are retried: the subscription's {@code delivery} object, in the
 * vocabulary of Knative's {@code DeliverySpec}. Immutable and validated on construction; every error
 * names the member ({@code delivery.backoffDelay: not an ISO-8601 duration: 'P5' ...}).
 * {@link RetryDecision} applies it.
 *
 * <pre>
 * "delivery": {
 *   "retry": 10,                    // retries after the first attempt, 0..200
 *   "backoffPolicy": "exponential", // or "linear"
 *   "backoffDelay": "PT0.5S",       // the first retry's delay
 *   "backoffMax": "PT60S",          // cap on any computed delay
 *   "timeout": "PT10S",             // per attempt
 *   "retryAfterMax": "PT60S",       // cap on an honoured Retry-After (PT0S ignores it)
 *   "deadLetterTopic": "orders.dead"
 * }
 * </pre>
 *
 * @param retry           retries after the first attempt before the event is given up (dead-lettered
 *                        or dropped): {@code retry + 1} attempts at most. 0..{@value #MAX_RETRY} (EventBridge
 *                        allows 185); default {@value #DEFAULT_RETRY}, which with the default backoff waits
 *                        0.5, 1, 2, 4 ... 32, 60, 60, 60 s: about 4 minutes at most (3 on average with
 *                        the jitter), long enough to ride out a sink's restart or deploy. Longer outages
 *                        belong to the dead-letter topic or a durable subscription
 * @param backoffPolicy   how the delay grows with the retry number n (1 for the first retry):
 *                        {@code linear} = backoffDelay * n, {@code exponential} = backoffDelay * 2^(n-1).
 *                        Both wait backoffDelay before the first retry. Default exponential, the
 *                        congestion control the Knative data-plane spec asks of senders
 * @param backoffDelay    1 ms..1 h; default PT0.5S (Knative's documented example value)
 * @param backoffMax      cap on the computed delay, >= backoffDelay, <= 1 h; default the larger of PT60S
 *                        and backoffDelay
 * @param timeout         how long one attempt may take, > 0, <= 5 min (a slow sink holds one of its
 *                        bounded concurrent slots meanwhile); default PT10S, as GitHub's webhooks
 * @param deadLetterTopic the topic given-up events are published on (a topic, not a pattern, not an
 *                        internal {@code _weft} topic), or null to drop them (counted)
 * @param retryAfterMax   cap on an honoured {@code Retry-After} of a 429 or 503, 0..1 h; PT0S ignores the
 *                        header (Knative's meaning). Default backoffMax
 */
public record DeliveryPolicy(int retry, BackoffPolicy backoffPolicy, Duration backoffDelay, Duration backoffMax,
                             Duration timeout, String deadLetterTopic, Duration retryAfterMax) {
    public static final int DEFAULT_RETRY = 10;
    public static final int MAX_RETRY = 200;
    public static final BackoffPolicy DEFAULT_BACKOFF_POLICY = BackoffPolicy.EXPONENTIAL;
    public static final Duration DEFAULT_BACKOFF_DELAY = Duration.ofMillis(500);
    public static final Duration DEFAULT_BACKOFF_MAX = Duration.ofSeconds(60);
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
    static final Duration MIN_DELAY = Duration.ofMillis(1);
    static final Duration MAX_DELAY = Duration.ofHours(1);
    static final Duration MAX_TIMEOUT = Duration.ofMinutes(5);

    private static final String PATH = "delivery";
    private static final List<String> MEMBERS = List.of("retry", "backoffPolicy", "backoffDelay", "backoffMax",
            "timeout", "retryAfterMax", "deadLetterTopic");
    private static final Map<String, String> HINTS = Map.of(
            "deadLetterSink", "Weft dead-letters to a topic: use deadLetterTopic (a stream capturing it stores"
                    + " the events)",
            "format", "the content mode is protocolsettings.contentmode (binary or structured)");

    /** Growth of the retry delay. */
    public enum BackoffPolicy {
        LINEAR, EXPONENTIAL;

        /** The JSON name: {@code linear}, {@code exponential}. */
        public String jsonName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public DeliveryPolicy {
        if (retry < 0 || retry > MAX_RETRY) {
            throw new InvalidRuleException(PATH + ".retry", "must be an integer in [0, " + MAX_RETRY + "], not "
                    + retry);
        }
        if (backoffPolicy == null) {
            throw new InvalidRuleException(PATH + ".backoffPolicy", "is required");
        }
        RuleJson.range(backoffDelay, PATH + ".backoffDelay", MIN_DELAY, false, MAX_DELAY);
        RuleJson.range(backoffMax, PATH + ".backoffMax", backoffDelay, false, MAX_DELAY);
        RuleJson.range(timeout, PATH + ".timeout", Duration.ZERO, true, MAX_TIMEOUT);
        RuleJson.range(retryAfterMax, PATH + ".retryAfterMax", Duration.ZERO, false, MAX_DELAY);
        if (deadLetterTopic != null) {
            checkTopic(deadLetterTopic);
        }
    }

    /** Every default: what a subscription without {@code delivery} gets. */
    public static DeliveryPolicy defaults() {
        return new DeliveryPolicy(DEFAULT_RETRY, DEFAULT_BACKOFF_POLICY, DEFAULT_BACKOFF_DELAY, DEFAULT_BACKOFF_MAX,
                DEFAULT_TIMEOUT, null, DEFAULT_BACKOFF_MAX);
    }

    /**
     * Parses the {@code delivery} member of a subscription; absent or null gives {@link #defaults()}.
     * Unknown members are errors.
     *
     * @throws InvalidRuleException naming the member ({@code delivery.<member>})
     */
    public static DeliveryPolicy fromJson(JsonNode delivery) {
        JsonNode d = RuleJson.object(delivery, PATH);
        if (d == null) {
            return defaults();
        }
        RuleJson.onlyMembers(d, PATH, MEMBERS, HINTS);
        int retry = RuleJson.integer(d.get("retry"), PATH + ".retry", 0, MAX_RETRY, DEFAULT_RETRY);
        BackoffPolicy policy = backoffPolicy(RuleJson.string(d.get("backoffPolicy"), PATH + ".backoffPolicy"));
        Duration delay = RuleJson.duration(d.get("backoffDelay"), PATH + ".backoffDelay", DEFAULT_BACKOFF_DELAY);
        // a long backoffDelay alone raises the default cap rather than failing against it
        Duration dfltMax = delay.compareTo(DEFAULT_BACKOFF_MAX) > 0 ? delay : DEFAULT_BACKOFF_MAX;
        Duration max = RuleJson.duration(d.get("backoffMax"), PATH + ".backoffMax", dfltMax);
        Duration timeout = RuleJson.duration(d.get("timeout"), PATH + ".timeout", DEFAULT_TIMEOUT);
        Duration retryAfterMax = RuleJson.duration(d.get("retryAfterMax"), PATH + ".retryAfterMax", max);
        String topic = RuleJson.string(d.get("deadLetterTopic"), PATH + ".deadLetterTopic");
        return new DeliveryPolicy(retry, policy, delay, max, timeout, topic == null || topic.isEmpty() ? null : topic,
                retryAfterMax);
    }

    /** The realized policy with every default filled in, as the API returns it; {@link #fromJson} reads it back. */
    public ObjectNode toJson() {
        ObjectNode o = RuleJson.MAPPER.createObjectNode();
        o.put("retry", retry);
        o.put("backoffPolicy", backoffPolicy.jsonName());
        o.put("backoffDelay", backoffDelay.toString());
        o.put("backoffMax", backoffMax.toString());
        o.put("timeout", timeout.toString());
        o.put("retryAfterMax", retryAfterMax.toString());
        if (deadLetterTopic != null) {
            o.put("deadLetterTopic", deadLetterTopic);
        }
        return o;
    }

    /** Attempts at most: the first and the retries. */
    public int maxAttempts() {
        return retry + 1;
    }

    private static BackoffPolicy backoffPolicy(String s) {
        if (s == null) {
            return DEFAULT_BACKOFF_POLICY;
        }
        for (BackoffPolicy p : BackoffPolicy.values()) {
            if (p.jsonName().equals(s)) {
                return p;
            }
        }
        throw new InvalidRuleException(PATH + ".backoffPolicy", "'" + RuleJson.printable(s)
                + "' is not a backoff policy; use linear or exponential");
    }

    private static void checkTopic(String topic) {
        try {
            Topics.validateTopic(topic);
        } catch (InvalidTopicException e) {
            throw new InvalidRuleException(PATH + ".deadLetterTopic", e.getMessage());
        }
        if (Topics.isInternal(topic)) {
            throw new InvalidRuleException(PATH + ".deadLetterTopic", "'" + RuleJson.printable(topic)
                    + "' is an internal topic (first token " + Topics.INTERNAL_TOKEN + ")");
        }
    }
}
