package io.weft.routing.filter;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * The filters of a subscription: a list that ANDs its {@link EventFilter}s (the Subscriptions API's
 * {@code filters}); the empty list passes every event. Immutable.
 *
 * <p>Filters travel between nodes in the interest gossip and are covered by its digest, so a list
 * has one {@link #canonical()} text: compact JSON, object keys sorted, {@code cesql} written as
 * {@code sql}, CESQL text as the user wrote it. Equal lists have equal canonical texts, and
 * {@link #parse} of a canonical text gives an equal list.
 */
public final class EventFilters {
    private static final String PATH = "filters";
    private static final EventFilters ACCEPT_ALL = new EventFilters(List.of());

    private final List<EventFilter> filters;
    private final EventFilter[] array;
    private final String canonical;

    private EventFilters(List<EventFilter> filters) {
        this.filters = List.copyOf(filters);
        this.array = this.filters.toArray(new EventFilter[0]);
        StringBuilder out = new StringBuilder();
        FilterJson.appendList(out, this.filters);
        this.canonical = out.toString();
    }

    /** The empty list: every event passes. */
    public static EventFilters acceptAll() {
        return ACCEPT_ALL;
    }

    public static EventFilters of(List<EventFilter> filters) {
        return filters.isEmpty() ? ACCEPT_ALL : new EventFilters(filters);
    }

    /**
     * Reads the JSON list form, {@code [{"exact": {"type": "com.example.created"}}, {"sql": "amount > 100"}]}:
     * a user's input or a {@link #canonical()} text.
     *
     * @throws InvalidFilterException naming the field at fault: {@code filters[0].sql: expected ')' at position 14}
     */
    public static EventFilters parse(String json) {
        return fromJson(FilterJson.readTree(json, PATH));
    }

    /**
     * Reads the JSON list form from a tree the caller has already parsed (the {@code filters} field of a
     * subscription).
     *
     * @throws InvalidFilterException naming the field at fault
     */
    public static EventFilters fromJson(JsonNode filters) {
        return of(FilterJson.readList(filters, PATH, 1));
    }

    /**
     * A list of one {@code sql} filter, from a bare CESQL expression ({@code meshctl sub --filter 'amount > 100'}).
     *
     * @throws InvalidFilterException naming {@code filters[0].sql} when the expression is not valid
     */
    public static EventFilters sql(String expression) {
        return of(List.of(SqlFilter.of(expression, PATH + "[0].sql")));
    }

    public List<EventFilter> filters() {
        return filters;
    }

    /** Whether the list is empty, so every event passes. */
    public boolean isAcceptAll() {
        return array.length == 0;
    }

    /** Whether the event passes every filter. */
    public boolean test(Attributes event) {
        for (EventFilter filter : array) {
            if (!filter.test(event)) {
                return false;
            }
        }
        return true;
    }

    /** The canonical JSON text of the list, {@code []} when empty. */
    public String canonical() {
        return canonical;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof EventFilters list && list.canonical.equals(canonical);
    }

    @Override
    public int hashCode() {
        return canonical.hashCode();
    }

    @Override
    public String toString() {
        return canonical;
    }
}
