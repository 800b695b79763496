package io.weft.storage;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Writes that a {@link StreamStore} applies atomically, in the order they were added (a put
 * followed by a delete of the same key leaves the key absent). Keys compare as unsigned bytes.
 * A batch keeps the arrays it is given, without copying them (it is on the path of every stored
 * event): do not change them afterwards.
 */
public final class Batch {
    /** What an {@link Op} does. */
    public enum Kind { PUT, DELETE, DELETE_RANGE }

    /**
     * One write: {@code value} is the value of a PUT and the exclusive end key of a DELETE_RANGE.
     *
     * @param kind  the kind of write
     * @param key   the key (the inclusive start of a DELETE_RANGE)
     * @param value the value, the range end, or null for a DELETE
     */
    public record Op(Kind kind, byte[] key, byte[] value) {
    }

    private final List<Op> ops = new ArrayList<>();

    /** Sets {@code key} to {@code value}. */
    public Batch put(byte[] key, byte[] value) {
        ops.add(new Op(Kind.PUT, key, value));
        return this;
    }

    /** Removes {@code key}. */
    public Batch delete(byte[] key) {
        ops.add(new Op(Kind.DELETE, key, null));
        return this;
    }

    /** Removes every key {@code k} with {@code from <= k < to}. */
    public Batch deleteRange(byte[] from, byte[] to) {
        ops.add(new Op(Kind.DELETE_RANGE, from, to));
        return this;
    }

    /** The writes in order. */
    public List<Op> ops() {
        return Collections.unmodifiableList(ops);
    }

    /** True when nothing was added. */
    public boolean isEmpty() {
        return ops.isEmpty();
    }
}
