package io.weft.routing.filter;

import java.util.Objects;

/** The {@code not} dialect: the nested filter does not pass (so {@code not} of a failing sql filter passes). */
public final class NotFilter extends EventFilter {
    private final EventFilter filter;

    NotFilter(EventFilter filter, String path) {
        super(Objects.requireNonNull(filter, "filter").depth() + 1, path);
        this.filter = filter;
    }

    public EventFilter filter() {
        return filter;
    }

    @Override
    public boolean test(Attributes event) {
        return !filter.test(event);
    }

    @Override
    void appendCanonical(StringBuilder out) {
        out.append("{\"not\":");
        filter.appendCanonical(out);
        out.append('}');
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof NotFilter not && not.filter.equals(filter);
    }

    @Override
    public int hashCode() {
        return filter.hashCode() * 31 + 3;
    }
}
