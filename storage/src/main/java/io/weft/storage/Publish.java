package io.weft.storage;

import java.util.Objects;

/**
 * One event to append to a stream.
 *
 * @param source the CloudEvents {@code source} (with {@code id}, the dedupe key)
 * @param id     the CloudEvents {@code id}
 * @param topic  the topic it was published on
 * @param event  the encoded event, stored as is
 */
public record Publish(String source, String id, String topic, byte[] event) {
    /** Rejects nulls and empty dedupe keys. */
    public Publish {
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(event, "event");
        if (source == null || source.isEmpty() || id == null || id.isEmpty()) {
            throw new IllegalArgumentException("source and id must be non-empty (they are the dedupe key)");
        }
    }
}
