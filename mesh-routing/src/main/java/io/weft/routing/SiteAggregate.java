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
 * ({@link PatternIndex#covers}): plain {@code orders.>} subsumes plain {@code orders.eu.*}, but
 * not {@code orders.eu.*} in group G, which a remote site must still see to route G's share.
 * Covering is transitive, so the aggregate is exactly the entries of the union that no other
 * entry of their group covers.
 *
 * <p>The union counts, per entry, how many nodes hold it. Adding or removing a node's entry costs
 * a walk of its group's {@link PatternIndex}, not a scan of the union, so a site with thousands of
 * distinct patterns recomputes nothing from scratch. Every change of the aggregate is reported to
 * an {@link EntryDiff}, and the digest follows in O(1). Not thread-safe.
 */
final class SiteAggregate {
    /** Key of the plain (no group) index: group names are never empty. */
    private static final String PLAIN = "";

    private final Map<InterestEntry, Integer> holders = new HashMap<>();
    private final Map<String, PatternIndex> indexByGroup = new HashMap<>();
    private final DigestedSet aggregate = new DigestedSet();

    /** One more node holds {@code e}; changes of the aggregate go to {@code diff}. */
    void add(InterestEntry e, EntryDiff diff) {
        int n = holders.merge(e, 1, Integer::sum);
        if (n > 1) {
            return;
        }
        String group = e.queueGroup();
        PatternIndex index = indexByGroup.computeIfAbsent(key(group), k -> new PatternIndex());
        index.add(e.pattern());
        if (index.coveredByOther(e.pattern())) {
            return;
        }
        if (aggregate.add(e)) {
            diff.added(e);
        }
        index.forEachCoveredBy(e.pattern(), q -> {
            InterestEntry covered = new InterestEntry(q, group);
            if (aggregate.remove(covered)) {
                diff.removed(covered);
            }
        });
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
        PatternIndex index = indexByGroup.get(key(group));
        index.remove(e.pattern());
        if (!aggregate.remove(e)) {
            return; // it was covered by another entry, which still covers whatever e covered
        }
        diff.removed(e);
        List<String> uncovered = new ArrayList<>();
        index.forEachCoveredBy(e.pattern(), uncovered::add);
        for (String q : uncovered) {
            if (!index.coveredByOther(q)) {
                InterestEntry freed = new InterestEntry(q, group);
                if (aggregate.add(freed)) {
                    diff.added(freed);
                }
            }
        }
        if (index.size() == 0) {
            indexByGroup.remove(key(group));
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

    private static String key(String group) {
        return group == null ? PLAIN : group;
    }
}
