package io.weft.client;

/**
 * A durable publish gave up without knowing whether the stream stored the event: an attempt went
 * out and no answer came (timeout, lost connection), or the broker said the stream may have stored
 * it. Publishing the same event again is safe: the stream drops duplicates by source and id, and
 * answers a duplicate with the original sequence.
 */
public final class OutcomeUnknownException extends MeshException {
    private static final long serialVersionUID = 1L;

    public OutcomeUnknownException(String message) {
        super(message);
    }
}
