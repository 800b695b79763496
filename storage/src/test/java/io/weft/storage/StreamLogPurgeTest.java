package io.weft.storage;

import static io.weft.storage.Events.payload;
import static io.weft.storage.Events.pubs;
import static io.weft.storage.Events.seqs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link StreamLog#purge}: removing the oldest events on request, as retention does. */
class StreamLogPurgeTest {
    private static final StreamConfig ORDERS = StreamConfig.of("orders", "cloud", "orders.>");
    private static final long T0 = 1_700_000_000_000L;
    private static final long ACK_WAIT = 30_000;

    /** Events "e1".."eN", one per entry at T0 + i seconds (entries 1..n), so the time index has n keys. */
    private static StreamLog withEvents(StreamStore store, int n) {
        StreamLog log = StreamLog.open(store, ORDERS);
        for (int i = 1; i <= n; i++) {
            log.apply(i, pubs("e" + i), T0 + i * 1_000L);
        }
        return log;
    }

    private static long sizeOf(StreamLog log, long fromSeq, long toSeq) {
        long size = 0;
        for (StoredEvent e : log.readFrom(fromSeq, (int) (toSeq - fromSeq + 1))) {
            size += StoredEvent.encode(e.timeMillis(), e.topic(), e.event()).length;
        }
        return size;
    }

    private static int keys(StreamStore store, byte prefix) {
        int[] n = {0};
        store.scan(Keys.first(prefix), Keys.after(prefix), (k, v) -> {
            n[0]++;
            return true;
        });
        return n[0];
    }

    @Test
    void purgeAllEmptiesTheStreamAndTheNumberingContinues() {
        MemoryStreamStore store = new MemoryStreamStore();
        StreamLog log = withEvents(store, 5);
        assertEquals(5, log.purge(6, Long.MAX_VALUE));

        assertEquals(6, log.lastApplied());
        assertEquals(6, log.firstSeq());
        assertEquals(5, log.lastSeq(), "a purge never changes the last sequence");
        assertEquals(0, log.count());
        assertEquals(0, log.bytes());
        assertEquals(List.of(), log.readFrom(1, 10));
        assertFalse(log.read(5).isPresent());
        assertEquals(0, keys(store, Keys.EVENT));
        assertEquals(0, keys(store, Keys.TIME), "the time index points at nothing");
        assertEquals(6, log.seqForTime(0));

        assertEquals(List.of(6L, 7L), seqs(log.apply(7, pubs("f", "g"), T0 + 10_000)));
        assertEquals(6, log.firstSeq());
        assertEquals(2, log.count());
        assertEquals(6, log.seqForTime(0), "the index holds the new events");
        assertEquals(List.of("event-src-f", "event-src-g"), log.readFrom(1, 10).stream().map(Events::payload).toList());
    }

    @Test
    void purgeUpToASequenceKeepsTheRestAndItsAccounting() {
        MemoryStreamStore store = new MemoryStreamStore();
        StreamLog log = withEvents(store, 5);
        long keptBytes = sizeOf(log, 3, 5);
        assertEquals(2, log.purge(6, 3));

        assertEquals(3, log.firstSeq());
        assertEquals(5, log.lastSeq());
        assertEquals(3, log.count());
        assertEquals(keptBytes, log.bytes());
        assertFalse(log.read(2).isPresent());
        assertEquals("event-src-e3", payload(log.read(3).orElseThrow()));
        assertEquals(3, keys(store, Keys.TIME), "index entries of removed events are gone");
        assertEquals(3, log.seqForTime(0));
        assertEquals(4, log.seqForTime(T0 + 3_001));

        assertEquals(0, log.purge(7, 3), "nothing below 3 is left");
        assertEquals(0, log.purge(8, 1));
        assertEquals(8, log.lastApplied(), "an entry that removes nothing is still applied");
        assertEquals(3, log.count());
    }

    @Test
    void purgeBeyondTheLastSequenceRemovesEverythingAndNoMore() {
        StreamLog log = withEvents(new MemoryStreamStore(), 5);
        assertEquals(5, log.purge(6, 1_000));
        assertEquals(6, log.firstSeq());
        assertEquals(5, log.lastSeq());
        assertEquals(List.of(6L), seqs(log.apply(7, pubs("f"), T0 + 10_000)));
        assertEquals(1, log.count(), "the purge's bound was the end of the stream then, not 1000");
        assertEquals(1, log.purge(8, 1_000), "a second purge takes the new event");
        assertEquals(7, log.firstSeq());
    }

    @Test
    void anEntryAtOrBelowLastAppliedIsSkipped() {
        StreamLog log = withEvents(new MemoryStreamStore(), 5);
        assertEquals(0, log.purge(5, Long.MAX_VALUE));
        assertEquals(5, log.count());
        assertEquals(5, log.lastApplied());
    }

    @Test
    void purgeThenPublishAndRetentionKeepCounting() {
        StreamLog log = StreamLog.open(new MemoryStreamStore(), ORDERS.withMaxEvents(3));
        log.apply(1, pubs("a", "b", "c", "d"), T0);
        assertEquals(2, log.firstSeq());
        assertEquals(2, log.purge(2, 4));
        assertEquals(1, log.count());
        log.apply(3, pubs("e", "f", "g"), T0 + 1);
        assertEquals(5, log.firstSeq(), "retention counts from what the purge left");
        assertEquals(3, log.count());
        assertEquals(List.of(5L, 6L, 7L), log.readFrom(1, 10).stream().map(StoredEvent::seq).toList());
        // dedupe records stay, as with retention: an id published again is a duplicate of the purged event
        assertEquals(new PublishAck(1, true), log.apply(4, pubs("a"), T0 + 2).get(0));
    }

    @Test
    void oneCallRemovesABoundedNumberAndTheRestFollowInMoreEntries() {
        MemoryStreamStore store = new MemoryStreamStore();
        StreamLog log = withEvents(store, 10);
        long keptBytes = sizeOf(log, 9, 10);
        List<Long> removed = new ArrayList<>();
        long index = 10;
        while (log.firstSeq() < 9) {
            removed.add(log.purge(++index, 9, 3, Long.MAX_VALUE));
        }
        assertEquals(List.of(3L, 3L, 2L), removed);
        assertEquals(keptBytes, log.bytes());
        assertEquals(2, log.count());
        assertEquals(2, keys(store, Keys.TIME));

        // a byte bound stops after the event that reaches it
        StreamLog big = withEvents(new MemoryStreamStore(), 10);
        assertEquals(1, big.purge(11, 9, 100, 1));
        assertEquals(2, big.purge(12, 9, 100, sizeOf(big, 2, 2) + 1));
        assertEquals(4, big.firstSeq());

        // everything at once is one range delete: no bound applies
        StreamLog all = withEvents(new MemoryStreamStore(), 10);
        assertEquals(10, all.purge(11, Long.MAX_VALUE, 3, 1));
        assertEquals(0, all.count());
    }

    @Test
    void aConsumerMidWaySkipsPurgedEventsAndDropsThosePendingBelowTheHead() {
        StreamLog log = withEvents(new MemoryStreamStore(), 10);
        long[] index = {10};
        Consumer<ConsumerOp> op = o -> assertTrue(log.applyConsumerOp(++index[0], o, T0 + 20_000).ok());
        op.accept(new ConsumerOp.Create(new ConsumerConfig("billing", StartPosition.first(), ACK_WAIT, 5, null)));
        op.accept(new ConsumerOp.Create(new ConsumerConfig("idle", StartPosition.first(), ACK_WAIT, 5, null)));
        ConsumerOpResult first = log.applyConsumerOp(++index[0], new ConsumerOp.Next("billing", 4), T0 + 20_000);
        assertEquals(List.of(1L, 2L, 3L, 4L), first.deliveries().stream().map(Delivery::seq).toList());
        op.accept(new ConsumerOp.Ack("billing", 1));

        assertEquals(2, log.purge(++index[0], 3));
        ConsumerInfo billing = log.consumer("billing").orElseThrow();
        assertEquals(2, billing.ackPending(), "3 and 4 are still pending, 2 went with the purge");
        assertEquals(2, billing.ackFloor());
        assertEquals(5, billing.nextSeq());
        ConsumerInfo idle = log.consumer("idle").orElseThrow();
        assertEquals(3, idle.nextSeq(), "a consumer behind the new head moves up to it");
        assertEquals(2, idle.ackFloor());

        assertEquals(4, log.purge(++index[0], 7));
        billing = log.consumer("billing").orElseThrow();
        assertEquals(0, billing.ackPending());
        assertEquals(6, billing.ackFloor(), "every sequence below the head is acked or removed");
        assertEquals(7, billing.nextSeq());
        assertEquals(List.of(7L, 8L), log.applyConsumerOp(++index[0], new ConsumerOp.Next("billing", 2), T0 + 21_000)
                .deliveries().stream().map(Delivery::seq).toList());
        // after the ack wait only what is still stored comes again, and 7 and 8 were delivered after the purge
        log.purge(++index[0], 8);
        ConsumerOpResult again = log.applyConsumerOp(++index[0], new ConsumerOp.Next("billing", 10), T0 + 21_000 + ACK_WAIT);
        assertEquals(List.of(8L, 9L, 10L), again.deliveries().stream().map(Delivery::seq).toList());
        assertTrue(again.deliveries().get(0).redelivered());
        assertEquals(List.of(8L, 9L, 10L), log.applyConsumerOp(++index[0], new ConsumerOp.Next("idle", 10),
                T0 + 22_000).deliveries().stream().map(Delivery::seq).toList());
        assertFalse(log.applyConsumerOp(++index[0], new ConsumerOp.Ack("billing", 7), T0 + 22_000).acked(),
                "an ack of a purged event changes nothing");
    }

    /** The entries of a stream's life with purges in it, applied in order from index 1. */
    private static void history(StreamLog log) {
        long i = 0;
        log.apply(++i, pubs("a", "b", "c", "d", "e"), T0);
        log.apply(++i, pubs("f", "g"), T0 + 1_000);
        log.applyConsumerOp(++i, new ConsumerOp.Create(new ConsumerConfig("billing", StartPosition.first(), ACK_WAIT, 5,
                "orders.dlq")), T0 + 1_500);
        log.applyConsumerOp(++i, new ConsumerOp.Next("billing", 3), T0 + 2_000);
        log.purge(++i, 3, 1, Long.MAX_VALUE); // one event per entry: the caller repeats
        log.purge(++i, 3, 1, Long.MAX_VALUE);
        log.apply(++i, pubs("h", "i", "j"), T0 + 3_000);
        log.purge(++i, 6);
        log.applyConsumerOp(++i, new ConsumerOp.Next("billing", 2), T0 + 4_000);
        log.purge(++i, Long.MAX_VALUE);
        log.apply(++i, pubs("k", "l"), T0 + 5_000);
    }

    private static void assertSameState(StreamLog expected, StreamLog actual) {
        assertEquals(expected.lastApplied(), actual.lastApplied());
        assertEquals(expected.firstSeq(), actual.firstSeq());
        assertEquals(expected.lastSeq(), actual.lastSeq());
        assertEquals(expected.count(), actual.count());
        assertEquals(expected.bytes(), actual.bytes());
        assertEquals(expected.consumers(), actual.consumers());
        assertEquals(expected.readFrom(1, 100).stream().map(StoredEvent::seq).toList(),
                actual.readFrom(1, 100).stream().map(StoredEvent::seq).toList());
        assertEquals(expected.readFrom(1, 100).stream().map(Events::payload).toList(),
                actual.readFrom(1, 100).stream().map(Events::payload).toList());
        for (long t : new long[] {0, T0, T0 + 4_000, T0 + 5_000, T0 + 6_000}) {
            assertEquals(expected.seqForTime(t), actual.seqForTime(t), "seqForTime " + t);
        }
    }

    @Test
    void reopeningAndReplayingTheLogGiveTheSameState(@TempDir Path dir) {
        RocksStreamStore rocks = RocksStreamStore.open(dir);
        StreamLog live = StreamLog.open(rocks, ORDERS);
        history(live);
        assertEquals(11, live.firstSeq());
        assertEquals(12, live.lastSeq());
        assertEquals(2, live.count());
        ConsumerInfo billing = live.consumer("billing").orElseThrow();
        assertEquals(0, billing.ackPending());
        assertEquals(11, billing.nextSeq());
        assertEquals(10, billing.ackFloor());

        // another replica applies the same entries: the same state
        StreamLog replica = StreamLog.open(new MemoryStreamStore(), ORDERS);
        history(replica);
        assertSameState(live, replica);

        // a restart: the store reopened, then the Raft log replayed over it (every entry already applied)
        rocks.close();
        RocksStreamStore reopened = RocksStreamStore.open(dir);
        try {
            StreamLog again = StreamLog.open(reopened, ORDERS);
            assertSameState(replica, again);
            history(again);
            assertSameState(replica, again);
            assertEquals(List.of(13L), seqs(again.apply(12, pubs("m"), T0 + 6_000)));
            assertEquals(List.of(13L), seqs(replica.apply(12, pubs("m"), T0 + 6_000)));
            assertSameState(replica, again);
        } finally {
            reopened.close();
        }
    }

    @Test
    void aReplayFromTheMiddleAfterAReopenEndsTheSame() {
        StreamLog straight = withEvents(new MemoryStreamStore(), 6);
        straight.purge(7, 5, 2, Long.MAX_VALUE);
        straight.purge(8, 5, 2, Long.MAX_VALUE);

        MemoryStreamStore store = new MemoryStreamStore();
        StreamLog log = withEvents(store, 6);
        log.purge(7, 5, 2, Long.MAX_VALUE);
        // the node stops here, then replays its Raft log from entry 5 over the store it kept
        StreamLog again = StreamLog.open(store, ORDERS);
        assertEquals(3, again.firstSeq());
        for (int i = 5; i <= 6; i++) {
            again.apply(i, pubs("e" + i), T0 + i * 1_000L); // applied already: skipped
        }
        assertEquals(0, again.purge(7, 5, 2, Long.MAX_VALUE), "applied already: skipped");
        assertEquals(2, again.purge(8, 5, 2, Long.MAX_VALUE));
        assertSameState(straight, again);
        assertEquals(5, again.firstSeq());
    }
}
