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
 * @param changed     for {@link ConsumerOp.Ack} and {@link ConsumerOp.AckMany}: how many pending events are
 *                    now acked; for {@link ConsumerOp.Nak}: how many are now due for redelivery
 */
public record ConsumerOpResult(String error, ConsumerInfo info, List<Delivery> deliveries,
                               List<DeadLetter> deadLetters, int changed) {

    static ConsumerOpResult failed(String error) {
        return new ConsumerOpResult(error, null, List.of(), List.of(), 0);
    }

    static ConsumerOpResult ok(ConsumerInfo info) {
        return new ConsumerOpResult(null, info, List.of(), List.of(), 0);
    }

    /** For an ack: true when at least one event was pending and is now acked. */
    public boolean acked() {
        return changed > 0;
    }

    /** True when the op was accepted. */
    public boolean ok() {
        return error == null;
    }
}
