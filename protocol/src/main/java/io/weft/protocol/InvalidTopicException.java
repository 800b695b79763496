package io.weft.protocol;

/** A topic or pattern that breaks the syntax of {@link Topics}; the message says which rule. */
public final class InvalidTopicException extends ProtocolException {
    private static final long serialVersionUID = 1L;

    public InvalidTopicException(ErrorCode code, String message) {
        super(code, message);
    }
}
