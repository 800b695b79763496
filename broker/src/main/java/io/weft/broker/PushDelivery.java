package io.weft.broker;

import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.weft.protocol.EventCodec;
import io.weft.protocol.Wire;
import io.weft.storage.ConsumerConfig;
import io.weft.storage.ConsumerInfo;
import io.weft.storage.ConsumerOp;
import io.weft.storage.ConsumerOpResult;
import io.weft.storage.Delivery;
import io.weft.storage.raft.StreamHost;
import io.weft.storage.raft.StreamStateMachine;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Push consumers. On a stream's leader, every consumer with a {@code deliverTopic} gets its events
 * published to that topic as they arrive. Each push is a replicated NEXT, exactly what a pull
 * consumer's {@code next} does, so deliveries, redelivery after the ack wait (flagged) and dead
 * letters behave the same and survive failover: a new leader simply goes on pushing. Subscribers of
 * the topic ack through the stream API ({@code POST /v1/streams/S/consumers/C/ack}); a queue group on
 * the topic spreads the events over its members.
 *
 * <p>Each pushed event carries the extensions {@code weftstream}, {@code weftconsumer},
 * {@code weftseq} (a string: sequences are 64-bit) and {@code weftdeliveries} (1 on the first
 * delivery). Pushing pauses while nobody anywhere subscribes to the topic, as JetStream's push
 * consumers do, so an absent subscriber does not burn deliveries into the dead letter. At most
 * {@code maxAckPending} events are out unacked: that is the flow control.
 */
final class PushDelivery {
    private static final Logger LOG = LoggerFactory.getLogger(PushDelivery.class);
    /** Events per NEXT. */
    static final int BATCH = 256;
    /** How often a consumer with unacked events is asked for redeliveries that fell due. */
    static final long REDELIVERY_CHECK_MILLIS = 250;

    private final Router router;
    private final Consumer<ConsumerOpResult> deadLetters;
    private final LongSupplier clock;
    private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
    private final Map<String, Long> lastNext = new ConcurrentHashMap<>();

    PushDelivery(Router router, Consumer<ConsumerOpResult> deadLetters, LongSupplier clockMillis) {
        this.router = router;
        this.deadLetters = deadLetters;
        this.clock = clockMillis;
    }

    /** Pushes what is due for the push consumers of the streams this node leads. */
    void tick(StreamHost host, Set<String> led) {
        long now = clock.getAsLong();
        for (String stream : led) {
            Optional<StreamStateMachine> sm = host.replica(stream);
            if (sm.isEmpty()) {
                continue;
            }
            long lastSeq = sm.get().read(l -> l.lastSeq()).orElse(0L);
            for (ConsumerInfo ci : sm.get().consumers()) {
                ConsumerConfig c = ci.config();
                if (!c.push()) {
                    continue;
                }
                String key = stream + '\u0000' + c.name();
                if (inFlight.contains(key)) {
                    continue;
                }
                boolean fresh = ci.nextSeq() <= lastSeq && ci.ackPending() < c.maxAckPending();
                boolean redeliveryCheck = ci.ackPending() > 0
                        && now - lastNext.getOrDefault(key, 0L) >= Math.min(c.ackWaitMillis(), REDELIVERY_CHECK_MILLIS);
                if (!(fresh || redeliveryCheck) || !router.hasInterest(c.deliverTopic())) {
                    continue;
                }
                inFlight.add(key);
                lastNext.put(key, now);
                // the timeout only frees the slot if an op hangs (a leader cut off before it steps down)
                host.consumerOp(stream, new ConsumerOp.Next(c.name(), BATCH))
                        .orTimeout(30, TimeUnit.SECONDS)
                        .whenComplete((r, err) -> delivered(key, stream, c, r, err));
            }
        }
        lastNext.keySet().removeIf(k -> !led.contains(k.substring(0, k.indexOf('\u0000'))));
    }

    private void delivered(String key, String stream, ConsumerConfig c, ConsumerOpResult r, Throwable err) {
        try {
            if (err != null) {
                LOG.debug("push {}/{}: {}", stream, c.name(), StreamHost.messageOf(err));
            } else if (r.ok()) {
                push(stream, c, r);
                deadLetters.accept(r);
            }
        } finally {
            inFlight.remove(key);
        }
    }

    private void push(String stream, ConsumerConfig c, ConsumerOpResult r) {
        String topic = c.deliverTopic();
        for (Delivery d : r.deliveries()) {
            CloudEvent stored = EventCodec.decode(Unpooled.wrappedBuffer(d.event().event()));
            CloudEvent pushed = CloudEventBuilder.v1(stored)
                    .withExtension("weftstream", stream)
                    .withExtension("weftconsumer", c.name())
                    .withExtension("weftseq", Long.toString(d.seq()))
                    .withExtension("weftdeliveries", d.deliveryCount())
                    .build();
            ByteBuf body = PooledByteBufAllocator.DEFAULT.buffer(d.event().event().length + topic.length() + 128);
            try {
                Wire.writeStr16(body, topic);
                EventCodec.encode(pushed, body);
                router.route(topic, body, null);
            } finally {
                body.release();
            }
        }
    }
}
