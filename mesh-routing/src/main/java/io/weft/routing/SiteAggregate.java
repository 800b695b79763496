package io.weft.routing;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A site's aggregated interest, kept up to date incrementally as its nodes' entries come and go:
 * the union of the nodes' entries with subsumed entries removed.
 *
 * <p>Entry {@code e} is subsumed when another entry of the union with the <em>same</em> queue
 * group (both plain, or both group G) has a pattern that covers {@code e}'s pattern
 * ({@link PatternIndex#covers}) and a filter that lets through whatever {@code e}'s filter does:
 * <ul>
 *   <li>the same filter (or both none): plain {@code orders.>} subsumes plain {@code orders.eu.*},
 *       and {@code orders.>} where F subsumes {@code orders.eu.*} where F;</li>
 *   <li>no filter at all: {@code orders.>} subsumes {@code orders.eu.*} where F, and {@code orders.eu.*}
 *       subsumes {@code orders.eu.*} where F (the same pattern).</li>
 * </ul>
 * Filters are not compared beyond identity (whether one CESQL expression implies another is not
 * decided): two different filters on one pattern stay two entries, and a remote site sends an event
 * when either accepts it, which is their union. An entry in group G is never subsumed by a plain
 * one, which a remote site must still see to route G's share. Covering is transitive, so the
 * aggregate is exactly the entries of the union that no other entry covers.
 *
 * <p>The union counts, per entry, how many nodes hold it. Adding or removing a node's entry costs
 * a walk of the {@link PatternIndex} of its (group, filter), and for an entry without a filter of
 * its group's filtered indexes, not a scan of the union, so a site with thousands of distinct
 * patterns recomputes nothing from scratch. Every change of the aggregate is reported to an
 * {@link EntryDiff}, and the digest follows in O(1). Not thread-safe.
 */
final class SiteAggregate {
    /** Key of the plain (no group) indexes, and of the no-filter index of a group: names are never empty. */
    private static final String NONE = "";

    private final Map<InterestEntry, Integer> holders = new HashMap<>();
    /** Group key, then filter key, to the patterns of that (group, filter) in the union. */
    private final Map<String, Map<String, PatternIndex>> indexes = new HashMap<>();
    private final DigestedSet aggregate = new DigestedSet();

    /** One more node holds {@code e}; changes of the aggregate go to {@code diff}. */
    void add(InterestEntry e, EntryDiff diff) {
        int n = holders.merge(e, 1, Integer::sum);
        if (n > 1) {
            return;
        }
        Map<String, PatternIndex> byFilter = indexes.computeIfAbsent(key(e.queueGroup()), k -> new HashMap<>());
        PatternIndex index = byFilter.computeIfAbsent(key(e.filter()), k -> new PatternIndex());
        index.add(e.pattern());
        if (covered(e.pattern(), e.queueGroup(), e.filter())) {
            return;
        }
        if (aggregate.add(e)) {
            diff.added(e);
        }
        index.forEachCoveredBy(e.pattern(), q -> drop(new InterestEntry(q, e.queueGroup(), e.filter()), diff));
        if (e.filter() == null) {
            // without a filter it also subsumes every filtered entry of its group it covers, same pattern included
            byFilter.forEach((f, other) -> {
                if (!f.equals(NONE)) {
                    forEachCoveredOrEqual(other, e.pattern(), q -> drop(new InterestEntry(q, e.queueGroup(), f), diff));
                }
            });
        }
    }

    /** One node fewer holds {@code e}; changes of the aggregate go to {@code diff}. */
    void remove(InterestEntry e, EntryDiff diff) {
        Integer n = holders.get(e);
        if (n == null) {
            throw new IllegalStateException("site aggregate: removing " + e + " that no node holds");
        }
        if (n > 1) {
            holders.put(e, n - 1);
            return;
        }
        holders.remove(e);
        String group = e.queueGroup();
        Map<String, PatternIndex> byFilter = indexes.get(key(group));
        PatternIndex index = byFilter.get(key(e.filter()));
        index.remove(e.pattern());
        if (index.size() == 0) {
            byFilter.remove(key(e.filter()));
            if (byFilter.isEmpty()) {
                indexes.remove(key(group));
            }
        }
        if (!aggregate.remove(e)) {
            return; // it was covered by another entry, which still covers whatever e covered
        }
        diff.removed(e);
        List<InterestEntry> freed = new ArrayList<>();
        if (index.size() > 0) {
            index.forEachCoveredBy(e.pattern(), q -> freed.add(new InterestEntry(q, group, e.filter())));
        }
        if (e.filter() == null) {
            byFilter.forEach((f, other) -> {
                if (!f.equals(NONE)) {
                    forEachCoveredOrEqual(other, e.pattern(), q -> freed.add(new InterestEntry(q, group, f)));
                }
            });
        }
        for (InterestEntry q : freed) {
            if (!covered(q.pattern(), group, q.filter()) && aggregate.add(q)) {
                diff.added(q);
            }
        }
    }

    /** Whether another entry of the union subsumes (pattern, group, filter), itself in the union. */
    private boolean covered(String pattern, String group, String filter) {
        Map<String, PatternIndex> byFilter = indexes.get(key(group));
        if (byFilter == null) {
            return false;
        }
        PatternIndex same = byFilter.get(key(filter));
        if (same != null && same.coveredByOther(pattern)) {
            return true;
        }
        if (filter == null) {
            return false;
        }
        PatternIndex unfiltered = byFilter.get(NONE);
        return unfiltered != null && (unfiltered.contains(pattern) || unfiltered.coveredByOther(pattern));
    }

    private static void forEachCoveredOrEqual(PatternIndex index, String p, java.util.function.Consumer<String> out) {
        if (index.contains(p)) {
            out.accept(p);
        }
        index.forEachCoveredBy(p, out);
    }

    private void drop(InterestEntry covered, EntryDiff diff) {
        if (aggregate.remove(covered)) {
            diff.removed(covered);
        }
    }

    long digest() {
        return aggregate.digest();
    }

    long hashSum() {
        return aggregate.hashSum();
    }

    int size() {
        return aggregate.size();
    }

    /** The aggregated entries, sorted. */
    List<InterestEntry> sorted() {
        return aggregate.sorted();
    }

    boolean contains(InterestEntry e) {
        return aggregate.contains(e);
    }

    /** Number of distinct entries over all nodes of the site (before subsumption). */
    int unionSize() {
        return holders.size();
    }

    private static String key(String groupOrFilter) {
        return groupOrFilter == null ? NONE : groupOrFilter;
    }
}
