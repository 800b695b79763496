package io.weft.storage;

import java.util.List;

/**
 * What a {@link ConsumerOp} did. A rejected op (unknown consumer, conflicting create) still counts as
 * applied, deterministically, on every replica: {@link #error()} says why.
 *
 * @param error       null on success, else what the caller did wrong
 * @param info        the consumer after the op (null when it does not exist)
 * @param deliveries  for {@link ConsumerOp.Next}: the events to hand out, in order
 * @param deadLetters for {@link ConsumerOp.Next}: the events to publish to the dead-letter topic
 * @param acked       for {@link ConsumerOp.Ack}: true when the event was pending and is now acked
 */
public record ConsumerOpResult(String error, ConsumerInfo info, List<Delivery> deliveries,
                               List<DeadLetter> deadLetters, boolean acked) {

    static ConsumerOpResult failed(String error) {
        return new ConsumerOpResult(error, null, List.of(), List.of(), false);
    }

    static ConsumerOpResult ok(ConsumerInfo info) {
        return new ConsumerOpResult(null, info, List.of(), List.of(), false);
    }

    /** True when the op was accepted. */
    public boolean ok() {
        return error == null;
    }
}
