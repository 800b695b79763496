package io.weft.broker;

import io.cloudevents.CloudEvent;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.weft.protocol.EventCodec;
import io.weft.protocol.Topics;
import io.weft.protocol.Wire;
import io.weft.routing.Match;
import io.weft.routing.QueueGroup;
import io.weft.routing.SubscriptionTrie;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Delivers published events to this node's subscribers. An event arrives as a PUB body
 * ({@code str16 topic, event}); it is copied once into a right-sized buffer that every matching
 * subscriber's {@link Outbound} shares, so no subscriber re-encodes it and no inbound read buffer is
 * pinned by a slow subscriber.
 */
public final class Router {
    private final SubscriptionTrie<Subscription> trie;
    private final BrokerMetrics metrics;
    private final ByteBufAllocator alloc;
    private final AtomicLong queuePick = new AtomicLong();

    Router(SubscriptionTrie<Subscription> trie, BrokerMetrics metrics, ByteBufAllocator alloc) {
        this.trie = trie;
        this.metrics = metrics;
        this.alloc = alloc;
    }

    /**
     * Publishes {@code event} on {@code topic} as if a client had sent it (the HTTP ingress uses this).
     *
     * @return the number of subscriptions it was delivered to
     * @throws io.weft.protocol.ProtocolException for an invalid topic or event (the message says why)
     */
    public int publish(String topic, CloudEvent event) {
        Topics.validateTopic(topic);
        ByteBuf body = alloc.buffer(256);
        try {
            Wire.writeStr16(body, topic);
            EventCodec.encode(event, body);
            metrics.httpEventsIn.inc();
            metrics.httpBytesIn.inc(body.readableBytes());
            return route(topic, body);
        } finally {
            body.release();
        }
    }

    /**
     * Routes a PUB body to every matching subscription. Does not take ownership of {@code pubBody}.
     *
     * @return the number of subscriptions it was offered to
     */
    int route(String topic, ByteBuf pubBody) {
        Match<Subscription> match = trie.match(topic);
        if (match.isEmpty()) {
            metrics.eventsUnrouted.inc();
            return 0;
        }
        ByteBuf shared = alloc.buffer(pubBody.readableBytes());
        shared.writeBytes(pubBody, pubBody.readerIndex(), pubBody.readableBytes());
        try {
            int delivered = 0;
            for (Subscription s : match.subscribers()) {
                s.session.outbound().offer(s.sid, shared);
                delivered++;
            }
            for (QueueGroup<Subscription> g : match.groups()) {
                List<Subscription> members = g.members();
                Subscription s = members.get((int) Math.floorMod(queuePick.getAndIncrement(), (long) members.size()));
                s.session.outbound().offer(s.sid, shared);
                delivered++;
            }
            return delivered;
        } finally {
            shared.release();
        }
    }

    void subscribe(Subscription s) {
        trie.add(s.pattern, s.queueGroup, s);
        metrics.subscriptions.inc();
    }

    void unsubscribe(Subscription s) {
        if (trie.remove(s.pattern, s.queueGroup, s)) {
            metrics.subscriptions.dec();
        }
    }

    /** Number of subscriptions on this node. */
    public int subscriptionCount() {
        return trie.size();
    }
}
