package io.weft.routing.filter;

import java.util.List;

/** The {@code all} dialect: every nested filter passes. Holds at least one. */
public final class AllFilter extends EventFilter {
    private final List<EventFilter> filters;
    private final EventFilter[] array;

    AllFilter(List<EventFilter> filters, String path) {
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
            if (!filter.test(event)) {
                return false;
            }
        }
        return true;
    }

    @Override
    void appendCanonical(StringBuilder out) {
        out.append("{\"all\":");
        FilterJson.appendList(out, filters);
        out.append('}');
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof AllFilter all && all.filters.equals(filters);
    }

    @Override
    public int hashCode() {
        return filters.hashCode() * 31 + 1;
    }
}
