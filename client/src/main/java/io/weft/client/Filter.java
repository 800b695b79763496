package io.weft.client;

import java.util.Objects;

/**
 * An event filter for {@link MeshClient#subscribe(String, Filter, MessageHandler)}: a CESQL v1 expression
 * over the event's context attributes and extensions ({@code amount > 100 AND source LIKE '/eu/%'}), or the
 * JSON list of CloudEvents Subscriptions API filters ({@code [{"prefix": {"type": "com.example."}}]}). The
 * broker checks it and answers an invalid one with {@code INVALID_FILTER}, naming the field and position.
 */
public final class Filter {
    private final String text;

    private Filter(String text) {
        this.text = text;
    }

    /** A CESQL expression: an event passes when it evaluates to true without an error. */
    public static Filter sql(String expression) {
        Objects.requireNonNull(expression, "expression");
        if (expression.isBlank()) {
            throw new IllegalArgumentException("filter expression is empty");
        }
        if (expression.stripLeading().startsWith("[")) {
            throw new IllegalArgumentException("a CESQL expression does not start with '[': for the JSON list of "
                    + "filters use Filter.json");
        }
        return new Filter(expression);
    }

    /** The JSON list of Subscriptions API filters (exact, prefix, suffix, all, any, not, sql). */
    public static Filter json(String filters) {
        Objects.requireNonNull(filters, "filters");
        if (!filters.stripLeading().startsWith("[")) {
            throw new IllegalArgumentException("the JSON form of filters is a list: [{\"exact\": {...}}, ...]");
        }
        return new Filter(filters);
    }

    /** The text sent to the broker: a JSON list when it starts with '[', else a CESQL expression. */
    public String text() {
        return text;
    }

    @Override
    public String toString() {
        return text;
    }
}
