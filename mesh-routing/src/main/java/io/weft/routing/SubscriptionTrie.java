package io.weft.routing;

import io.weft.protocol.Topics;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.locks.StampedLock;

/**
 * Local subscriptions of a node: which subscribers, plain or in queue groups, does a topic reach?
 *
 * <p>A trie with one node per pattern token, in the style of nats-server's sublist: each node has
 * its literal children in a {@link TokenMap}, and separate {@code *} and {@code >} children, so a
 * match walks at most the literal, the {@code *} and the {@code >} branch per topic token and its
 * cost depends on the number of tokens and of matching wildcards, not on the number of
 * subscriptions. Empty nodes are pruned on {@link #remove}, so memory follows the live
 * subscriptions under churn.
 *
 * <p><b>Concurrency.</b> Thread-safe: many concurrent {@link #match} callers (Netty event loops)
 * with concurrent {@link #add} and {@link #remove}. The trie is guarded by a {@link StampedLock}:
 * writers take the write lock, a match that misses the cache takes the read lock, and a cache hit
 * takes no lock at all. Every {@link Match} is an immutable snapshot.
 *
 * <p><b>Match cache.</b> A bounded {@link MatchCache} ({@code matchCacheCapacity} topics, 0 turns it
 * off) remembers results, empty ones included. It is kept exact by <em>targeted
 * invalidation</em> rather than a generation counter: a change to pattern {@code p} (only an add
 * or remove that really changes the trie) drops the cached topics {@code p} matches, in O(1) for a
 * literal pattern and O(capacity) for a wildcard one, so subscription churn on one tenant's topics
 * does not empty the cache for everybody else, whereas a generation counter would turn every
 * subscribe into a full cache flush. A reader stores its result while still holding the read lock
 * under which it computed it, and invalidation runs under the write lock, so a result computed
 * before a change can never be stored after that change's invalidation.
 *
 * <p>Patterns follow {@link Topics}: {@code *} matches exactly one token and {@code >}, last token
 * only, one or more tokens; neither matches the first token of an internal topic. A queue group
 * name must be non-empty and free of white space and control characters; null means a plain
 * subscription.
 *
 * @param <T> the subscriber handle (a session's subscription, a remote node...); compared with
 *            {@code equals}, must not be null
 */
public final class SubscriptionTrie<T> {
    private static final String STAR = "*";
    private static final String REST = ">";

    private final StampedLock lock = new StampedLock();
    private final Node<T> root = new Node<>();
    private final MatchCache<T> cache;
    /** Written only under the write lock; volatile so {@link #size()} reads it without locking. */
    private volatile int size;

    /**
     * @param matchCacheCapacity how many topics' results to cache (e.g. 4096); 0 disables the cache
     * @throws IllegalArgumentException when negative
     */
    public SubscriptionTrie(int matchCacheCapacity) {
        this.cache = new MatchCache<>(matchCacheCapacity);
    }

    /**
     * Subscribes {@code subscriber} to {@code pattern}, in queue group {@code queueGroup} or, when
     * that is null, as a plain subscription. Set semantics: adding an existing
     * (pattern, group, subscriber) entry changes nothing.
     *
     * @throws io.weft.protocol.InvalidTopicException when the pattern breaks the {@link Topics}
     *         syntax (the message names the rule)
     * @throws IllegalArgumentException when the queue group name is empty or holds white space
     * @throws NullPointerException when {@code subscriber} is null
     */
    public void add(String pattern, String queueGroup, T subscriber) {
        Topics.validatePattern(pattern);
        validateQueueGroup(queueGroup);
        Objects.requireNonNull(subscriber, "subscriber");
        String[] tokens = pattern.split("\\.");
        long stamp = lock.writeLock();
        try {
            Node<T> node = root;
            for (String token : tokens) {
                node = node.childOrCreate(token);
            }
            if (node.add(queueGroup, subscriber)) {
                size++;
                invalidateCache(pattern, tokens);
            }
        } finally {
            lock.unlockWrite(stamp);
        }
    }

    /**
     * Removes the (pattern, group, subscriber) entry and prunes nodes left empty.
     *
     * @return false when there was no such entry (including for an invalid pattern)
     */
    public boolean remove(String pattern, String queueGroup, T subscriber) {
        if (subscriber == null || !isValidPattern(pattern)) {
            return false;
        }
        String[] tokens = pattern.split("\\.");
        long stamp = lock.writeLock();
        try {
            if (!removeBelow(root, tokens, 0, queueGroup, subscriber)) {
                return false;
            }
            size--;
            if (size < 0) {
                throw new IllegalStateException("subscription count went negative after removing '"
                        + pattern + "'");
            }
            invalidateCache(pattern, tokens);
            return true;
        } finally {
            lock.unlockWrite(stamp);
        }
    }

    /** Removes the entry for {@code tokens[i..]} below {@code node}, pruning children left empty. */
    private static <T> boolean removeBelow(Node<T> node, String[] tokens, int i, String group, T subscriber) {
        if (i == tokens.length) {
            return node.remove(group, subscriber);
        }
        Node<T> child = node.child(tokens[i]);
        if (child == null || !removeBelow(child, tokens, i + 1, group, subscriber)) {
            return false;
        }
        if (child.isEmpty()) {
            node.removeChild(tokens[i]);
        }
        return true;
    }

    /**
     * Who is interested in {@code topic}: plain subscribers and queue groups whose patterns match.
     *
     * <p>The hot path: a cache hit takes no lock and allocates nothing. The topic is not validated
     * with an exception; any string is accepted, and one that is not a valid topic (null, empty,
     * empty tokens, wildcards, white space, too long) gets {@link Match#empty()}.
     */
    public Match<T> match(String topic) {
        if (topic == null || topic.isEmpty() || topic.length() > Topics.MAX_LENGTH) {
            return Match.empty();
        }
        int hash = topic.hashCode();
        Match<T> cached = cache.get(topic, hash);
        if (cached != null) {
            return cached;
        }
        int[] tokens = tokenize(topic);
        if (tokens == null) {
            return Match.empty();
        }
        long stamp = lock.readLock();
        try {
            Collector<T> out = new Collector<>();
            // a wildcard in the first position does not match an internal topic (see Topics)
            collect(root, topic, tokens, 0, tokens[tokens.length - 1], !Topics.isInternal(topic), out);
            Match<T> match = out.build();
            cache.put(topic, hash, match);
            return match;
        } finally {
            lock.unlockRead(stamp);
        }
    }

    /** Number of (pattern, group, subscriber) entries. */
    public int size() {
        return size;
    }

    /** Number of topics in the match cache, at most its capacity; O(capacity), for metrics. */
    public int cacheSize() {
        return cache.size();
    }

    /** Number of trie nodes, the root included: O(nodes), for memory metrics and tests. */
    int nodeCount() {
        long stamp = lock.readLock();
        try {
            return root.countNodes();
        } finally {
            lock.unlockRead(stamp);
        }
    }

    private void invalidateCache(String pattern, String[] tokens) {
        if (!cache.enabled()) {
            return;
        }
        if (Topics.hasWildcard(pattern)) {
            cache.invalidateMatching(tokens);
        } else {
            cache.invalidate(pattern);
        }
    }

    /**
     * Adds the subscribers of {@code node} and below that the topic tokens {@code i..n-1} reach,
     * through {@code node}'s wildcard children only when {@code wildcards}. Recursion depth is
     * bounded by {@link Topics#MAX_TOKENS}.
     */
    private static <T> void collect(Node<T> node, String topic, int[] tokens, int i, int n,
                                    boolean wildcards, Collector<T> out) {
        if (i == n) {
            out.addAll(node);
            return;
        }
        if (node.rest != null && wildcards) {
            out.addAll(node.rest);
        }
        if (node.star != null && wildcards) {
            collect(node.star, topic, tokens, i + 1, n, true, out);
        }
        if (node.literals != null) {
            int start = i == 0 ? 0 : tokens[2 * i - 2] + 1;
            Node<T> next = node.literals.get(topic, start, tokens[2 * i], tokens[2 * i + 1]);
            if (next != null) {
                collect(next, topic, tokens, i + 1, n, true, out);
            }
        }
    }

    /**
     * Splits a topic in one pass, checking the same rules as {@link Topics#isValidTopic}.
     *
     * @return {@code [end0, hash0, end1, hash1, ..., count]}: token {@code i} spans from the end of
     *         token {@code i-1} plus one to {@code end_i}, {@code hash_i} is its
     *         {@link String#hashCode()}, and the last element is the number of tokens; or null when
     *         {@code topic} is not a valid topic
     */
    static int[] tokenize(String topic) {
        int n = topic.length();
        if (n == 0 || n > Topics.MAX_LENGTH) {
            return null;
        }
        int[] tokens = new int[2 * Topics.MAX_TOKENS + 1];
        int count = 0;
        int start = 0;
        int hash = 0;
        for (int i = 0; i <= n; i++) {
            char c = i < n ? topic.charAt(i) : '.';
            if (c == '.') {
                if (i == start || count == Topics.MAX_TOKENS) {
                    return null;
                }
                tokens[2 * count] = i;
                tokens[2 * count + 1] = hash;
                count++;
                start = i + 1;
                hash = 0;
            } else if (c <= ' ' || c == '*' || c == '>' || c == 0x7f
                    || (c >= 0x80 && Character.isWhitespace(c))) {
                return null;
            } else {
                hash = 31 * hash + c;
            }
        }
        tokens[tokens.length - 1] = count;
        return tokens;
    }

    private static boolean isValidPattern(String pattern) {
        try {
            Topics.validatePattern(pattern);
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static void validateQueueGroup(String queueGroup) {
        if (queueGroup == null) {
            return;
        }
        if (queueGroup.isEmpty()) {
            throw new IllegalArgumentException("queue group name must not be empty (use null for a "
                    + "plain subscription)");
        }
        for (int i = 0; i < queueGroup.length(); i++) {
            char c = queueGroup.charAt(i);
            if (c <= ' ' || c == 0x7f || Character.isWhitespace(c)) {
                throw new IllegalArgumentException("queue group name '" + queueGroup.strip()
                        + "' holds white space or a control character at position " + i);
            }
        }
    }

    /** One pattern token; holds the subscribers of the pattern that ends here. */
    private static final class Node<T> {
        TokenMap<Node<T>> literals;
        Node<T> star;
        Node<T> rest;
        SubscriberSet<T> plain;
        TokenMap<SubscriberSet<T>> groups;

        Node<T> child(String token) {
            if (token.equals(STAR)) {
                return star;
            }
            if (token.equals(REST)) {
                return rest;
            }
            return literals == null ? null : literals.get(token);
        }

        Node<T> childOrCreate(String token) {
            Node<T> child = child(token);
            if (child != null) {
                return child;
            }
            child = new Node<>();
            if (token.equals(STAR)) {
                star = child;
            } else if (token.equals(REST)) {
                rest = child;
            } else {
                if (literals == null) {
                    literals = new TokenMap<>();
                }
                literals.put(token, child);
            }
            return child;
        }

        void removeChild(String token) {
            if (token.equals(STAR)) {
                star = null;
            } else if (token.equals(REST)) {
                rest = null;
            } else if (literals != null) {
                literals.remove(token);
                if (literals.isEmpty()) {
                    literals = null;
                }
            }
        }

        boolean add(String group, T subscriber) {
            if (group == null) {
                if (plain == null) {
                    plain = new SubscriberSet<>();
                }
                return plain.add(subscriber);
            }
            if (groups == null) {
                groups = new TokenMap<>();
            }
            SubscriberSet<T> members = groups.get(group);
            if (members == null) {
                members = new SubscriberSet<>();
                groups.put(group, members);
            }
            return members.add(subscriber);
        }

        boolean remove(String group, T subscriber) {
            if (group == null) {
                if (plain == null || !plain.remove(subscriber)) {
                    return false;
                }
                if (plain.isEmpty()) {
                    plain = null;
                }
                return true;
            }
            SubscriberSet<T> members = groups == null ? null : groups.get(group);
            if (members == null || !members.remove(subscriber)) {
                return false;
            }
            if (members.isEmpty()) {
                groups.remove(group);
                if (groups.isEmpty()) {
                    groups = null;
                }
            }
            return true;
        }

        int countNodes() {
            int n = 1;
            if (star != null) {
                n += star.countNodes();
            }
            if (rest != null) {
                n += rest.countNodes();
            }
            if (literals != null) {
                for (int i = 0; i < literals.slots(); i++) {
                    if (literals.keyAt(i) != null) {
                        n += literals.valueAt(i).countNodes();
                    }
                }
            }
            return n;
        }

        boolean isEmpty() {
            return literals == null && star == null && rest == null && plain == null && groups == null;
        }
    }

    /** Builds one {@link Match}; allocates only for what it finds. */
    private static final class Collector<T> {
        private List<T> plain;
        private Map<String, LinkedHashSet<T>> groups;

        void addAll(Node<T> node) {
            if (node.plain != null) {
                if (plain == null) {
                    plain = new ArrayList<>();
                }
                node.plain.addTo(plain);
            }
            TokenMap<SubscriberSet<T>> nodeGroups = node.groups;
            if (nodeGroups != null) {
                if (groups == null) {
                    groups = new LinkedHashMap<>();
                }
                for (int i = 0; i < nodeGroups.slots(); i++) {
                    String name = nodeGroups.keyAt(i);
                    if (name != null) {
                        nodeGroups.valueAt(i).addTo(groups.computeIfAbsent(name, k -> new LinkedHashSet<>()));
                    }
                }
            }
        }

        Match<T> build() {
            if (plain == null && groups == null) {
                return Match.empty();
            }
            List<QueueGroup<T>> queueGroups = new ArrayList<>(groups == null ? 0 : groups.size());
            if (groups != null) {
                for (Map.Entry<String, LinkedHashSet<T>> e : groups.entrySet()) {
                    queueGroups.add(new QueueGroup<>(e.getKey(), List.copyOf(e.getValue())));
                }
            }
            return new Match<>(plain == null ? List.of() : plain, queueGroups);
        }
    }
}
