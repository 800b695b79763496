package io.weft.routing.filter;

import java.util.List;

/** The {@code any} dialect: at least one nested filter passes. Holds at least one. */
public final class AnyFilter extends EventFilter {
    private final List<EventFilter> filters;
    private final EventFilter[] array;

    AnyFilter(List<EventFilter> filters, String path) {
        super(maxDepth(filters) + 1, path);
        if (filters.isEmpty()) {
            throw new InvalidFilterException(path, "must hold at least one filter");
        }
        this.filters = List.copyOf(filters);
        this.array = this.filters.toArray(new EventFilter[0]);
    }

    public List<EventFilter> filters() {
        return filters;
    }

    @Override
    public boolean test(Attributes event) {
        for (EventFilter filter : array) {
            if (filter.test(event)) {
                return true;
            }
        }
        return false;
    }

    @Override
    void appendCanonical(StringBuilder out) {
        out.append("{\"any\":");
        FilterJson.appendList(out, filters);
        out.append('}');
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof AnyFilter any && any.filters.equals(filters);
    }

    @Override
    public int hashCode() {
        return filters.hashCode() * 31 + 2;
    }
}
