package io.weft.routing.filter;

/**
 * A filter document that is not a valid list of Subscriptions API filters. The message names the
 * field: {@code filters[1].all[0].exact: attribute name must not be empty}. Reject the request that
 * carried it (HTTP 400); the cause is the {@link FilterSyntaxException} when a CESQL expression is
 * at fault.
 */
public final class InvalidFilterException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final String path;
    private final String reason;

    InvalidFilterException(String path, String reason) {
        this(path, reason, null);
    }

    InvalidFilterException(String path, String reason, Throwable cause) {
        super(path + ": " + reason, cause);
        this.path = path;
        this.reason = reason;
    }

    /** The field at fault, as {@code filters[1].all[0].exact}. */
    public String path() {
        return path;
    }

    /** What is wrong with it. */
    public String reason() {
        return reason;
    }
}
