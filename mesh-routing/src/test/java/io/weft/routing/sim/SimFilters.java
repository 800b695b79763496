package io.weft.routing.sim;

import io.weft.routing.filter.EventFilter;
import io.weft.routing.filter.EventFilters;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Predicate;

/**
 * The event filters simulated subscriptions draw from. Each is a canonical text, which the interest
 * entry carries and the engine's {@link io.weft.routing.FilterVerdicts} evaluates as the broker does,
 * and a reference predicate written here in plain Java, independently of the filter engine, which
 * the simulation's oracle uses. The set is small on purpose: a site then holds one filter on several
 * nodes (aggregated into one entry), and the filters overlap, so one event is accepted by some and
 * rejected by others.
 */
final class SimFilters {
    /** A filter: its canonical text and what it should accept. */
    record Filter(String canonical, Predicate<SimEvent> reference) {
    }

    static final List<Filter> FILTERS = List.of(
            new Filter(EventFilters.sql("amount > 100").canonical(), e -> e.amount() != null && e.amount() > 100),
            // a missing amount is an error, which fails the filter though its zero value (0) would pass
            new Filter(EventFilters.sql("amount < 50").canonical(), e -> e.amount() != null && e.amount() < 50),
            new Filter(list(exact("type", SimEvent.TYPES.get(0))), e -> e.type().equals(SimEvent.TYPES.get(0))),
            new Filter(list(exact("type", SimEvent.TYPES.get(1))), e -> e.type().equals(SimEvent.TYPES.get(1))),
            new Filter(list(EventFilter.prefix(Map.of("source", "/eu/"))), e -> e.source().startsWith("/eu/")),
            new Filter(list(exact("type", SimEvent.TYPES.get(0)), EventFilter.sql("amount > 500")),
                    e -> e.type().equals(SimEvent.TYPES.get(0)) && e.amount() != null && e.amount() > 500));

    private static final Map<String, Predicate<SimEvent>> BY_TEXT = new HashMap<>();

    static {
        for (Filter f : FILTERS) {
            if (BY_TEXT.put(f.canonical(), f.reference()) != null) {
                throw new IllegalStateException("two simulated filters share the text " + f.canonical());
            }
        }
    }

    private SimFilters() {
    }

    /** The canonical text of one filter of the set, drawn uniformly. */
    static String random(SplittableRandom random) {
        return FILTERS.get(random.nextInt(FILTERS.size())).canonical();
    }

    /** Whether the filter (a canonical text of the set, or null for none) accepts the event, per the reference. */
    static boolean accepts(String canonical, SimEvent event) {
        if (canonical == null) {
            return true;
        }
        Predicate<SimEvent> reference = BY_TEXT.get(canonical);
        if (reference == null) {
            throw new IllegalArgumentException("not a simulated filter: " + canonical);
        }
        return reference.test(event);
    }

    private static EventFilter exact(String attribute, String value) {
        return EventFilter.exact(Map.of(attribute, value));
    }

    private static String list(EventFilter... filters) {
        return EventFilters.of(List.of(filters)).canonical();
    }
}
