package io.weft.routing;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * This node's own interest: local subscribers counted per entry (the first subscriber of an entry
 * adds it, the last one gone removes it), the changes not yet announced, and the
 * <em>published</em> set and version, which is what site peers hold once every delta sent so far
 * has arrived. Not thread-safe.
 */
final class LocalInterest {
    private final Map<InterestEntry, Integer> subscribers = new HashMap<>();
    private final EntryDiff pending = new EntryDiff();
    private final Set<InterestEntry> published = new HashSet<>();
    private long version;

    /** One more local subscriber of {@code e}; true when {@code e} entered the interest. */
    boolean subscribe(InterestEntry e) {
        if (subscribers.merge(e, 1, Integer::sum) > 1) {
            return false;
        }
        pending.added(e);
        return true;
    }

    /**
     * One local subscriber of {@code e} fewer; true when {@code e} left the interest, false when
     * others remain or when {@code e} had no subscriber (an unbalanced call changes nothing).
     */
    boolean unsubscribe(InterestEntry e) {
        Integer n = subscribers.get(e);
        if (n == null) {
            return false;
        }
        if (n > 1) {
            subscribers.put(e, n - 1);
            return false;
        }
        subscribers.remove(e);
        pending.removed(e);
        return true;
    }

    boolean hasPending() {
        return !pending.isEmpty();
    }

    int pendingSize() {
        return pending.size();
    }

    /** Takes the pending changes as the next batch and makes them part of the published set. */
    EntryDiff.Chunk takeBatch() {
        List<InterestEntry> added = pending.sortedAdded();
        List<InterestEntry> removed = pending.sortedRemoved();
        pending.clear();
        published.removeAll(removed);
        published.addAll(added);
        return new EntryDiff.Chunk(added, removed);
    }

    /** Advances the published version by one (one delta) and returns it. */
    long nextVersion() {
        return ++version;
    }

    long version() {
        return version;
    }

    List<InterestEntry> publishedSorted() {
        List<InterestEntry> list = new ArrayList<>(published);
        Collections.sort(list);
        return list;
    }

    /** The current entries, announced or not, sorted. */
    List<InterestEntry> currentSorted() {
        List<InterestEntry> list = new ArrayList<>(subscribers.keySet());
        Collections.sort(list);
        return list;
    }

    /** Local subscribers of {@code e}. */
    int subscribers(InterestEntry e) {
        return subscribers.getOrDefault(e, 0);
    }
}
