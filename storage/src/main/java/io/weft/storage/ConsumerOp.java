package io.weft.storage;

/**
 * A change to a consumer's state. Every one goes through {@link StreamLog#applyConsumerOp} (in a
 * replicated stream: through the Raft log), so all replicas agree on deliveries and acks.
 */
public sealed interface ConsumerOp {
    /** The consumer the op is about. */
    String consumer();

    /** Creates a consumer; re-creating one with the same config is a no-op, with another an error. */
    record Create(ConsumerConfig config) implements ConsumerOp {
        @Override
        public String consumer() {
            return config.name();
        }
    }

    /** Fetches up to {@code max} deliveries (redeliveries first), and dead-letters exhausted events. */
    record Next(String consumer, int max) implements ConsumerOp {
        /** Rejects a non-positive {@code max}. */
        public Next {
            if (max < 1) {
                throw new InvalidStreamConfigException("max", max + " must be at least 1");
            }
        }
    }

    /** Acknowledges the delivered event {@code seq}. */
    record Ack(String consumer, long seq) implements ConsumerOp {
    }

    /** Deletes a consumer and its state. */
    record Delete(String consumer) implements ConsumerOp {
    }
}
