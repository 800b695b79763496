package io.weft.protocol;

/**
 * Stable error codes carried by ERR frames. The numeric code is the contract; the name and text are
 * for people. A fatal error is followed by the broker closing the connection.
 */
public enum ErrorCode {
    PROTOCOL_ERROR(1, true, "protocol error"),
    UNSUPPORTED_VERSION(2, true, "unsupported protocol version"),
    FRAME_TOO_LARGE(3, true, "frame too large"),
    UNKNOWN_FRAME(4, true, "unknown frame type"),
    INVALID_TOPIC(5, true, "invalid topic"),
    INVALID_PATTERN(6, true, "invalid pattern"),
    INVALID_EVENT(7, true, "invalid event"),
    SLOW_CONSUMER(8, true, "slow consumer"),
    HANDSHAKE_TIMEOUT(9, true, "handshake timeout"),
    TOO_MANY_SUBSCRIPTIONS(10, false, "too many subscriptions"),
    UNKNOWN_SUBSCRIPTION(11, false, "unknown subscription"),
    SHUTTING_DOWN(12, true, "broker shutting down"),
    INTERNAL(13, true, "internal error"),
    DUPLICATE_SUBSCRIPTION(14, false, "subscription id already in use"),
    /** A mesh peer whose certificate does not name the node, site or mesh it announced. */
    IDENTITY_MISMATCH(15, true, "identity mismatch"),
    /** The broker requires authentication and the connection has not authenticated (or cannot: protocol 2 or older). */
    AUTH_REQUIRED(16, true, "authentication required"),
    /** AUTH with a wrong user, password or token. */
    AUTH_FAILED(17, true, "authentication failed"),
    /** A publish, subscription or request the user's permissions do not allow; the connection stays open. */
    PERMISSION_DENIED(18, false, "permission denied"),
    /** The credential the connection authenticated with expired (a JWT's exp): connect again with a new one. */
    AUTH_EXPIRED(19, true, "authentication expired"),
    /** A reloaded security config removed the user or changed the credential it authenticated with. */
    AUTH_REVOKED(20, true, "authentication revoked"),
    /** A plaintext HELLO on the client port of a broker that runs TLS; sent in plaintext, then the connection closes. */
    TLS_REQUIRED(21, true, "TLS required"),
    /** A SUB whose event filter is not valid (the message names the field and position); the connection stays open. */
    INVALID_FILTER(22, false, "invalid filter");

    private static final ErrorCode[] BY_CODE = byCode();

    private static ErrorCode[] byCode() {
        int max = 0;
        for (ErrorCode c : values()) {
            max = Math.max(max, c.code);
        }
        ErrorCode[] table = new ErrorCode[max + 1];
        for (ErrorCode c : values()) {
            table[c.code] = c;
        }
        return table;
    }

    private final int code;
    private final boolean fatal;
    private final String text;

    ErrorCode(int code, boolean fatal, String text) {
        this.code = code;
        this.fatal = fatal;
        this.text = text;
    }

    public int code() {
        return code;
    }

    /** True when the broker closes the connection after sending this error. */
    public boolean fatal() {
        return fatal;
    }

    /** Short human text, e.g. {@code "slow consumer"}. */
    public String text() {
        return text;
    }

    /** The code for a number read off the wire; {@link #INTERNAL} for codes this version does not know. */
    public static ErrorCode of(int code) {
        if (code > 0 && code < BY_CODE.length && BY_CODE[code] != null) {
            return BY_CODE[code];
        }
        return INTERNAL;
    }
}
