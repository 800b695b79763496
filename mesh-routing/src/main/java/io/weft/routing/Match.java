package io.weft.routing;

import java.util.List;

/**
 * What {@link SubscriptionTrie#match(String)} found for one topic: an immutable snapshot, safe to
 * keep and iterate while the trie changes. The trie caches and shares instances between callers,
 * so a {@code Match} is never modified after it is built.
 */
public final class Match<T> {
    private static final Match<Object> EMPTY = new Match<>(List.of(), List.of());

    private final List<T> subscribers;
    private final List<QueueGroup<T>> groups;
    /**
     * Something the trie's owner derives from this match and keeps with it (the route table keeps
     * its routing decisions here): it lives exactly as long as the cached match, which the trie
     * replaces whenever an entry that matches the topic changes. The trie never reads it.
     */
    private volatile Object memo;

    Match(List<T> subscribers, List<QueueGroup<T>> groups) {
        this.subscribers = List.copyOf(subscribers);
        this.groups = List.copyOf(groups);
    }

    /** The shared empty match. */
    @SuppressWarnings("unchecked")
    public static <T> Match<T> empty() {
        return (Match<T>) EMPTY;
    }

    /**
     * Plain (non queue group) subscribers whose pattern matches, once per matching
     * (pattern, subscriber) entry: a subscriber of both {@code a.*} and {@code a.>} is listed twice
     * for {@code a.b}, since the broker delivers per subscription. Order is unspecified.
     */
    public List<T> subscribers() {
        return subscribers;
    }

    /**
     * One entry per distinct queue group name with at least one matching member; members from
     * different patterns under the same name are merged and each member appears once per group.
     * Order is unspecified.
     */
    public List<QueueGroup<T>> groups() {
        return groups;
    }

    Object memo() {
        return memo;
    }

    void memo(Object value) {
        memo = value;
    }

    /** True when nobody, plain or grouped, is interested in the topic. */
    public boolean isEmpty() {
        return subscribers.isEmpty() && groups.isEmpty();
    }

    @Override
    public String toString() {
        return "Match[subscribers=" + subscribers + ", groups=" + groups + "]";
    }
}
