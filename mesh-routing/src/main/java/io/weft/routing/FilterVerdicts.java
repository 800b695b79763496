package io.weft.routing;

import io.weft.routing.filter.Attributes;
import java.util.List;

/**
 * The verdicts of filters on one event, each filter evaluated at most once however many destinations
 * name it (a filter costs once per event per distinct filter, not per subscriber). One per event, on the
 * thread that routes it. Not thread-safe.
 */
public final class FilterVerdicts {
    private final Attributes event;
    private String[] filters = new String[4];
    private boolean[] verdicts = new boolean[4];
    private int size;
    private int evaluated;

    public FilterVerdicts(Attributes event) {
        this.event = event;
    }

    /** Whether one of the filters (canonical texts) accepts the event. */
    public boolean anyAccepts(List<String> canonicals) {
        for (int i = 0; i < canonicals.size(); i++) {
            if (accepts(canonicals.get(i))) {
                return true;
            }
        }
        return false;
    }

    /** Whether the filter (canonical text) accepts the event. */
    public boolean accepts(String canonical) {
        for (int i = 0; i < size; i++) {
            if (filters[i].equals(canonical)) {
                return verdicts[i];
            }
        }
        boolean v = CompiledFilters.of(canonical).test(event);
        evaluated++;
        if (size == filters.length) {
            filters = java.util.Arrays.copyOf(filters, size * 2);
            verdicts = java.util.Arrays.copyOf(verdicts, size * 2);
        }
        filters[size] = canonical;
        verdicts[size++] = v;
        return v;
    }

    /** Filters evaluated so far (each distinct filter once). */
    public int evaluated() {
        return evaluated;
    }
}
