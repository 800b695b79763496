package io.weft.storage;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.weft.storage.Events.pubs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConsumerTest {
    private static final StreamConfig ORDERS = StreamConfig.of("orders", "cloud", "orders.>");
    private static final long T0 = 1_700_000_000_000L;
    private static final long ACK_WAIT = 30_000;

    private final StreamLog log = StreamLog.open(new MemoryStreamStore(), ORDERS);
    private long index;

    private ConsumerOpResult op(ConsumerOp op, long now) {
        return log.applyConsumerOp(++index, op, now);
    }

    private void publish(long now, String... ids) {
        log.apply(++index, pubs(ids), now);
    }

    private ConsumerOpResult create(String name, StartPosition start, int maxDeliver) {
        return op(new ConsumerOp.Create(new ConsumerConfig(name, start, ACK_WAIT, maxDeliver, "orders.dlq")), T0);
    }

    private List<Long> next(String name, int max, long now) {
        return op(new ConsumerOp.Next(name, max), now).deliveries().stream().map(Delivery::seq).toList();
    }

    @Test
    void deliversInOrderAndAcks() {
        publish(T0, "a", "b", "c");
        assertTrue(create("billing", StartPosition.first(), 5).ok());

        ConsumerOpResult r = op(new ConsumerOp.Next("billing", 2), T0 + 1);
        assertEquals(List.of(1L, 2L), r.deliveries().stream().map(Delivery::seq).toList());
        assertFalse(r.deliveries().get(0).redelivered());
        assertEquals("event-src-a", Events.payload(r.deliveries().get(0).event()));
        assertEquals(List.of(3L), next("billing", 10, T0 + 2));
        assertEquals(List.of(), next("billing", 10, T0 + 3), "nothing new, nothing expired");

        assertTrue(op(new ConsumerOp.Ack("billing", 2), T0 + 4).acked());
        assertFalse(op(new ConsumerOp.Ack("billing", 2), T0 + 4).acked(), "a second ack is a no-op");
        assertFalse(op(new ConsumerOp.Ack("billing", 9), T0 + 4).acked(), "never delivered");
        ConsumerInfo info = log.consumer("billing").orElseThrow();
        assertEquals(0, info.ackFloor(), "1 is still pending");
        assertEquals(2, info.ackPending());
        op(new ConsumerOp.Ack("billing", 1), T0 + 5);
        op(new ConsumerOp.Ack("billing", 3), T0 + 5);
        info = log.consumer("billing").orElseThrow();
        assertEquals(3, info.ackFloor());
        assertEquals(4, info.nextSeq());
        assertEquals(List.of(), next("billing", 10, T0 + ACK_WAIT * 10), "acked events are not redelivered");
    }

    @Test
    void redeliversAfterAckWaitFlaggedAsRedelivered() {
        publish(T0, "a", "b");
        create("billing", StartPosition.first(), 5);
        next("billing", 10, T0);
        op(new ConsumerOp.Ack("billing", 2), T0 + 1);

        assertEquals(List.of(), next("billing", 10, T0 + ACK_WAIT - 1));
        List<Delivery> again = op(new ConsumerOp.Next("billing", 10), T0 + ACK_WAIT).deliveries();
        assertEquals(1, again.size());
        assertEquals(1, again.get(0).seq());
        assertTrue(again.get(0).redelivered());
        assertEquals(2, again.get(0).deliveryCount());

        publish(T0 + ACK_WAIT + 1, "c");
        assertEquals(List.of(3L), next("billing", 10, T0 + ACK_WAIT + 1), "new events after redeliveries");
        assertEquals(List.of(1L, 3L), next("billing", 10, T0 + 3 * ACK_WAIT), "redeliveries come first, in order");
    }

    @Test
    void deadLettersAfterMaxDeliver() {
        publish(T0, "a", "b");
        create("billing", StartPosition.first(), 2);
        next("billing", 10, T0);
        op(new ConsumerOp.Ack("billing", 2), T0);
        assertEquals(List.of(1L), next("billing", 10, T0 + ACK_WAIT));

        ConsumerOpResult r = op(new ConsumerOp.Next("billing", 10), T0 + 2 * ACK_WAIT);
        assertEquals(List.of(), r.deliveries());
        assertEquals(1, r.deadLetters().size());
        DeadLetter dl = r.deadLetters().get(0);
        assertEquals("orders.dlq", dl.topic());
        assertEquals("billing", dl.consumer());
        assertEquals(1, dl.event().seq());
        assertEquals(2, dl.deliveryCount());
        assertEquals("event-src-a", Events.payload(dl.event()));

        assertEquals(2, log.consumer("billing").orElseThrow().ackFloor(), "a dead-lettered event is done");
        assertEquals(List.of(), op(new ConsumerOp.Next("billing", 10), T0 + 9 * ACK_WAIT).deadLetters());
    }

    @Test
    void startPositions() {
        publish(T0, "a", "b");
        publish(T0 + 1_000, "c", "d");
        assertEquals(1, create("first", StartPosition.first(), 0).info().startSeq());
        assertEquals(4, create("last", StartPosition.last(), 0).info().startSeq());
        assertEquals(5, create("new", StartPosition.newOnly(), 0).info().startSeq());
        assertEquals(2, create("seq", StartPosition.seq(2), 0).info().startSeq());
        assertEquals(3, create("time", StartPosition.time(T0 + 1), 0).info().startSeq());

        assertEquals(List.of(4L), next("last", 10, T0 + 2_000));
        assertEquals(List.of(), next("new", 10, T0 + 2_000));
        assertEquals(List.of(3L, 4L), next("time", 10, T0 + 2_000));
        assertEquals(List.of(2L, 3L, 4L), next("seq", 10, T0 + 2_000));
        publish(T0 + 3_000, "e");
        assertEquals(List.of(5L), next("new", 10, T0 + 3_000));
    }

    @Test
    void startSeqBelowTheFirstEventStartsAtTheFirst() {
        StreamLog small = StreamLog.open(new MemoryStreamStore(), ORDERS.withMaxEvents(2));
        small.apply(1, pubs("a", "b", "c", "d"), T0);
        ConsumerOpResult r = small.applyConsumerOp(2, new ConsumerOp.Create(
                new ConsumerConfig("c", StartPosition.seq(1), ACK_WAIT, 0, null)), T0);
        assertEquals(3, r.info().startSeq());
    }

    @Test
    void maxAckPendingStopsDelivery() {
        publish(T0, "a", "b", "c");
        op(new ConsumerOp.Create(new ConsumerConfig("slow", StartPosition.first(), ACK_WAIT, 0, null, 2)), T0);
        assertEquals(List.of(1L, 2L), next("slow", 10, T0));
        assertEquals(List.of(), next("slow", 10, T0));
        op(new ConsumerOp.Ack("slow", 1), T0);
        assertEquals(List.of(3L), next("slow", 10, T0));
    }

    @Test
    void rejectedOpsSayWhyAndStillAdvanceTheIndex() {
        ConsumerOpResult r = op(new ConsumerOp.Next("ghost", 1), T0);
        assertFalse(r.ok());
        assertTrue(r.error().contains("no consumer ghost"), r.error());
        assertEquals(index, log.lastApplied());

        assertTrue(create("c", StartPosition.first(), 1).ok());
        assertTrue(create("c", StartPosition.first(), 1).ok(), "same settings: idempotent");
        assertFalse(create("c", StartPosition.first(), 2).ok());
        assertTrue(op(new ConsumerOp.Delete("c"), T0).ok());
        assertTrue(log.consumer("c").isEmpty());
        assertNull(op(new ConsumerOp.Delete("c"), T0).info());
    }

    /** Two replicas fed the same entries end in the same state and hand out the same deliveries. */
    @Test
    void replicasAgree() {
        StreamLog a = StreamLog.open(new MemoryStreamStore(), ORDERS.withMaxEvents(50));
        StreamLog b = StreamLog.open(new MemoryStreamStore(), ORDERS.withMaxEvents(50));
        List<String> outA = new ArrayList<>();
        List<String> outB = new ArrayList<>();
        ConsumerOp create = new ConsumerOp.Create(new ConsumerConfig("c", StartPosition.first(), 100, 3, "dlq"));
        a.applyConsumerOp(1, create, T0);
        b.applyConsumerOp(1, create, T0);
        java.util.Random random = new java.util.Random(7);
        for (long i = 2; i < 300; i++) {
            long now = T0 + i * 37;
            int kind = random.nextInt(3);
            for (StreamLog l : List.of(a, b)) {
                List<String> out = l == a ? outA : outB;
                if (kind == 0) {
                    out.add(l.apply(i, pubs("e" + (i % 40)), now).toString());
                } else if (kind == 1) {
                    ConsumerOpResult r = l.applyConsumerOp(i, new ConsumerOp.Next("c", 3), now);
                    out.add(r.deliveries().stream().map(d -> d.seq() + "/" + d.deliveryCount()).toList()
                            + " dl" + r.deadLetters().stream().map(d -> d.event().seq()).toList());
                } else {
                    out.add("ack" + l.applyConsumerOp(i, new ConsumerOp.Ack("c", i / 3), now).acked());
                }
            }
        }
        assertEquals(outA, outB);
        assertEquals(a.consumers(), b.consumers());
        assertEquals(a.lastSeq(), b.lastSeq());
        assertTrue(outA.stream().anyMatch(s -> s.contains("/2")), "the scenario exercises redelivery");
    }

    @Test
    void pushConsumerKeepsItsDeliverTopicAcrossReopenAndRefusesACapturedOne() {
        MemoryStreamStore store = new MemoryStreamStore();
        StreamLog l = StreamLog.open(store, ORDERS);
        ConsumerConfig push = new ConsumerConfig("billing", StartPosition.first(), ACK_WAIT, 0, null, 100,
                "billing.deliver");
        assertTrue(push.push());
        assertTrue(l.applyConsumerOp(1, new ConsumerOp.Create(push), T0).ok());
        ConsumerOpResult captured = l.applyConsumerOp(2, new ConsumerOp.Create(new ConsumerConfig("loop",
                StartPosition.first(), ACK_WAIT, 0, null, 100, "orders.pushed")), T0);
        assertFalse(captured.ok(), "orders.pushed is captured by orders.>: pushed events would be stored again");
        assertTrue(captured.error().contains("deliverTopic"), captured.error());
        l.apply(3, pubs("a"), T0);
        assertEquals(1, l.applyConsumerOp(4, new ConsumerOp.Next("billing", 10), T0).deliveries().size());

        StreamLog reopened = StreamLog.open(store, ORDERS);
        ConsumerInfo info = reopened.consumer("billing").orElseThrow();
        assertEquals("billing.deliver", info.config().deliverTopic());
        assertEquals(1, info.ackPending(), "the pending delivery survives with the push setting");
    }

    @Test
    void consumerStateWrittenBeforePushExistedDecodesAsPull() {
        ConsumerState pull = new ConsumerState(new ConsumerConfig("c", StartPosition.first(), ACK_WAIT, 3, "dlq"), 1);
        byte[] now = pull.encode();
        // the format before push consumers: the same bytes without the trailing deliver-topic field
        byte[] before = java.util.Arrays.copyOf(now, now.length - 4);
        ConsumerState decoded = ConsumerState.decode(before);
        assertNull(decoded.config.deliverTopic());
        assertEquals(pull.config, decoded.config);
        assertEquals(pull.info(), ConsumerState.decode(now).info());
    }

    @Test
    void deliverTopicMustBeAPlainTopic() {
        for (String bad : List.of("a.*", "a.>", "", "a..b")) {
            InvalidStreamConfigException e = org.junit.jupiter.api.Assertions.assertThrows(
                    InvalidStreamConfigException.class,
                    () -> new ConsumerConfig("c", StartPosition.first(), ACK_WAIT, 0, null, 10, bad));
            assertTrue(e.getMessage().contains("deliverTopic"), e.getMessage());
        }
    }

    @Test
    void ackManyAcksEveryPendingSequenceInOneOp() {
        publish(T0, "a", "b", "c", "d");
        assertTrue(create("billing", StartPosition.first(), 0).ok());
        assertEquals(List.of(1L, 2L, 3L, 4L), next("billing", 10, T0 + 1));

        ConsumerOpResult r = op(new ConsumerOp.AckMany("billing", List.of(1L, 3L, 9L, 3L)), T0 + 2);
        assertEquals(2, r.changed(), "9 was never delivered and 3 counts once");
        assertEquals(2, r.info().ackPending());
        assertEquals(1, r.info().ackFloor(), "2 is still pending");
        assertThrows(InvalidStreamConfigException.class, () -> new ConsumerOp.AckMany("billing", List.of()));
    }

    @Test
    void nakMakesPendingEventsDueAtOnceWithoutResettingTheirCount() {
        publish(T0, "a", "b", "c");
        assertTrue(create("billing", StartPosition.first(), 3).ok());
        assertEquals(List.of(1L, 2L, 3L), next("billing", 10, T0 + 1));
        assertEquals(List.of(), next("billing", 10, T0 + 2), "all pending, none due");

        assertEquals(1, op(new ConsumerOp.Nak("billing", List.of(2L, 7L)), T0 + 3).changed(), "7 is not pending");
        ConsumerOpResult again = op(new ConsumerOp.Next("billing", 10), T0 + 3);
        assertEquals(List.of(2L), again.deliveries().stream().map(Delivery::seq).toList(),
                "redelivered long before the ack wait");
        assertEquals(2, again.deliveries().get(0).deliveryCount());

        assertEquals(3, op(new ConsumerOp.Nak("billing", List.of()), T0 + 4).changed(), "empty = every pending event");
        assertEquals(0, op(new ConsumerOp.Nak("billing", List.of()), T0 + 4).changed(), "already due: nothing changes");
        assertEquals(List.of(1L, 2L, 3L), next("billing", 10, T0 + 4)); // deliveries now 2, 3, 2

        op(new ConsumerOp.Nak("billing", List.of()), T0 + 5);
        ConsumerOpResult r = op(new ConsumerOp.Next("billing", 10), T0 + 5);
        assertEquals(List.of(1L, 3L), r.deliveries().stream().map(Delivery::seq).toList());
        assertEquals(List.of(2L), r.deadLetters().stream().map(d -> d.event().seq()).toList(),
                "a nak never lifts maxDeliver");
        assertFalse(op(new ConsumerOp.Nak("nobody", List.of()), T0 + 6).ok());
    }

    @Test
    void outForNamesWhatHasBeenOutLongEnoughAndIsNotDueYet() {
        publish(T0, "a", "b", "c", "d");
        assertTrue(create("billing", StartPosition.first(), 0).ok());
        assertEquals(List.of(1L, 2L), next("billing", 2, T0 + 1_000));
        assertEquals(List.of(3L, 4L), next("billing", 2, T0 + 6_000));
        op(new ConsumerOp.Ack("billing", 2), T0 + 6_000);

        assertEquals(List.of(1L), log.outFor("billing", 5_000, T0 + 7_000, 10).orElseThrow(),
                "3 and 4 went out 1 s ago; 2 is acked");
        assertEquals(List.of(1L, 3L, 4L), log.outFor("billing", 5_000, T0 + 11_000, 10).orElseThrow());
        assertEquals(List.of(1L), log.outFor("billing", 5_000, T0 + 11_000, 1).orElseThrow(), "at most max, oldest first");

        op(new ConsumerOp.Nak("billing", List.of(3L)), T0 + 11_000);
        assertEquals(List.of(1L, 4L), log.outFor("billing", 5_000, T0 + 11_000, 10).orElseThrow(),
                "3 is due again: it goes out anyway");
        assertEquals(List.of(4L), log.outFor("billing", 5_000, T0 + 1_000 + ACK_WAIT, 10).orElseThrow(),
                "1's ack wait ran out");
        assertTrue(log.outFor("nobody", 5_000, T0, 10).isEmpty());
    }
}
