package io.weft.storage;

/**
 * A store written in an on-disk format this build cannot read (or not a stream store at all).
 * The operator must use a build that reads that version, or restore the replica from its peers.
 */
public final class StoreFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception with a message naming the store and both versions. */
    public StoreFormatException(String message) {
        super(message);
    }
}
