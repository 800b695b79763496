package io.weft.routing.filter;

import java.util.List;
import java.util.Map;

/**
 * One filter of the CloudEvents Subscriptions API (section 3.2.4.1 of its specification): an
 * immutable tree, safe to test from many threads at once. A subscription holds a list of them,
 * {@link EventFilters}, which ANDs them.
 *
 * <ul>
 *   <li>{@link AttributeFilter}: {@code exact}, {@code prefix}, {@code suffix};</li>
 *   <li>{@link AllFilter}, {@link AnyFilter}: {@code all}, {@code any} of one or more filters;</li>
 *   <li>{@link NotFilter}: {@code not} of one filter;</li>
 *   <li>{@link SqlFilter}: {@code sql}, a CESQL expression ({@code cesql}, Knative's name, is read as
 *       an alias).</li>
 * </ul>
 *
 * Equal trees are {@link #equals equal} and have the same {@link #canonical()} form. The factories
 * here check their input as the JSON reader does ({@link EventFilters#parse}) and throw
 * {@link InvalidFilterException} naming the dialect at fault.
 */
public abstract sealed class EventFilter permits AttributeFilter, AllFilter, AnyFilter, NotFilter, SqlFilter {
    /** The deepest nesting of {@code all}, {@code any} and {@code not} a filter may have. */
    public static final int MAX_DEPTH = 32;

    private final int depth;

    EventFilter(int depth, String path) {
        if (depth > MAX_DEPTH) {
            throw new InvalidFilterException(path, "filters nested more than " + MAX_DEPTH + " levels deep");
        }
        this.depth = depth;
    }

    /** Whether the event passes this filter. */
    public abstract boolean test(Attributes event);

    /**
     * The filter as compact JSON, deterministic: object keys sorted, no whitespace, {@code cesql}
     * written as {@code sql}, CESQL text as written. {@link EventFilters#parse} reads it back.
     */
    public final String canonical() {
        StringBuilder out = new StringBuilder();
        appendCanonical(out);
        return out.toString();
    }

    abstract void appendCanonical(StringBuilder out);

    /** Levels of nesting, 1 for a leaf. */
    final int depth() {
        return depth;
    }

    @Override
    public final String toString() {
        return canonical();
    }

    /** Every attribute has exactly the value (case-sensitive). */
    public static EventFilter exact(Map<String, String> attributes) {
        return AttributeFilter.of(AttributeFilter.Match.EXACT, attributes, "exact");
    }

    /** Every attribute's value starts with the string (case-sensitive). */
    public static EventFilter prefix(Map<String, String> attributes) {
        return AttributeFilter.of(AttributeFilter.Match.PREFIX, attributes, "prefix");
    }

    /** Every attribute's value ends with the string (case-sensitive). */
    public static EventFilter suffix(Map<String, String> attributes) {
        return AttributeFilter.of(AttributeFilter.Match.SUFFIX, attributes, "suffix");
    }

    /** Every filter passes; at least one. */
    public static EventFilter all(List<EventFilter> filters) {
        return new AllFilter(filters, "all");
    }

    /** At least one filter passes; at least one. */
    public static EventFilter any(List<EventFilter> filters) {
        return new AnyFilter(filters, "any");
    }

    /** The filter does not pass. */
    public static EventFilter not(EventFilter filter) {
        return new NotFilter(filter, "not");
    }

    /** The CESQL expression is the Boolean true without error ({@link Cesql#parseFilter}). */
    public static EventFilter sql(String expression) {
        return SqlFilter.of(expression, "sql");
    }

    static int maxDepth(List<EventFilter> filters) {
        int max = 0;
        for (EventFilter filter : filters) {
            max = Math.max(max, filter.depth());
        }
        return max;
    }
}
