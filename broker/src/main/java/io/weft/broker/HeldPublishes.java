package io.weft.broker;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.weft.routing.Origin;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongPredicate;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Durable publishes that reached no stream, held and routed again every tick until one takes
 * them, so acks resume as soon as a new leader subscribes instead of after the client's retry:
 * <ul>
 *   <li>this node's own (origin LOCAL), while the publisher's ack wait lasts: nothing anywhere
 *       wanted the event (the leader died and no other has subscribed yet, or no gateway link is
 *       up);</li>
 *   <li>one that came over the mesh and reached no one here (the stream's leader on this side
 *       just died), for at most {@link #REMOTE_HOLD_NANOS}, by the hop rules it came with; then
 *       its asker is told to retry.</li>
 * </ul>
 * Routing again cannot deliver twice: a held event reached no one, and it is let go once it reaches
 * anyone. Memory is bounded by {@link #MAX_BYTES}; past it an event is not held.
 */
final class HeldPublishes {
    private static final Logger LOG = LoggerFactory.getLogger(HeldPublishes.class);
    /** Most bytes of held events. */
    static final long MAX_BYTES = 32L << 20;
    /** How long an event from another node is held here for a new leader (its asker waits 1.5 s). */
    static final long REMOTE_HOLD_NANOS = TimeUnit.MILLISECONDS.toNanos(1_000);

    private record Held(String topic, byte[] pubBody, String replyTo, Origin origin, Set<String> groups,
                        long deadlineNanos) {
    }

    private final Router router;
    private final LongPredicate stillWaiting;
    private final Consumer<String> refuse;
    private final LongSupplier nanoClock;
    /** Own publishes keyed by their request id; those of other nodes by negative numbers. */
    private final Map<Long, Held> held = new ConcurrentHashMap<>();
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong remoteKeys = new AtomicLong();

    /**
     * @param stillWaiting whether this node's request id still waits for its ack
     * @param refuse       tells the asker behind a reply topic to retry
     */
    HeldPublishes(Router router, LongPredicate stillWaiting, Consumer<String> refuse, LongSupplier nanoClock) {
        this.router = router;
        this.stillWaiting = stillWaiting;
        this.refuse = refuse;
        this.nanoClock = nanoClock;
    }

    /** Holds this node's request {@code id} ({@code pubBody} not owned); false when over the bound. */
    boolean holdOwn(long id, String topic, ByteBuf pubBody, String replyTo) {
        return hold(id, topic, pubBody, replyTo, Origin.LOCAL, Set.of(), 0);
    }

    /** Holds an event from another node that reached no one here, or tells its asker to retry. */
    void holdRemote(String topic, Origin origin, Set<String> groups, String replyTo, ByteBuf pubBody) {
        if (!hold(-remoteKeys.incrementAndGet(), topic, pubBody, replyTo, origin, groups,
                nanoClock.getAsLong() + REMOTE_HOLD_NANOS)) {
            refuse.accept(replyTo);
        }
    }

    private boolean hold(long key, String topic, ByteBuf pubBody, String replyTo, Origin origin, Set<String> groups,
            long deadlineNanos) {
        int n = pubBody.readableBytes();
        if (bytes.addAndGet(n) > MAX_BYTES) {
            bytes.addAndGet(-n);
            return false;
        }
        byte[] copy = new byte[n];
        pubBody.getBytes(pubBody.readerIndex(), copy);
        held.put(key, new Held(topic, copy, replyTo, origin, Set.copyOf(groups), deadlineNanos));
        return true;
    }

    /** Routes every held event again; lets go of those that reached someone or whose time is up. */
    void tick() {
        try {
            long now = nanoClock.getAsLong();
            for (Map.Entry<Long, Held> e : held.entrySet()) {
                Held h = e.getValue();
                boolean own = h.origin() == Origin.LOCAL;
                boolean over = own ? !stillWaiting.test(e.getKey()) : now - h.deadlineNanos() > 0;
                boolean routed = !over && (!own || router.hasInterest(h.topic()))
                        && router.reroute(h.topic(), h.origin(), h.groups(), h.replyTo(),
                                Unpooled.wrappedBuffer(h.pubBody())) > 0;
                if ((over || routed) && held.remove(e.getKey(), h)) {
                    bytes.addAndGet(-h.pubBody().length);
                    if (over && !own) {
                        refuse.accept(h.replyTo());
                    }
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("re-routing held durable publishes: {}", e.toString());
        }
    }

    /** Events held now (for tests and metrics). */
    int size() {
        return held.size();
    }
}
