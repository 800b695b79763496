package io.weft.client;

import java.util.concurrent.CompletableFuture;

/**
 * A subscription of a {@link MeshClient}. It survives reconnects: the client subscribes again on
 * every new connection. {@link #confirmed()} completes when a broker first accepted it.
 */
public final class Subscription {
    private final MeshClient client;
    private final long sid;
    private final String pattern;
    private final String queueGroup;
    private final String filter;
    private final MessageHandler handler;
    private final CompletableFuture<Void> confirmed = new CompletableFuture<>();
    private volatile boolean active = true;

    Subscription(MeshClient client, long sid, String pattern, String queueGroup, String filter, MessageHandler handler) {
        this.client = client;
        this.sid = sid;
        this.pattern = pattern;
        this.queueGroup = queueGroup;
        this.filter = filter;
        this.handler = handler;
    }

    public String pattern() {
        return pattern;
    }

    /** The queue group, or null for a plain subscription. */
    public String queueGroup() {
        return queueGroup;
    }

    /** The event filter's text as given ({@link Filter#text()}), or null for none. */
    public String filter() {
        return filter;
    }

    /** Completes once a broker has registered the subscription; fails if the broker rejected it. */
    public CompletableFuture<Void> confirmed() {
        return confirmed;
    }

    /** False once unsubscribed or its client closed. */
    public boolean isActive() {
        return active;
    }

    /** Stops delivery; events already queued for this subscription are discarded. */
    public void unsubscribe() {
        client.unsubscribe(this);
    }

    long sid() {
        return sid;
    }

    MessageHandler handler() {
        return handler;
    }

    void deactivate() {
        active = false;
    }

    @Override
    public String toString() {
        return "Subscription[" + pattern + (queueGroup == null ? "" : ", queue=" + queueGroup) + "]";
    }
}
