package io.weft.routing;

import io.weft.routing.filter.Attributes;
import java.util.List;

/**
 * The verdicts of filters on one event, each filter evaluated at most once however many destinations
 * name it (a filter costs once per event per distinct filter, not per subscriber or queue group member).
 * One per event, on the thread that routes it: the broker's local delivery, the routing decision (queue
 * group members with filters, {@link InterestEngine#route(String, Origin, java.util.Set, java.util.Set,
 * FilterVerdicts)}) and the forwarding conditions share it. Nothing is evaluated, and nothing but this
 * object allocated, until a filter is asked about. Not thread-safe.
 */
public final class FilterVerdicts {
    private final Attributes event;
    private String[] filters;
    private boolean[] verdicts;
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
        if (filters == null) {
            filters = new String[4];
            verdicts = new boolean[4];
        } else if (size == filters.length) {
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
