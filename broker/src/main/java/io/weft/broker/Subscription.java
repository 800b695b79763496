package io.weft.broker;

/** One client subscription: the value stored in the topic trie. Identity equality on purpose. */
final class Subscription {
    final ClientSession session;
    final long sid;
    final String pattern;
    final String queueGroup;

    Subscription(ClientSession session, long sid, String pattern, String queueGroup) {
        this.session = session;
        this.sid = sid;
        this.pattern = pattern;
        this.queueGroup = queueGroup;
    }

    @Override
    public String toString() {
        return "sub(" + session.id() + "/" + sid + " " + pattern + (queueGroup == null ? "" : " q=" + queueGroup) + ")";
    }
}
