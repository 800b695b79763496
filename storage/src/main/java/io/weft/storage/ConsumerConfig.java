package io.weft.storage;

import io.weft.protocol.Topics;

import java.util.regex.Pattern;

/**
 * The settings of a durable consumer, validated on construction.
 *
 * @param name            1–64 letters, digits, {@code -} or {@code _}, unique in its stream
 * @param start           where delivery starts
 * @param ackWaitMillis   how long a delivered event waits for its ack before it is redelivered
 * @param maxDeliver      deliveries at most before the event goes to the dead letter; 0 = no limit
 * @param deadLetterTopic where events past {@code maxDeliver} are published; null drops them
 * @param maxAckPending   delivered but unacked events at most: delivery stops there (back-pressure)
 * @param deliverTopic    a push consumer's topic: the stream leader publishes the consumer's events
 *                        there as they come (subscribers of it receive them and ack); null = pull
 */
public record ConsumerConfig(String name, StartPosition start, long ackWaitMillis, int maxDeliver,
                             String deadLetterTopic, int maxAckPending, String deliverTopic) {

    /** The ack wait when none is given. */
    public static final long DEFAULT_ACK_WAIT_MILLIS = 30_000;
    /** The {@code maxAckPending} when none is given. */
    public static final int DEFAULT_MAX_ACK_PENDING = 1_000;
    /** The largest {@code maxAckPending} accepted: it bounds the size of a consumer's state. */
    public static final int MAX_ACK_PENDING_LIMIT = 100_000;

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");

    /** Validates every field; throws {@link InvalidStreamConfigException} naming the first bad one. */
    public ConsumerConfig {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new InvalidStreamConfigException("consumer name", "'" + Topics.printable(name)
                    + "' must be 1-64 letters, digits, '-' or '_'");
        }
        if (start == null) {
            throw new InvalidStreamConfigException("start", "must be given");
        }
        if (ackWaitMillis <= 0) {
            throw new InvalidStreamConfigException("ackWait", ackWaitMillis + " ms must be positive");
        }
        if (maxDeliver < 0) {
            throw new InvalidStreamConfigException("maxDeliver", maxDeliver + " is negative (0 means no limit)");
        }
        if (deadLetterTopic != null && !Topics.isValidTopic(deadLetterTopic)) {
            throw new InvalidStreamConfigException("deadLetterTopic", "'" + Topics.printable(deadLetterTopic)
                    + "' is not a valid topic");
        }
        if (maxAckPending < 1 || maxAckPending > MAX_ACK_PENDING_LIMIT) {
            throw new InvalidStreamConfigException("maxAckPending", maxAckPending + " is not in 1.."
                    + MAX_ACK_PENDING_LIMIT);
        }
        if (deliverTopic != null && (!Topics.isValidTopic(deliverTopic) || Topics.hasWildcard(deliverTopic))) {
            throw new InvalidStreamConfigException("deliverTopic", "'" + Topics.printable(deliverTopic)
                    + "' is not a valid topic (no wildcards)");
        }
    }

    /** A pull consumer. */
    public ConsumerConfig(String name, StartPosition start, long ackWaitMillis, int maxDeliver,
                          String deadLetterTopic, int maxAckPending) {
        this(name, start, ackWaitMillis, maxDeliver, deadLetterTopic, maxAckPending, null);
    }

    /** Whether the leader pushes this consumer's events to {@link #deliverTopic()}. */
    public boolean push() {
        return deliverTopic != null;
    }

    /** The same consumer pushing to {@code topic} (null = pull). */
    public ConsumerConfig withDeliverTopic(String topic) {
        return new ConsumerConfig(name, start, ackWaitMillis, maxDeliver, deadLetterTopic, maxAckPending, topic);
    }

    /** A pull consumer with the default {@code maxAckPending}. */
    public ConsumerConfig(String name, StartPosition start, long ackWaitMillis, int maxDeliver,
                          String deadLetterTopic) {
        this(name, start, ackWaitMillis, maxDeliver, deadLetterTopic, DEFAULT_MAX_ACK_PENDING);
    }
}
