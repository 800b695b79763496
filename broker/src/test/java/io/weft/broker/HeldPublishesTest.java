package io.weft.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.weft.protocol.Wire;
import io.weft.routing.Origin;
import io.weft.routing.SubscriptionTrie;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Held durable publishes, with a fake clock and no mesh: routed again once, released, refused. */
class HeldPublishesTest {
    private final Router router = new Router(new SubscriptionTrie<>(64), new BrokerMetrics(), UnpooledByteBufAllocator.DEFAULT);
    private final Set<Long> waiting = ConcurrentHashMap.newKeySet();
    private final List<String> refused = new CopyOnWriteArrayList<>();
    private final AtomicLong now = new AtomicLong(1_000);
    private final HeldPublishes held = new HeldPublishes(router, waiting::contains, refused::add, now::get);
    private final List<String> got = new CopyOnWriteArrayList<>();

    private static ByteBuf pub(String topic, int payload) {
        ByteBuf b = Unpooled.buffer();
        Wire.writeStr16(b, topic);
        b.writeZero(payload);
        return b;
    }

    @Test
    void ownPublishGoesOnceWhenInterestAppearsAndIsLetGoWhenItsWaitEnds() {
        waiting.add(1L);
        waiting.add(2L);
        assertTrue(held.holdOwn(1, "orders.created", pub("orders.created", 10), "_weft.inbox.a1.1"));
        assertTrue(held.holdOwn(2, "refunds.created", pub("refunds.created", 10), "_weft.inbox.a1.2"));
        held.tick();
        assertEquals(2, held.size(), "no one wants them yet");

        router.subscribeInternal("orders.>", null, (topic, body, replyTo) -> got.add(topic + " " + replyTo));
        held.tick();
        held.tick();
        assertEquals(List.of("orders.created _weft.inbox.a1.1"), got, "routed once, then let go");
        waiting.remove(2L); // its ack wait ended
        held.tick();
        assertEquals(0, held.size());
        assertEquals(List.of(), refused, "own publishes are answered by their ack wait, not refused");
    }

    @Test
    void anotherNodesPublishIsHeldUntilItsDeadlineThenItsAskerIsTold() {
        held.holdRemote("orders.created", Origin.GATEWAY, Set.of("_weft_stream_orders"), "_weft.inbox.o1.5",
                pub("orders.created", 10));
        now.addAndGet(HeldPublishes.REMOTE_HOLD_NANOS);
        held.tick();
        assertEquals(1, held.size());
        assertEquals(List.of(), refused);
        now.incrementAndGet();
        held.tick();
        assertEquals(0, held.size());
        assertEquals(List.of("_weft.inbox.o1.5"), refused);
    }

    @Test
    void anotherNodesPublishGoesByTheHopRulesItCameWith() {
        held.holdRemote("orders.created", Origin.GATEWAY, Set.of(), "_weft.inbox.o1.6", pub("orders.created", 10));
        router.subscribeInternal("orders.>", null, (topic, body, replyTo) -> got.add(topic + " " + replyTo));
        held.tick();
        assertEquals(List.of("orders.created _weft.inbox.o1.6"), got);
        assertEquals(0, held.size());
        assertEquals(List.of(), refused);
    }

    @Test
    void holdsAtMostTheByteBound() {
        int mib = 1 << 20;
        int n = (int) (HeldPublishes.MAX_BYTES / mib);
        for (int i = 0; i < n - 1; i++) {
            waiting.add((long) i);
            assertTrue(held.holdOwn(i, "orders.created", pub("orders.created", mib - 100), "_weft.inbox.a1." + i));
        }
        assertFalse(held.holdOwn(999, "orders.created", pub("orders.created", 2 * mib), "_weft.inbox.a1.999"));
        held.holdRemote("orders.created", Origin.ROUTE, Set.of(), "_weft.inbox.o1.7", pub("orders.created", 2 * mib));
        assertEquals(List.of("_weft.inbox.o1.7"), refused, "not held: its asker is told at once");
        assertEquals(n - 1, held.size());
    }
}
