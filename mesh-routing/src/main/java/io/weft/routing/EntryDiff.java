package io.weft.routing;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The net change between two interest sets, accumulated one step at a time: adding an entry whose
 * removal is pending cancels the removal and vice versa, so a subscribe and unsubscribe of the
 * same entry within one batch leave nothing to send. Not thread-safe.
 */
final class EntryDiff {
    private final Set<InterestEntry> added = new LinkedHashSet<>();
    private final Set<InterestEntry> removed = new LinkedHashSet<>();

    /** Records that {@code e} entered the set. */
    void added(InterestEntry e) {
        if (!removed.remove(e)) {
            added.add(e);
        }
    }

    /** Records that {@code e} left the set. */
    void removed(InterestEntry e) {
        if (!added.remove(e)) {
            removed.add(e);
        }
    }

    boolean isEmpty() {
        return added.isEmpty() && removed.isEmpty();
    }

    int size() {
        return added.size() + removed.size();
    }

    /** The added entries, sorted. */
    List<InterestEntry> sortedAdded() {
        return sorted(added);
    }

    /** The removed entries, sorted. */
    List<InterestEntry> sortedRemoved() {
        return sorted(removed);
    }

    void clear() {
        added.clear();
        removed.clear();
    }

    private static List<InterestEntry> sorted(Set<InterestEntry> s) {
        List<InterestEntry> list = new ArrayList<>(s);
        Collections.sort(list);
        return list;
    }

    /**
     * Splits a change into chunks of at most {@code max} entries each (removals first), so that no
     * single message grows with the size of a burst.
     */
    static List<Chunk> chunks(List<InterestEntry> added, List<InterestEntry> removed, int max) {
        List<Chunk> out = new ArrayList<>();
        int a = 0;
        int r = 0;
        while (a < added.size() || r < removed.size()) {
            int takeRemoved = Math.min(max, removed.size() - r);
            int takeAdded = Math.min(max - takeRemoved, added.size() - a);
            out.add(new Chunk(List.copyOf(added.subList(a, a + takeAdded)),
                    List.copyOf(removed.subList(r, r + takeRemoved))));
            a += takeAdded;
            r += takeRemoved;
        }
        return out;
    }

    /** One bounded piece of a change. */
    record Chunk(List<InterestEntry> added, List<InterestEntry> removed) {
    }
}
