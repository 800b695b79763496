package io.weft.storage;

/**
 * A sorted key-value store holding one stream replica. Keys compare as unsigned bytes
 * (lexicographically), so big-endian numbers sort numerically. Not thread-safe: the stream's
 * state machine is its only writer.
 */
public interface StreamStore extends AutoCloseable {

    /** What a scan calls for each key in order; returns false to stop. */
    @FunctionalInterface
    interface Visitor {
        /** Sees one entry; the arrays are the caller's to keep. Returns false to stop the scan. */
        boolean visit(byte[] key, byte[] value);
    }

    /** The value of {@code key}, or null when absent. */
    byte[] get(byte[] key);

    /** Applies every write of {@code batch} atomically: after a crash either all or none are visible. */
    void apply(Batch batch);

    /** Visits the keys {@code k} with {@code from <= k < to} in ascending order. */
    void scan(byte[] from, byte[] to, Visitor visitor);

    /** Releases the store's resources; the store is unusable afterwards. */
    @Override
    void close();
}
