package io.weft.storage.raft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.weft.storage.ConsumerConfig;
import io.weft.storage.ConsumerInfo;
import io.weft.storage.ConsumerOp;
import io.weft.storage.ConsumerOpResult;
import io.weft.storage.Publish;
import io.weft.storage.PurgeResult;
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
        assertEquals(new ConsumerOp.AckMany("billing", List.of(3L, 1L << 40)),
                roundTrip(new ConsumerOp.AckMany("billing", List.of(3L, 1L << 40))));
        assertEquals(new ConsumerOp.Nak("billing", List.of()), roundTrip(new ConsumerOp.Nak("billing", List.of())));
        assertEquals(new ConsumerOp.Nak("billing", List.of(5L)), roundTrip(new ConsumerOp.Nak("billing", List.of(5L))));
    }

    @Test
    void repliesCarryHowManyEventsAnOpChanged() {
        ConsumerOpResult r = new ConsumerOpResult(null, new ConsumerInfo(PUSH, 1, 7, 3, 2), List.of(), List.of(), 37);
        assertEquals(37, Codec.consumerResult(Codec.consumerReply(r)).changed());
        // a reply of a version before AckMany ends at the acked flag
        byte[] full = Codec.consumerReply(r);
        byte[] old = java.util.Arrays.copyOf(full, full.length - 4);
        assertEquals(1, Codec.consumerResult(old).changed());
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
        ConsumerOpResult r = new ConsumerOpResult(null, new ConsumerInfo(PUSH, 1, 7, 3, 2), List.of(), List.of(), 0);
        ConsumerOpResult back = Codec.consumerResult(Codec.consumerReply(r));
        assertEquals(r.info(), back.info());
        assertEquals(List.of(), back.deliveries());
    }

    @Test
    void publishEntryLayoutIsPinned() {
        // entries in Raft logs on disk were written in this layout: big-endian numbers, u16-prefixed UTF-8
        byte[] entry = Codec.publish(7, List.of(new Publish("s", "i", "t\u00e9", new byte[] {1, 2})));
        assertArrayEquals(new byte[] {Codec.PUBLISH, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 1,
                0, 3, 't', (byte) 0xc3, (byte) 0xa9, 0, 1, 's', 0, 1, 'i', 0, 0, 0, 2, 1, 2}, entry);
        Codec.In in = new Codec.In(entry, 1);
        assertEquals(7, Codec.entryTime(in));
        Publish back = Codec.publishes(in).get(0);
        assertEquals("t\u00e9", back.topic());
        assertArrayEquals(new byte[] {1, 2}, back.event());
    }

    @Test
    void aPublishEntryDecodesInPlaceFromAReadOnlyView() {
        // the state machine reads entries where Ratis holds them (no array behind the view)
        List<Publish> batch = List.of(new Publish("/src", "id-1", "orders.eu", new byte[] {1, 2, 3}),
                new Publish("/s\u00fcd", "id-\u00e9", "orders.\u65e5\u672c", new byte[0]),
                new Publish("s", "i", "t", new byte[] {9}));
        byte[] entry = Codec.publish(11, batch);
        java.nio.ByteBuffer view = java.nio.ByteBuffer.wrap(entry).asReadOnlyBuffer();
        view.position(1);
        Codec.In in = new Codec.In(view);
        assertEquals(11, Codec.entryTime(in));
        List<Publish> back = Codec.publishes(in);
        assertEquals(3, back.size());
        for (int i = 0; i < 3; i++) {
            assertEquals(batch.get(i).topic(), back.get(i).topic());
            assertEquals(batch.get(i).source(), back.get(i).source());
            assertEquals(batch.get(i).id(), back.get(i).id());
            assertArrayEquals(batch.get(i).event(), back.get(i).event());
        }
        assertEquals(false, in.hasMore());
    }

    @Test
    void purgeEntryLayoutIsPinnedAndRoundTrips() {
        byte[] entry = Codec.purge(7, 0x0102030405060708L);
        assertArrayEquals(new byte[] {0x05, 0, 0, 0, 0, 0, 0, 0, 7, 1, 2, 3, 4, 5, 6, 7, 8}, entry);
        assertEquals(Codec.PURGE, entry[0]);
        Codec.In in = new Codec.In(entry, 1);
        assertEquals(7, Codec.entryTime(in));
        assertEquals(0x0102030405060708L, Codec.keepFromSeq(in));
        assertEquals(false, in.hasMore());
        Codec.In all = new Codec.In(Codec.purge(1_700_000_000_000L, Long.MAX_VALUE), 1);
        assertEquals(1_700_000_000_000L, Codec.entryTime(all));
        assertEquals(Long.MAX_VALUE, Codec.keepFromSeq(all));
        for (int cut = 1; cut < entry.length; cut++) {
            Codec.In truncated = new Codec.In(java.util.Arrays.copyOf(entry, cut), 1);
            assertThrows(IllegalArgumentException.class, () -> {
                Codec.entryTime(truncated);
                Codec.keepFromSeq(truncated);
            }, "cut at " + cut);
        }
    }

    @Test
    void theOlderEntryKindsKeepTheirBytes() {
        assertEquals(1, Codec.CREATE);
        assertEquals(2, Codec.PUBLISH);
        assertEquals(3, Codec.CONSUMER);
        assertEquals(4, Codec.DELETE);
        assertArrayEquals(new byte[] {4}, Codec.delete());
    }

    @Test
    void purgeRepliesRoundTripAndAreNoErrors() {
        PurgeResult r = new PurgeResult(90, 91, 100, 91);
        byte[] reply = Codec.purgeReply(r);
        assertEquals(null, Codec.error(reply));
        assertEquals(r, Codec.purgeResult(reply));
        assertEquals(true, Codec.purgeResult(reply).done());
        assertEquals(false, new PurgeResult(3, 4, 100, 9).done());
        assertThrows(IllegalArgumentException.class, () -> Codec.purgeResult(Codec.errorReply("stream was deleted")));
    }

    @Test
    void aTruncatedEntryIsRejected() {
        byte[] entry = Codec.publish(7, List.of(new Publish("s", "i", "t", new byte[] {1, 2})));
        for (int cut = 1; cut < entry.length; cut++) {
            Codec.In in = new Codec.In(java.util.Arrays.copyOf(entry, cut), 1);
            assertThrows(IllegalArgumentException.class, () -> {
                Codec.entryTime(in);
                Codec.publishes(in);
            }, "cut at " + cut);
        }
    }
}
