package io.weft.routing.filter;

/**
 * A CESQL expression that cannot be parsed (the specification's ParseError), or one that can never
 * pass as a filter. The message is the reason and the 0-based position in the expression, counted in
 * Unicode characters: {@code expected ')' at position 14}. Reject the filter that holds it.
 */
public final class FilterSyntaxException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final String reason;
    private final int position;

    FilterSyntaxException(String reason, int position) {
        super(reason + " at position " + position);
        this.reason = reason;
        this.position = position;
    }

    /** What is wrong, without the position: {@code expected ')'}. */
    public String reason() {
        return reason;
    }

    /** The 0-based position in the expression (in Unicode characters) where the problem is. */
    public int position() {
        return position;
    }
}
