package io.weft.routing;

import io.weft.routing.filter.EventFilters;
import io.weft.routing.filter.InvalidFilterException;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Filters by their canonical text, parsed once: interest entries carry the text (their identity on
 * every node), routing needs the evaluator. Bounded: past {@link #MAX} distinct texts the cache starts
 * over, so a flood of distinct filters costs parsing, never memory. Thread-safe.
 */
public final class CompiledFilters {
    static final int MAX = 4096;
    private static final ConcurrentHashMap<String, EventFilters> CACHE = new ConcurrentHashMap<>();

    private CompiledFilters() {
    }

    /**
     * The filter list whose canonical text is {@code canonical}.
     *
     * @throws InvalidFilterException when the text is not a valid filter list
     */
    public static EventFilters of(String canonical) {
        EventFilters f = CACHE.get(canonical);
        if (f != null) {
            return f;
        }
        f = EventFilters.parse(canonical);
        if (CACHE.size() >= MAX) {
            CACHE.clear();
        }
        CACHE.put(canonical, f);
        return f;
    }

    /**
     * Why {@code text} cannot be an entry's filter, or null when it can: it must be a valid filter list
     * that is not empty (an entry with no filter has none) and already in canonical form, so that equal
     * filters are equal texts on every node.
     */
    static String canonicalProblem(String text) {
        EventFilters f;
        try {
            f = of(text);
        } catch (InvalidFilterException e) {
            return "is not valid: " + e.getMessage();
        }
        if (f.isAcceptAll()) {
            return "is empty (an entry without a filter has none)";
        }
        if (!f.canonical().equals(text)) {
            return "is not in canonical form";
        }
        return null;
    }
}
