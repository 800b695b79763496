package io.weft.storage;

import java.util.List;

/**
 * A change to a consumer's state. Every one goes through {@link StreamLog#applyConsumerOp} (in a
 * replicated stream: through the Raft log), so all replicas agree on deliveries and acks.
 */
public sealed interface ConsumerOp {
    /** Most sequences in one {@link AckMany} or {@link Nak}. */
    int MAX_SEQS = 4096;

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

    /**
     * Acknowledges several delivered events in one entry: a consumer that finishes events one by one
     * (a rule's runner) acks what finished while its previous ack was committing, so the Raft log
     * gets one entry per round trip instead of one per event.
     */
    record AckMany(String consumer, List<Long> seqs) implements ConsumerOp {
        /** Copies {@code seqs}; rejects an empty or oversized list. */
        public AckMany {
            seqs = List.copyOf(seqs);
            if (seqs.isEmpty() || seqs.size() > MAX_SEQS) {
                throw new InvalidStreamConfigException("seqs", seqs.size() + " sequences: give 1 to " + MAX_SEQS);
            }
        }
    }

    /**
     * Negative acknowledgement: the pending events {@code seqs} (every pending event when empty) are
     * due for redelivery at once instead of after the ack wait. Sent by a consumer that lets go of
     * events it holds, e.g. a rule's runner that stops, or takes over from one that died; the delivery
     * count is not reset, so {@code maxDeliver} still bounds an event that is never taken. Sequences
     * that are not pending are ignored.
     */
    record Nak(String consumer, List<Long> seqs) implements ConsumerOp {
        /** Copies {@code seqs}; rejects an oversized list. */
        public Nak {
            seqs = List.copyOf(seqs);
            if (seqs.size() > MAX_SEQS) {
                throw new InvalidStreamConfigException("seqs", seqs.size() + " sequences: give at most " + MAX_SEQS);
            }
        }
    }

    /** Deletes a consumer and its state. */
    record Delete(String consumer) implements ConsumerOp {
    }
}
