package io.weft.broker;

import io.cloudevents.CloudEvent;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.weft.protocol.EventCodec;
import io.weft.protocol.Topics;
import io.weft.protocol.Wire;
import io.weft.routing.FilterVerdicts;
import io.weft.routing.Match;
import io.weft.routing.Origin;
import io.weft.routing.QueueGroup;
import io.weft.routing.RouteDecision;
import io.weft.routing.SubscriptionTrie;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Delivers published events to this node's subscribers and, as the mesh's routing decision says,
 * to other nodes and sites. An event arrives as a PUB body ({@code str16 topic, event}); it is copied
 * once into a right-sized buffer that every matching subscriber's {@link Outbound} and every mesh link
 * shares, so nothing is re-encoded and no inbound read buffer is pinned by a slow subscriber.
 */
public final class Router {
    private final SubscriptionTrie<Subscription> trie;
    private final BrokerMetrics metrics;
    private final ByteBufAllocator alloc;
    private final AtomicLong queuePick = new AtomicLong();
    private final java.util.concurrent.atomic.AtomicInteger internalSubs = new java.util.concurrent.atomic.AtomicInteger();
    private volatile MeshNode mesh;
    /** Told of a request from another node that this node could hand to no one. */
    private volatile Undelivered undelivered = (t, o, g, r, b) -> { };

    /** An event with a reply topic that came over the mesh and reached no one here. */
    @FunctionalInterface
    interface Undelivered {
        /** {@code pubBody} is shared and valid only during the call. */
        void accept(String topic, Origin origin, Set<String> assignedGroups, String replyTo, ByteBuf pubBody);
    }

    Router(SubscriptionTrie<Subscription> trie, BrokerMetrics metrics, ByteBufAllocator alloc) {
        this.trie = trie;
        this.metrics = metrics;
        this.alloc = alloc;
    }

    void attach(MeshNode mesh) {
        this.mesh = mesh;
    }

    /**
     * Sets who is told the topic and reply topic of an event that came over the mesh with a reply
     * topic (a durable publish, an internal request) and reached no one here (its target just
     * died): the asker can then be answered at once instead of after its wait.
     */
    void onUndelivered(Undelivered listener) {
        this.undelivered = listener;
    }

    /**
     * Routes again an event that reached no one before, by the hop rules it arrived with; never
     * reports it undelivered again.
     */
    int reroute(String topic, Origin origin, Set<String> assignedGroups, String replyTo, ByteBuf pubBody) {
        return dispatch(topic, pubBody, origin, assignedGroups, replyTo, false);
    }

    private int undelivered(String topic, Origin origin, Set<String> groups, String replyTo, ByteBuf body, boolean report) {
        if (report && origin != Origin.LOCAL && replyTo != null) {
            undelivered.accept(topic, origin, groups, replyTo, body);
        }
        return 0;
    }

    /**
     * Publishes {@code event} on {@code topic} as if a client had sent it (the HTTP ingress uses this).
     *
     * @return the number of local subscriptions and mesh links it was sent to
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
            return route(topic, body, null);
        } finally {
            body.release();
        }
    }

    /** Whether a subscriber on this node (a client's or an internal one) matches {@code topic}. */
    boolean hasLocalSubscriber(String topic) {
        return !trie.match(topic).isEmpty();
    }

    /** Routes a PUB body published on this node. Does not take ownership of {@code pubBody}. */
    int route(String topic, ByteBuf pubBody) {
        return dispatch(topic, pubBody, Origin.LOCAL, Set.of(), null);
    }

    /**
     * Routes a PUB body published on this node that carries a reply topic (a durable publish, an
     * internal request): only internal subscribers see the reply topic; clients get the event.
     */
    public int route(String topic, ByteBuf pubBody, String replyTo) {
        return dispatch(topic, pubBody, Origin.LOCAL, Set.of(), replyTo);
    }

    /** Routes a PUB body that arrived over a mesh link, by the hop rules of {@code origin}. */
    int routeFromMesh(Origin origin, Set<String> assignedGroups, String replyTo, ByteBuf pubBody) {
        int len = pubBody.getUnsignedShort(pubBody.readerIndex());
        String topic = pubBody.toString(pubBody.readerIndex() + 2, len, StandardCharsets.UTF_8);
        metrics.meshEventsIn.inc();
        return dispatch(topic, pubBody, origin, assignedGroups, replyTo);
    }

    /** As {@link #routeFromMesh}, for a caller that already read the topic (a transit node). */
    int routeFromMesh(String topic, Origin origin, Set<String> assignedGroups, String replyTo, ByteBuf pubBody) {
        metrics.meshEventsIn.inc();
        return dispatch(topic, pubBody, origin, assignedGroups, replyTo);
    }

    private int dispatch(String topic, ByteBuf pubBody, Origin origin, Set<String> assignedGroups, String replyTo) {
        return dispatch(topic, pubBody, origin, assignedGroups, replyTo, true);
    }

    private int dispatch(String topic, ByteBuf pubBody, Origin origin, Set<String> assignedGroups, String replyTo,
            boolean report) {
        Match<Subscription> match = trie.match(topic);
        MeshNode m = mesh;
        RouteDecision decision = null;
        // made at the first filter asked about, one per event: each distinct filter runs once per event, for
        // the local subscribers, the queue group picks (here and in the routing decision) and the links alike
        FilterVerdicts verdicts = null;
        // an event that came over a route link is delivered here and goes nowhere else, to the queue
        // groups its sender assigned to this node: nothing to decide
        Set<String> groupsHere = origin == Origin.ROUTE ? assignedGroups : null;
        if (m != null && origin != Origin.ROUTE) {
            // the groups a member here takes the event for: one without a filter, or whose filter accepts it
            Set<String> localGroups = Set.of();
            if (!match.groups().isEmpty()) {
                localGroups = new HashSet<>();
                for (QueueGroup<Subscription> g : match.groups()) {
                    for (Subscription s : g.members()) {
                        if (s.filter != null) {
                            verdicts = verdicts(verdicts, pubBody);
                        }
                        if (takes(s, verdicts)) {
                            localGroups.add(g.name());
                            break;
                        }
                    }
                }
            }
            if (assignedGroups.isEmpty() && localGroups.isEmpty()) {
                decision = m.cachedDecision(topic, origin); // the hot path: no lock, no allocation
            }
            if (decision == null) {
                verdicts = verdicts(verdicts, pubBody);
                decision = m.decide(topic, origin, assignedGroups, localGroups, verdicts);
            }
        }
        if (decision != null && !decision.unroutableGroups().isEmpty()) {
            metrics.groupUnroutable.inc(decision.unroutableGroups().size());
        }
        boolean forwards = decision != null && (!decision.routeForwards().isEmpty() || !decision.gatewayForwards().isEmpty());
        if (match.isEmpty() && !forwards) {
            metrics.eventsUnrouted.inc();
            return undelivered(topic, origin, assignedGroups, replyTo, pubBody, report);
        }
        ByteBuf shared;
        // a local subscriber may hold the event for long (a slow client): it gets a right-sized copy, so the
        // read buffer the body is a slice of is not pinned. An event that only goes on over mesh links is
        // shared as it is: each link's queue holds it until its next write (bounded by the link's budget),
        // and the write copies it into the outgoing batch anyway
        if (!match.isEmpty()) {
            shared = alloc.buffer(pubBody.readableBytes());
            shared.writeBytes(pubBody, pubBody.readerIndex(), pubBody.readableBytes());
        } else {
            shared = pubBody.retain();
        }
        try {
            int delivered = 0;
            for (Subscription s : match.subscribers()) {
                if (s.filter != null) {
                    verdicts = verdicts(verdicts, shared);
                    if (!verdicts.accepts(s.filter)) {
                        continue;
                    }
                }
                s.deliver(shared, topic, replyTo);
                delivered++;
            }
            for (QueueGroup<Subscription> g : match.groups()) {
                if (groupsHere != null ? !groupsHere.contains(g.name())
                        : decision != null && !decision.localGroups().contains(g.name())) {
                    continue;
                }
                // one member whose filter (if any) accepts the event: the next in turn when it does, else one
                // of those that do, at random, so each of them gets the same share
                List<Subscription> members = g.members();
                int size = members.size();
                int first = (int) Math.floorMod(queuePick.getAndIncrement(), (long) size);
                if (members.get(first).filter != null) {
                    verdicts = verdicts(verdicts, shared);
                    if (!verdicts.accepts(members.get(first).filter)) {
                        first = anyTaker(members, verdicts);
                        if (first < 0) {
                            if (groupsHere != null) {
                                // a sender gave it to this node for a member that accepted it and left meanwhile
                                // (or a sender of a version that picked members before filtering): lost for the group
                                metrics.groupUnroutable.inc();
                            }
                            continue;
                        }
                    }
                }
                // a member whose permissions withhold this topic passes it to the next one that takes it
                for (int i = 0; i < size; i++) {
                    Subscription s = members.get((first + i) % size);
                    if (s.filter != null) {
                        verdicts = verdicts(verdicts, shared);
                    }
                    if (takes(s, verdicts) && s.deliver(shared, topic, replyTo)) {
                        delivered++;
                        break;
                    }
                }
            }
            if (forwards) {
                delivered += m.forward(decision, replyTo, shared, verdicts);
            }
            return delivered > 0 ? delivered : undelivered(topic, origin, assignedGroups, replyTo, shared, report);
        } finally {
            shared.release();
        }
    }

    /** {@code v}, or the event's verdicts made now: made at the first filter asked about, once per event. */
    private static FilterVerdicts verdicts(FilterVerdicts v, ByteBuf pubBody) {
        return v != null ? v : new FilterVerdicts(MeshNode.eventAttributes(pubBody));
    }

    /** Whether a subscription takes the event: it has no filter or its filter accepts it ({@code verdicts} set then). */
    private static boolean takes(Subscription s, FilterVerdicts verdicts) {
        return s.filter == null || verdicts.accepts(s.filter);
    }

    /** The index of a member that takes the event, chosen uniformly among those that do; -1 when none does. */
    private static int anyTaker(List<Subscription> members, FilterVerdicts verdicts) {
        int takers = 0;
        for (Subscription s : members) {
            if (takes(s, verdicts)) {
                takers++;
            }
        }
        if (takers == 0) {
            return -1;
        }
        int k = java.util.concurrent.ThreadLocalRandom.current().nextInt(takers);
        for (int i = 0; i < members.size(); i++) {
            if (takes(members.get(i), verdicts) && k-- == 0) {
                return i;
            }
        }
        throw new IllegalStateException("a member stopped taking the event");
    }

    /**
     * The queue groups an event on {@code topic} published here would be handed to, here or
     * elsewhere, as the mesh routes now (a slow path: for answers, not for routing). With no event to
     * judge, a member's filter counts as accepting: a group is named when some event could reach it.
     */
    Set<String> groupsFor(String topic) {
        Set<String> groups = new HashSet<>();
        for (QueueGroup<Subscription> g : trie.match(topic).groups()) {
            groups.add(g.name());
        }
        MeshNode m = mesh;
        if (m != null) {
            RouteDecision d = m.decide(topic, Origin.LOCAL, Set.of(), Set.copyOf(groups));
            d.routeForwards().values().forEach(groups::addAll);
            d.gatewayForwards().values().forEach(groups::addAll);
        }
        return groups;
    }

    /** Whether an event on {@code topic} published here would reach any subscriber, here or elsewhere. */
    public boolean hasInterest(String topic) {
        Match<Subscription> match = trie.match(topic);
        if (!match.isEmpty()) {
            return true;
        }
        MeshNode m = mesh;
        if (m == null) {
            return false;
        }
        RouteDecision d = m.decide(topic, Origin.LOCAL, Set.of(), Set.of());
        return !d.routeForwards().isEmpty() || !d.gatewayForwards().isEmpty();
    }

    /**
     * Subscribes a handler inside this node (a stream leader's capture, a reply inbox): it attracts
     * events through the mesh like any client subscription.
     */
    public Subscription subscribeInternal(String pattern, String queueGroup, InternalSubscriber handler) {
        return subscribeInternal(pattern, queueGroup, null, handler);
    }

    /**
     * As {@link #subscribeInternal(String, String, InternalSubscriber)}, for the events {@code filter} (a
     * canonical filter text, or null for all) accepts: the filter joins the interest, so events it rejects
     * stay where they were published.
     */
    public Subscription subscribeInternal(String pattern, String queueGroup, String filter, InternalSubscriber handler) {
        Subscription s = new Subscription(handler, pattern, queueGroup, filter);
        internalSubs.incrementAndGet();
        subscribe(s);
        return s;
    }

    void subscribe(Subscription s) {
        trie.add(s.pattern, s.queueGroup, s);
        if (s.internal == null) {
            metrics.subscriptions.inc();
        }
        MeshNode m = mesh;
        if (m != null) {
            m.localSubscribe(s.pattern, s.queueGroup, s.filter);
        }
    }

    void unsubscribe(Subscription s) {
        if (trie.remove(s.pattern, s.queueGroup, s)) {
            if (s.internal != null) {
                internalSubs.decrementAndGet();
            } else {
                metrics.subscriptions.dec();
            }
            MeshNode m = mesh;
            if (m != null) {
                m.localUnsubscribe(s.pattern, s.queueGroup, s.filter);
            }
        }
    }

    /** Number of client subscriptions on this node (internal ones, such as stream captures, excluded). */
    public int subscriptionCount() {
        return trie.size() - internalSubs.get();
    }
}
