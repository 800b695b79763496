package io.weft.routing;

import io.weft.protocol.Topics;
import java.util.Comparator;

/**
 * One element of a node's or a site's interest: a pattern, plain or in a queue group, with or
 * without an event filter.
 *
 * <p>Interest is a set of these: many local subscribers of the same (pattern, group, filter) make
 * one entry. Ordered by pattern, then group (plain first), then filter (none first), which is the
 * order of every list this package puts on the wire or shows to an operator.
 *
 * @param pattern    a valid {@link Topics} pattern
 * @param queueGroup the queue group name, or null for a plain subscription; never empty and free
 *                   of white space and control characters (the rules of {@link SubscriptionTrie})
 * @param filter     the canonical text of the subscription's event filter
 *                   ({@link io.weft.routing.filter.EventFilter#canonical}), or null for none: only
 *                   events the filter accepts are wanted. The canonical text is the filter's identity,
 *                   the same on every node, so equal filters make equal entries and equal digests
 */
public record InterestEntry(String pattern, String queueGroup, String filter) implements Comparable<InterestEntry> {
    private static final Comparator<InterestEntry> ORDER = Comparator
            .comparing(InterestEntry::pattern)
            .thenComparing(InterestEntry::queueGroup, Comparator.nullsFirst(Comparator.naturalOrder()))
            .thenComparing(InterestEntry::filter, Comparator.nullsFirst(Comparator.naturalOrder()));

    /**
     * @throws io.weft.protocol.InvalidTopicException when the pattern breaks the topic syntax
     * @throws IllegalArgumentException               when the queue group name is malformed or the
     *                                                filter text is empty
     */
    public InterestEntry {
        Topics.validatePattern(pattern);
        String problem = queueGroupProblem(queueGroup);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        if (filter != null && filter.isEmpty()) {
            throw new IllegalArgumentException("filter text must not be empty (null means no filter)");
        }
    }

    /** An entry without a filter. */
    public InterestEntry(String pattern, String queueGroup) {
        this(pattern, queueGroup, null);
    }

    /** A plain (non queue group) entry. */
    public static InterestEntry plain(String pattern) {
        return new InterestEntry(pattern, null, null);
    }

    /** The same pattern and group without the filter: the entry that subsumes this one. */
    InterestEntry unfiltered() {
        return filter == null ? this : new InterestEntry(pattern, queueGroup, null);
    }

    /**
     * Why {@code queueGroup} is not a valid group name, or null when it is (null, meaning plain,
     * is valid).
     */
    static String queueGroupProblem(String queueGroup) {
        if (queueGroup == null) {
            return null;
        }
        if (queueGroup.isEmpty()) {
            return "queue group name must not be empty (null means a plain subscription)";
        }
        for (int i = 0; i < queueGroup.length(); i++) {
            char c = queueGroup.charAt(i);
            if (c <= ' ' || c == 0x7f || Character.isWhitespace(c)) {
                return "queue group name holds white space or a control character at position " + i;
            }
        }
        return null;
    }

    @Override
    public int compareTo(InterestEntry o) {
        return ORDER.compare(this, o);
    }

    @Override
    public String toString() {
        String s = queueGroup == null ? pattern : pattern + "@" + queueGroup;
        return filter == null ? s : s + " where " + filter;
    }
}
