package io.weft.storage.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.weft.storage.ConsumerConfig;
import io.weft.storage.ConsumerInfo;
import io.weft.storage.ConsumerOp;
import io.weft.storage.ConsumerOpResult;
import io.weft.storage.StartPosition;
import java.util.List;
import org.junit.jupiter.api.Test;

class CodecTest {
    private static final ConsumerConfig PULL = new ConsumerConfig("billing", StartPosition.first(), 30_000, 5,
            "orders.dlq", 100);
    private static final ConsumerConfig PUSH = PULL.withDeliverTopic("billing.deliver");

    private static ConsumerOp roundTrip(ConsumerOp op) {
        byte[] entry = Codec.consumer(42, op);
        Codec.In in = new Codec.In(entry, 1); // after the kind byte
        assertEquals(42, Codec.entryTime(in));
        return Codec.consumerOp(in);
    }

    @Test
    void consumerCreateEntriesRoundTripForPullAndPush() {
        assertEquals(new ConsumerOp.Create(PULL), roundTrip(new ConsumerOp.Create(PULL)));
        assertEquals(new ConsumerOp.Create(PUSH), roundTrip(new ConsumerOp.Create(PUSH)));
    }

    @Test
    void pullCreateEntryKeepsThePrePushLayout() {
        // a pull consumer's CREATE entry is byte for byte what versions before push consumers wrote,
        // so Raft logs written by them replay unchanged
        byte[] entry = Codec.consumer(42, new ConsumerOp.Create(PULL));
        Codec.Out o = new Codec.Out();
        o.u8(entry[0]);
        o.i64(42);
        o.u8((byte) 1); // OP_CREATE
        o.str("billing");
        Codec.writeConsumerConfig(o, PULL);
        assertEquals(java.util.Arrays.toString(o.bytes()), java.util.Arrays.toString(entry));
    }

    @Test
    void consumerInfoRepliesCarryTheDeliverTopic() {
        ConsumerOpResult r = new ConsumerOpResult(null, new ConsumerInfo(PUSH, 1, 7, 3, 2), List.of(), List.of(), false);
        ConsumerOpResult back = Codec.consumerResult(Codec.consumerReply(r));
        assertEquals(r.info(), back.info());
        assertEquals(List.of(), back.deliveries());
    }
}
