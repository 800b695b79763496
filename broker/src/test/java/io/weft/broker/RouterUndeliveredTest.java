package io.weft.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.weft.protocol.EventCodec;
import io.weft.protocol.Wire;
import io.weft.routing.Origin;
import io.weft.routing.SubscriptionTrie;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** An event with a reply topic that came over the mesh and reached no one here is reported, so its asker is answered at once. */
class RouterUndeliveredTest {
    private final Router router = new Router(new SubscriptionTrie<>(64), new BrokerMetrics(), UnpooledByteBufAllocator.DEFAULT);
    private final List<String> told = new CopyOnWriteArrayList<>();

    RouterUndeliveredTest() {
        router.onUndelivered((topic, origin, groups, replyTo, body) -> told.add(topic + " " + origin + " " + groups
                + " -> " + replyTo));
    }

    private static ByteBuf pub(String topic) {
        ByteBuf b = Unpooled.buffer();
        Wire.writeStr16(b, topic);
        EventCodec.encode(PubSubTest.event("e-1", "{}"), b);
        return b;
    }

    @Test
    void aMeshEventWithAReplyTopicThatReachesNoOneIsReported() {
        assertEquals(0, router.routeFromMesh(Origin.ROUTE, Set.of(), "_weft.inbox.b1.7", pub("orders.created")));
        assertEquals(0, router.routeFromMesh(Origin.GATEWAY, Set.of("_weft_stream_orders"), "_weft.inbox.o1.8",
                pub("orders.created")));
        assertEquals(List.of("orders.created ROUTE [] -> _weft.inbox.b1.7",
                "orders.created GATEWAY [_weft_stream_orders] -> _weft.inbox.o1.8"), told);
        assertEquals(0, router.reroute("orders.created", Origin.ROUTE, Set.of(), "_weft.inbox.b1.7", pub("orders.created")));
        assertEquals(2, told.size(), "routing again is not reported again");
    }

    @Test
    void localPublishesEventsWithoutReplyTopicsAndDeliveredEventsAreNot() {
        List<String> got = new CopyOnWriteArrayList<>();
        router.subscribeInternal("orders.>", null, (topic, body, replyTo) -> got.add(topic));
        assertEquals(0, router.route("refunds.created", pub("refunds.created"), "_weft.inbox.b1.1"), "local: the publisher waits");
        assertEquals(0, router.routeFromMesh(Origin.ROUTE, Set.of(), null, pub("refunds.created")), "no reply topic");
        assertEquals(1, router.routeFromMesh(Origin.ROUTE, Set.of(), "_weft.inbox.b1.2", pub("orders.created")));
        assertEquals(List.of("orders.created"), got);
        assertEquals(List.of(), told);
    }
}
