package io.weft.routing;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A set of interest entries that keeps its digest ({@link Hash64#setDigest}) up to date in O(1)
 * per change. Not thread-safe.
 */
final class DigestedSet {
    private final Set<InterestEntry> entries = new HashSet<>();
    private long hashSum;

    /** Adds {@code e}; false when it was present. */
    boolean add(InterestEntry e) {
        if (!entries.add(e)) {
            return false;
        }
        hashSum += Hash64.entry(e);
        return true;
    }

    /** Removes {@code e}; false when it was absent. */
    boolean remove(InterestEntry e) {
        if (!entries.remove(e)) {
            return false;
        }
        hashSum -= Hash64.entry(e);
        return true;
    }

    boolean contains(InterestEntry e) {
        return entries.contains(e);
    }

    int size() {
        return entries.size();
    }

    long hashSum() {
        return hashSum;
    }

    long digest() {
        return Hash64.setDigest(hashSum, entries.size());
    }

    /** The entries, sorted: a fresh list. */
    List<InterestEntry> sorted() {
        List<InterestEntry> list = new ArrayList<>(entries);
        Collections.sort(list);
        return list;
    }

    /** The live set, read-only by convention: callers must not modify it. */
    Set<InterestEntry> view() {
        return Collections.unmodifiableSet(entries);
    }

    /** The digest of any collection of distinct entries, computed from scratch. */
    static long digestOf(Iterable<InterestEntry> distinctEntries) {
        long sum = 0;
        int n = 0;
        for (InterestEntry e : distinctEntries) {
            sum += Hash64.entry(e);
            n++;
        }
        return Hash64.setDigest(sum, n);
    }
}
