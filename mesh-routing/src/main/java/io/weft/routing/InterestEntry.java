package io.weft.routing;

import io.weft.protocol.Topics;
import java.util.Comparator;

/**
 * One element of a node's or a site's interest: a pattern, plain or in a queue group.
 *
 * <p>Interest is a set of these: many local subscribers of the same (pattern, group) make one
 * entry. Ordered by pattern, then group (plain first), which is the order of every list this
 * package puts on the wire or shows to an operator.
 *
 * @param pattern    a valid {@link Topics} pattern
 * @param queueGroup the queue group name, or null for a plain subscription; never empty and free
 *                   of white space and control characters (the rules of {@link SubscriptionTrie})
 */
public record InterestEntry(String pattern, String queueGroup) implements Comparable<InterestEntry> {
    private static final Comparator<InterestEntry> ORDER = Comparator
            .comparing(InterestEntry::pattern)
            .thenComparing(InterestEntry::queueGroup, Comparator.nullsFirst(Comparator.naturalOrder()));

    /**
     * @throws io.weft.protocol.InvalidTopicException when the pattern breaks the topic syntax
     * @throws IllegalArgumentException               when the queue group name is malformed
     */
    public InterestEntry {
        Topics.validatePattern(pattern);
        String problem = queueGroupProblem(queueGroup);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
    }

    /** A plain (non queue group) entry. */
    public static InterestEntry plain(String pattern) {
        return new InterestEntry(pattern, null);
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
        return queueGroup == null ? pattern : pattern + "@" + queueGroup;
    }
}
