package io.weft.broker;

import io.netty.buffer.ByteBuf;

/**
 * One subscription: the value stored in the topic trie. Either a client's (delivered through its
 * session's {@link Outbound}) or an internal handler's. Identity equality on purpose.
 */
public final class Subscription {
    final ClientSession session;
    final long sid;
    final String pattern;
    final String queueGroup;
    /** The canonical text of the event filter (only events it accepts are delivered), or null. */
    final String filter;
    final InternalSubscriber internal;
    /**
     * The subscriber's permissions when a deny overlaps the pattern: events they deny are withheld; else null.
     * Replaced when a reloaded security config changes the user's permissions.
     */
    volatile io.weft.security.Permissions withheld;

    Subscription(ClientSession session, long sid, String pattern, String queueGroup) {
        this(session, sid, pattern, queueGroup, null);
    }

    Subscription(ClientSession session, long sid, String pattern, String queueGroup, io.weft.security.Permissions withheld) {
        this(session, sid, pattern, queueGroup, null, withheld);
    }

    Subscription(ClientSession session, long sid, String pattern, String queueGroup, String filter,
                 io.weft.security.Permissions withheld) {
        this.session = session;
        this.sid = sid;
        this.pattern = pattern;
        this.queueGroup = queueGroup;
        this.filter = filter;
        this.internal = null;
        this.withheld = withheld;
    }

    Subscription(InternalSubscriber internal, String pattern, String queueGroup) {
        this(internal, pattern, queueGroup, null);
    }

    /** An internal subscription that takes only the events {@code filter} (a canonical filter text, or null) accepts. */
    Subscription(InternalSubscriber internal, String pattern, String queueGroup, String filter) {
        this.session = null;
        this.sid = 0;
        this.pattern = pattern;
        this.queueGroup = queueGroup;
        this.filter = filter;
        this.internal = internal;
        this.withheld = null;
    }

    /**
     * Hands {@code pubBody} (shared, not owned) to the subscriber.
     *
     * @return false when the subscriber may not see {@code topic} (a deny of its user overlaps its pattern),
     *     so a queue group can give the event to another member
     */
    boolean deliver(ByteBuf pubBody, String topic, String replyTo) {
        if (internal != null) {
            internal.deliver(topic, pubBody, replyTo);
        } else if (withheld != null && !io.weft.security.PermissionCheck.deliverable(withheld, topic, TopicRules.INSTANCE)) {
            return false;
        } else {
            session.outbound().offer(sid, pubBody);
        }
        return true;
    }

    @Override
    public String toString() {
        return internal != null ? "internal(" + pattern + (queueGroup == null ? "" : " q=" + queueGroup) + ")"
                : "sub(" + session.id() + "/" + sid + " " + pattern + (queueGroup == null ? "" : " q=" + queueGroup)
                        + (filter == null ? "" : " where " + filter) + ")";
    }
}
