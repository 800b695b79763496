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

    /** The values of {@code keys}, in order, null for each absent one: one call for a whole batch. */
    default java.util.List<byte[]> getAll(java.util.List<byte[]> keys) {
        java.util.List<byte[]> out = new java.util.ArrayList<>(keys.size());
        for (byte[] k : keys) {
            out.add(get(k));
        }
        return out;
    }

    /** Applies every write of {@code batch} atomically: after a crash either all or none are visible. */
    void apply(Batch batch);

    /** Visits the keys {@code k} with {@code from <= k < to} in ascending order. */
    void scan(byte[] from, byte[] to, Visitor visitor);

    /** Releases the store's resources; the store is unusable afterwards. */
    @Override
    void close();
}
