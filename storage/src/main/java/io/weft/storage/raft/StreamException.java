package io.weft.storage.raft;

/** A stream operation failed; the message says why, in words a user can act on. */
public final class StreamException extends RuntimeException {
    public StreamException(String message) {
        super(message);
    }

    public StreamException(String message, Throwable cause) {
        super(message, cause);
    }
}
