package io.weft.security;

/**
 * The permission decisions, as pure functions of {@link Permissions} and a topic or pattern. Topic
 * syntax is not this module's: the caller passes its {@link Topics} rules.
 *
 * <ul>
 *   <li>A publish on topic T is allowed when some allow pattern matches T (or the allow list is empty)
 *       and no deny pattern matches T.</li>
 *   <li>A subscription to pattern P is allowed when some allow pattern <em>covers</em> P (every topic P
 *       matches, it matches too; or the allow list is empty) and no deny pattern covers P. Matching is not
 *       enough: an allow of {@code orders.*} must not let {@code orders.>} through. When a deny only
 *       overlaps P, the subscription is {@link Decision#FILTERED}: accepted, and each event is checked
 *       with {@link #deliverable} before it is delivered.</li>
 *   <li>A queue group is allowed by the queue rule, by name.</li>
 *   <li>Internal topics ({@code _weft.*}) are for administrators only.</li>
 * </ul>
 */
public final class PermissionCheck {

    /** The topic rules the checks need (in Weft: {@code io.weft.protocol.Topics}). */
    public interface Topics {
        boolean matches(String pattern, String topic);

        /** Whether {@code general} matches every topic {@code specific} matches. */
        boolean covers(String general, String specific);

        /** Whether some topic matches both. */
        boolean overlaps(String a, String b);

        boolean isInternal(String topicOrPattern);
    }

    /** A decision. */
    public enum Decision { ALLOW, DENY, FILTERED }

    /** A decision with the reason for a denial (null when allowed). */
    public record Verdict(Decision decision, String reason) {
        public static final Verdict ALLOWED = new Verdict(Decision.ALLOW, null);

        public boolean allowed() {
            return decision != Decision.DENY;
        }
    }

    private PermissionCheck() {
    }

    public static Verdict publish(Permissions p, String topic, Topics t) {
        if (t.isInternal(topic) && !p.admin()) {
            return deny("publishing to internal topic " + topic + " needs the admin permission");
        }
        for (String d : p.publish().deny()) {
            if (t.matches(d, topic)) {
                return deny("publish to " + topic + " is denied by " + d);
            }
        }
        if (!p.publish().allow().isEmpty() && p.publish().allow().stream().noneMatch(a -> t.matches(a, topic))) {
            return deny("publish to " + topic + " is not allowed (allowed: " + String.join(", ", p.publish().allow()) + ")");
        }
        return Verdict.ALLOWED;
    }

    public static Verdict subscribe(Permissions p, String pattern, String queueGroup, Topics t) {
        if (t.isInternal(pattern) && !p.admin()) {
            return deny("subscribing to internal topics (" + pattern + ") needs the admin permission");
        }
        if (queueGroup != null && !queueGroup.isEmpty()) {
            Permissions.Rule q = p.queue();
            if (q.deny().contains(queueGroup)
                    || (!q.allow().isEmpty() && q.allow().stream().noneMatch(a -> a.equals(queueGroup) || a.equals("*")))) {
                return deny("queue group " + queueGroup + " is not allowed");
            }
        }
        boolean overlapsDeny = false;
        for (String d : p.subscribe().deny()) {
            if (t.covers(d, pattern)) {
                return deny("subscription to " + pattern + " is denied by " + d);
            }
            overlapsDeny |= t.overlaps(d, pattern);
        }
        if (!p.subscribe().allow().isEmpty() && p.subscribe().allow().stream().noneMatch(a -> t.covers(a, pattern))) {
            return deny("subscription to " + pattern + " is not allowed (allowed: "
                    + String.join(", ", p.subscribe().allow()) + "; an allowed pattern must cover the whole subscription)");
        }
        return overlapsDeny ? new Verdict(Decision.FILTERED, null) : Verdict.ALLOWED;
    }

    /** For a {@link Decision#FILTERED} subscription: may an event on {@code topic} be delivered? */
    public static boolean deliverable(Permissions p, String topic, Topics t) {
        for (String d : p.subscribe().deny()) {
            if (t.matches(d, topic)) {
                return false;
            }
        }
        return true;
    }

    private static Verdict deny(String reason) {
        return new Verdict(Decision.DENY, reason);
    }
}
