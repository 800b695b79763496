package io.weft.broker.rules;

/**
 * A subscription's {@code delivery}, {@code protocolsettings} or {@code transform} is invalid. It names
 * the offending member by its path ({@code delivery.backoffDelay}, {@code transform.inputs.id},
 * {@code protocolsettings.headers.Content-Type}) so the API can answer a 400 problem whose
 * {@code field} points at it. The message is {@code "<field>: <detail>"}.
 *
 * <p>Expected control flow for bad input: no stack trace.
 */
public final class InvalidRuleException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String field;
    private final String detail;

    public InvalidRuleException(String field, String detail) {
        super(field + ": " + detail, null, false, false);
        this.field = field;
        this.detail = detail;
    }

    /** The path of the offending member, e.g. {@code delivery.backoffDelay}. */
    public String field() {
        return field;
    }

    /** What is wrong, without the field. */
    public String detail() {
        return detail;
    }

    /** The same problem under an enclosing path: {@code at("subscriptions[2]")} on {@code delivery.retry}. */
    public InvalidRuleException at(String prefix) {
        return new InvalidRuleException(prefix + "." + field, detail);
    }
}
